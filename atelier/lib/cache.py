"""A Redis cache that degrades instead of failing (docs/deploy.md, "When Redis is down").

Django's RedisCache raises redis errors to its caller, so with Redis down every
view that touches the cache answered 500. This one answers from a per-process
memory cache while Redis is unreachable, and stops asking Redis for a few
seconds after each failure: a Redis that times out instead of refusing
connections must not add its timeout to every request.

Per-process is enough for what the cache holds: the login throttle (which then
counts per gunicorn worker, atelier/lib/throttle.py), and values keyed by
their own content (the suggestions). Sessions are never in the cache (they are
in the database: settings.SESSION_ENGINE says why).
"""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        # Seconds to stay on the local cache after a failure before trying Redis again.
        self.retry_after = float(options.pop("RETRY_AFTER", 5))
        super().__init__(server, {**params, "OPTIONS": options})
        self.local = LocMemCache(f"redis-fallback:{server}", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self._down_until = 0.0

    @property
    def degraded(self) -> bool:
        return time.monotonic() < self._down_until

    def _call(self, name, *args, **kwargs):
        if not self.degraded:
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except RedisError as error:
                if not self._down_until:  # once per outage, not once per request
                    log.warning("Redis cache unreachable, using process memory: %s", error)
                self._down_until = time.monotonic() + self.retry_after
            else:
                if self._down_until:
                    log.info("Redis cache reachable again")
                    self._down_until = 0.0
                return result
        return getattr(self.local, name)(*args, **kwargs)

    def add(self, key, value, timeout=None, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=None, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=None, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        self.local.clear()
        return self._call("clear")

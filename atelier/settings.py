"""Atelier settings: one file, driven by environment variables (django-environ).

Defaults are safe for production (DEBUG off) and need no server: SQLite in the
project folder, Celery tasks run in-process when REDIS_URL is absent.
"""

from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; the real environment wins

DEBUG = env.bool("DEBUG", default=False)
# No fallback key: a forgotten SECRET_KEY must stop the start, not sign sessions
# with a value published in this repository. `make install` writes a random one
# into .env for local use.
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY is not set: run `make install` or export it.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "atelier.apps.AtelierAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "territories",
    "atelier",
    "synthesis",
    "web",
    "api",
]

MIDDLEWARE = [
    "atelier.lib.headers.server_timing_middleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "atelier.lib.headers.permissions_policy_middleware",
    # Before sessions and auth: a quiet board's poll answered from one query.
    "atelier.board_poll.quiet_board_middleware",
    # And an animator's new note, stored from one statement (board_save.py).
    "atelier.board_save.quick_save_middleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "api.middleware.refuse_control_characters",
]

ROOT_URLCONF = "atelier.urls"
WSGI_APPLICATION = "atelier.wsgi.application"
ASGI_APPLICATION = "atelier.asgi.application"
AUTH_USER_MODEL = "atelier.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                # csp_nonce, which django-htmx's {% htmx_script %} puts on its tag.
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'atelier.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Reuse connections, but check them first: a PostgreSQL restart must cost
    # the animators a few failed saves at most, never a manual restart of ours.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side binding lets psycopg prepare the statements a connection
    # sends again and again (a board's save and poll, a page's queries), so
    # PostgreSQL stops planning them each time: a note's save went from 3.0 to
    # 2.2 ms in process. Off behind a pooler in transaction mode that does not
    # keep prepared statements (PgBouncer before 1.21): docs/deploy.md.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=2
        )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run while a note is being written; IMMEDIATE avoids
    # "database is locked" errors when two writers upgrade their locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file too: an in-memory database locks whole tables, which is
    # not how the embedded default behaves when several requests write at once.
    # TEST_DATABASE_NAME lets two checkouts' suites run side by side.
    DATABASES["default"]["TEST"] = {
        "NAME": env("TEST_DATABASE_NAME", default=str(BASE_DIR / "test-atelier.sqlite3"))
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache raises when Redis is down, which made every
            # page 500; this one falls back to each process's memory and tries
            # Redis again after RETRY_AFTER seconds (atelier/lib/cache.py).
            "BACKEND": "atelier.lib.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "atelier",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1, "RETRY_AFTER": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database only (Django's default engine), never in the
# cache: with `cached_db`, a logout during a Redis outage deletes the database
# row but cannot delete the Redis copy, and the session comes back to life when
# Redis does. One primary-key query per request is the price.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Repeated login failures are throttled (atelier/forms.py, both the site's and
# the admin's login, also with Redis down); a password
# check costs ~350 ms of CPU, so unthrottled guessing is also a denial of service.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=15 * 60)

# E-mail (invitations, forgotten passwords): printed on the console unless
# EMAIL_URL names an SMTP server, e.g. smtp+tls://user:pass@smtp.example.org:587.
# Django 6.1's MAILERS (the EMAIL_HOST… settings are deprecated).
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
if env("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    MAILERS["default"] = {"BACKEND": _email["EMAIL_BACKEND"]}
    if _email["EMAIL_BACKEND"].endswith(".smtp.EmailBackend"):
        MAILERS["default"]["OPTIONS"] = {
            "host": _email["EMAIL_HOST"],
            "port": _email["EMAIL_PORT"],
            "username": _email["EMAIL_HOST_USER"],
            "password": _email["EMAIL_HOST_PASSWORD"],
            "use_tls": _email.get("EMAIL_USE_TLS", False),
            "use_ssl": _email.get("EMAIL_USE_SSL", False),
            "timeout": 10,  # a stuck SMTP server must not hold a request forever
        }
# Without EMAIL_URL the console is the default (a newcomer needs no server);
# `check --deploy` then says so (mail.E001): production sets EMAIL_URL.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Atelier <atelier@localhost>")
# How long an invitation or a forgotten-password link stays valid (Django's default: 3 days).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 24 * 3)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (Django's middleware): scripts and styles from our
# own static files only, no inline script nor handler (the one inline tag,
# htmx, carries the request's nonce); htmx's indicator <style> is turned off in
# base.html and its rules live in atelier.css. Scripts set styles through the
# CSSOM (element.style), which style-src does not govern, so no 'unsafe-inline'.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Browser features no page of Atelier uses, refused to the page and any frame
# (atelier/lib/headers.py sends them as Permissions-Policy: camera=(), …).
PERMISSIONS_POLICY_DISABLED = [
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "usb",
]
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# The draft's similarity: "semantic" (sentence encoders shipped in their
# packages, docs/drafting.md) or "lexical" (TF-IDF, no model). A missing
# model package falls back to lexical.
DRAFTING_BACKEND = env("DRAFTING_BACKEND", default="semantic")

# Optional assisted grouping (synthesis/llm.py, docs/deploy.md): a language
# model behind an OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp, a hosted
# service) proposes the draft's groups. Unset, the option does not appear and no
# note leaves the server; when set, a coordinator still turns it on per workshop.
# The open-data API (api/): calls a minute per user or per address, and the
# header a reverse proxy sets to the client's address (X-Real-IP behind the
# nginx of docs/deploy.md; empty: REMOTE_ADDR, right without a proxy).
API_RATE_PER_MINUTE = env.int("API_RATE_PER_MINUTE", default=120)
API_CLIENT_IP_HEADER = env("API_CLIENT_IP_HEADER", default="")

LLM_BASE_URL = env("LLM_BASE_URL", default="")  # e.g. http://127.0.0.1:11434/v1
LLM_MODEL = env("LLM_MODEL", default="")
LLM_API_KEY = env("LLM_API_KEY", default="")  # sent as "Authorization: Bearer …" when set
LLM_TIMEOUT = env.float("LLM_TIMEOUT", default=60.0)  # seconds per request
LLM_MAX_NOTES = env.int("LLM_MAX_NOTES", default=80)  # per request; longer questions are split
LLM_CALLS_PER_WORKSHOP = env.int("LLM_CALLS_PER_WORKSHOP", default=200)  # retries count
LLM_RETRY_BASE = env.float("LLM_RETRY_BASE", default=1.0)  # backoff: 1 s, then 2 s

# Celery. Without REDIS_URL, tasks run in-process so a newcomer needs no broker.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# With no broker, a draft job runs in a thread of the web process, so the
# request that asked for it answers at once and the editor shows its progress
# (the model's first load and the vectors take seconds). Tests run it inline.
DRAFT_JOBS_IN_THREAD = env.bool("DRAFT_JOBS_IN_THREAD", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged only once done, and re-delivered if its worker dies:
# an export interrupted by a crash runs again instead of vanishing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=150)
# The draft job's hard limit (its soft limit is 30 s less): embedding a large
# workshop's notes for the first time takes minutes. A draft stopped there
# keeps the questions it finished; "Relancer" goes on from them.
DRAFT_TIME_LIMIT = env.int("DRAFT_TIME_LIMIT", default=600)
# Longer than the hard limits, so a slow task is not handed to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": max(CELERY_TASK_TIME_LIMIT, DRAFT_TIME_LIMIT) * 4,
    # A request must not hang when Redis is down: one connection attempt, no
    # retries (kombu otherwise retries for broker_connection_timeout, 6 s in
    # all), and the row stays pending for the sweep (synthesis/jobs.py: send).
    "socket_connect_timeout": 0.5,
    "socket_timeout": 5,
    "max_retries": 0,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY = False
# One queue per workload, one worker (or several hosts of them) per queue,
# each with its own concurrency, memory cap and time limits (docker-compose.yml):
# - "exports": WeasyPrint, up to a few hundred MB a PDF, limited by
#   CELERY_TASK_SOFT_TIME_LIMIT/CELERY_TASK_TIME_LIMIT;
# - "drafting": the draft's model work (vectors, drafts); the sentence encoders
#   hold ~300 MB in the process that loads them, which the export worker must
#   not carry; limited by DRAFT_TIME_LIMIT;
# - "celery" (the default): the sweeps, a few queries each, so that a queue
#   full of PDFs never delays them.
CELERY_TASK_ROUTES = {
    "synthesis.run_export": {"queue": "exports"},
    "synthesis.embed_notes": {"queue": "drafting"},
    "synthesis.embed_pending": {"queue": "drafting"},
    "synthesis.run_draft": {"queue": "drafting"},
}
# The notes saved on the boards are embedded in batches (synthesis/pending.py)
# once processes of normal priority use at most EMBED_BUSY_SHARE of the CPU,
# or once the oldest waiting note has waited EMBED_MAX_WAIT seconds for that.
EMBED_BUSY_SHARE = env.float("EMBED_BUSY_SHARE", default=0.2)
EMBED_MAX_WAIT = env.int("EMBED_MAX_WAIT", default=300)
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Beat must run once: two would send every sweep twice (harmless, as a sweep
# only enqueues what is pending, but wasteful). Both workers take the default
# queue, so a sweep waits only while both are busy.
CELERY_BEAT_SCHEDULE = {
    "sweep-exports": {"task": "synthesis.sweep_exports", "schedule": 60.0},
    "sweep-drafts": {"task": "synthesis.sweep_drafts", "schedule": 60.0},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs each layout step at INFO: noise in the worker's log.
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# Files (logos, exports): the local disk under MEDIA_ROOT unless a bucket is
# named. Web nodes and workers on several hosts need the bucket: a disk is one
# machine's. Either one URL,
#   STORAGE_URL=s3://KEY:SECRET@host:port/bucket[/prefix]?region=fr-par&secure=0
# (no host: AWS's own endpoint; secure=0: plain HTTP, for a store on loopback or
# a private network; addressing=virtual for stores that want bucket.host), or
# django-storages' AWS_STORAGE_BUCKET_NAME with AWS_S3_ENDPOINT_URL,
# AWS_S3_REGION_NAME, AWS_S3_ADDRESSING_STYLE, AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY.
# atelier/lib/s3.py says why nothing in the bucket is ever public.
STORAGE_URL = env("STORAGE_URL", default="")
# How an export leaves, after its rights check: "stream" through the web
# process (the bucket may stay reachable by the servers only), or "redirect" to
# a pre-signed URL valid STORAGE_URL_EXPIRY seconds, at most 60.
STORAGE_DOWNLOADS = env("STORAGE_DOWNLOADS", default="stream")
STORAGE_URL_EXPIRY = min(env.int("STORAGE_URL_EXPIRY", default=60), 60)


def _bucket_options(url: str) -> dict:
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise environ.ImproperlyConfigured("STORAGE_URL must start with s3://")
    bucket, _slash, prefix = parts.path.strip("/").partition("/")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    options = {
        "bucket_name": bucket,
        "location": prefix,
        "access_key": unquote(parts.username or "") or None,
        "secret_key": unquote(parts.password or "") or None,
        "region_name": query.get("region") or None,
    }
    if parts.hostname:
        scheme = "http" if query.get("secure") in ("0", "false", "no") else "https"
        port = f":{parts.port}" if parts.port else ""
        options["endpoint_url"] = f"{scheme}://{parts.hostname}{port}"
        # Self-hosted stores (MinIO, SeaweedFS, Garage) name buckets in the path.
        options["addressing_style"] = query.get("addressing", "path")
    return options


_bucket = (
    _bucket_options(STORAGE_URL)
    if STORAGE_URL
    else {
        "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env("AWS_S3_REGION_NAME", default="") or None,
        "addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="") or None,
        # Keys: django-storages reads AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY itself.
    }
    if env("AWS_STORAGE_BUCKET_NAME", default="")
    else None
)
if _bucket:
    STORAGES["default"] = {
        "BACKEND": "atelier.lib.s3.BucketStorage",
        "OPTIONS": {
            **_bucket,
            "default_acl": None,  # the bucket's policy (private) applies
            "file_overwrite": False,  # two logos of one name both stay, as on disk
            "querystring_expire": STORAGE_URL_EXPIRY,
            # Reads bigger than this spill to a temporary file, not the memory.
            "max_memory_size": 4 * 1024 * 1024,
        },
    }

"""Read by gunicorn from its working directory (the image's /app, the bench's
checkout); the command line's flags come on top."""

import gc


def post_worker_init(worker):
    # Saves leave the notes to embed in a buffer that a thread sends to Redis
    # twice a second, instead of a round trip each (synthesis/pending.py).
    from synthesis import pending

    pending.buffer_saves()
    # Django, the app and their caches are loaded now and live as long as the
    # worker: frozen, they are no longer walked by every full garbage
    # collection, which otherwise adds ~100 ms to an unlucky request on a big page.
    gc.freeze()


def worker_exit(server, worker):
    from synthesis import pending

    pending.stop_buffering()  # what the last saves left goes now

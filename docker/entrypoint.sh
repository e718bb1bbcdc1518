#!/bin/sh
# Container entrypoint for the web, worker and beat services.
# Applies migrations only where RUN_MIGRATIONS=1 (the web service), so that
# several containers starting together never race on the schema; then hands
# PID 1 to the real command (gunicorn, celery) so it receives SIGTERM directly.
set -eu

if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
    echo "entrypoint: applying database migrations"
    python manage.py migrate --no-input
fi

exec "$@"

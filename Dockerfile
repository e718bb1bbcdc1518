# Atelier production image: gunicorn serves the site (static files through
# WhiteNoise); the same image runs the Celery worker and beat (see
# docker-compose.yml and docs/deploy.md).
FROM python:3.13-slim-bookworm

# settings.py finds templates/, static/ and locale/ next to the packages
# (BASE_DIR), so the code runs from /app (PYTHONPATH), ahead of the copy that
# `pip install .` puts in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app \
    MEDIA_ROOT=/data/media

# Pango/HarfBuzz and a font for WeasyPrint (PDF exports), gettext for
# compilemessages. Versions are not pinned: bookworm only ships fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
        gettext \
    && rm -rf /var/lib/apt/lists/*

# A writable home of its own: gunicorn puts its control socket there
# (~/.gunicorn), fontconfig its cache; the code in /app stays read-only.
RUN groupadd --system --gid 10001 atelier \
    && useradd --system --uid 10001 --gid atelier --create-home --home-dir /home/atelier \
        --shell /usr/sbin/nologin atelier

WORKDIR /app

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only
# when the dependencies change, not on every code change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Then the source, and the project itself (its dependencies are already in).
COPY . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info \
    && chmod 0755 docker/entrypoint.sh

# Translations and static files are baked into the image, owned by root and
# read-only for the app. The key below exists only for this step.
RUN SECRET_KEY=build-only python manage.py compilemessages \
    && SECRET_KEY=build-only python manage.py collectstatic --no-input

# Uploaded logos and exports: the only place the app writes to. A named
# volume mounted here starts with this ownership.
RUN mkdir -p /data/media && chown -R atelier:atelier /data

# Numeric, so that orchestrators can check it is not root (atelier:atelier).
USER 10001:10001

EXPOSE 8000

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# `exec` makes gunicorn PID 1, so `docker stop` reaches it and the workers get
# --graceful-timeout to finish their requests. /dev/shm (tmpfs) keeps the
# worker heartbeat files off the overlay filesystem.
CMD ["sh", "-c", "exec gunicorn atelier.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --timeout 60 --graceful-timeout 30 --max-requests 2000 --max-requests-jitter 200 --worker-tmp-dir /dev/shm --access-logfile -"]

# syntax=docker/dockerfile:1
# Sepakat's image: the web application (gunicorn, the default command), the Celery worker and beat all run
# from it (compose.yaml; the Procfile names the same commands). Runtime configuration comes from the
# environment (docs/operations.md); without it every process refuses to start, naming what is missing.
FROM python:3.11-slim-bookworm

# WeasyPrint lays text out with Pango on HarfBuzz and fontconfig (fontconfig-config brings a fallback font; the
# PDFs' own fonts are bundled in static/fonts/). libharfbuzz-subset0 subsets the fonts: half the render time.
# tzdata: Asia/Jakarta. poppler-utils (pdfsig) is for the tests only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 tzdata \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The code belongs to root and is read-only for the server; var/ (media, signing authority, static files,
# beat's schedule) is the server's user's only, 0700 (sepakat/files.py). The media and authority folders
# are volumes in compose.yaml: a new named volume takes this owner and mode.
RUN groupadd --system --gid 10001 sepakat \
    && useradd --system --uid 10001 --gid sepakat --home-dir /app/var --no-create-home \
        --shell /usr/sbin/nologin sepakat
WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
RUN python -m compileall -q sepakat agreements audit auditing permissions workflows demo \
    && install -d -o sepakat -g sepakat -m 0700 var var/media var/pki

USER sepakat
ENV SEPAKAT_BIND=0.0.0.0:8000 \
    MEDIA_ROOT=/app/var/media \
    SIGNING_AUTHORITY_DIR=/app/var/pki \
    SEPAKAT_BEAT_SCHEDULE_FILE=/app/var/celerybeat-schedule

# Static files are collected into the image (var/staticfiles, served by WhiteNoise). A build step: it needs a
# SECRET_KEY to load the settings, a throwaway one that no running container uses, and nothing else.
ARG BUILD_SECRET_KEY=collectstatic-only-not-a-secret
RUN DJANGO_ENV=production SECRET_KEY="$BUILD_SECRET_KEY" python manage.py collectstatic --noinput

EXPOSE 8000
# The checks of GET /sehat/ (database, broker, worker heartbeat, media, signing authority); exits 1 when one
# fails. The worker's heartbeat comes from beat once a minute: hence the start period.
HEALTHCHECK --interval=30s --timeout=15s --start-period=120s --retries=3 CMD ["python", "manage.py", "health"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "sepakat.wsgi"]

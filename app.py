"""Glimpse entry point.

    python app.py [--host 127.0.0.1] [--port 8050] [--debug] [--data-dir DIR] [--model-store DIR] [--models FILE]
    gunicorn app:server            (settings from GLIMPSE_* environment variables)
    celery -A app:celery_app worker   (with GLIMPSE_JOBS=celery: training and precompute)

Flags override environment variables (GLIMPSE_HOST, GLIMPSE_PORT, GLIMPSE_DEBUG,
GLIMPSE_DATA_DIR, GLIMPSE_MODEL_STORE, GLIMPSE_CACHE_DIR, GLIMPSE_CACHE_TYPE, GLIMPSE_CACHE_URL,
GLIMPSE_TIMING, GLIMPSE_MODELS: a YAML list of your own models).
The server answers at once; on a first start the page shows the default models training.
"""
from __future__ import annotations

import sys

# The functions live in the installed package (the `glimpse` command runs them too).
from glimpse.cli import build, configure_logging, parse_args, run, running_as_celery_worker  # noqa: F401

# Command-line flags when run as a script; environment only when imported (gunicorn's
# own arguments are not ours to parse).
ARGS = parse_args(sys.argv[1:] if __name__ == "__main__" else [])
configure_logging()
app, celery_app = build(ARGS)
server = app.server

if __name__ == "__main__":
    run(app, ARGS)

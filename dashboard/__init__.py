"""Glimpse's presentation half: a Dash app over an explain_core ExplanationService.

Never imports torch; everything it shows comes through the service.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import dash

from . import (busy_words, callbacks, errors, link_state, precompute, security, server_status, share,
               stale_messages, timing, upload)
from .layout import TAB_MODULES, layout
from .samples import Thumbnails
from .startup import Startup

def _assets_folder() -> Path:
    """dashboard/assets in an installed copy (pyproject.toml puts it there); assets/ beside
    the packages in a clone."""
    here = Path(__file__).resolve().parent
    return here / "assets" if (here / "assets").is_dir() else here.parent / "assets"


ASSETS = _assets_folder()
log = logging.getLogger("glimpse.dashboard")


def default_background_manager(service):
    """Background callbacks (CSV training) as jobs in threads of the web process, their
    progress and results in a diskcache under the service's cache_dir (shared by the
    workers of one machine). Never a fork: see dashboard/background.py."""
    import diskcache

    from .background import ThreadJobManager

    folder = Path(service.settings.cache_dir) / "dash-background"
    folder.mkdir(parents=True, exist_ok=True)
    return ThreadJobManager(diskcache.Cache(str(folder)))


def create_app(service, background_manager=None, start: bool = True, server_timing: bool = False,
               celery_app=None) -> dash.Dash:
    """The Dash app for `service`. With start=True the default models begin loading (or,
    on a first start, training) in a background thread at once; the page shows progress.
    server_timing: a Server-Timing header on every response (dashboard/timing.py).
    celery_app (explain_core.celery_jobs.make_celery): CSV training and precompute run in
    Celery workers instead of threads of this process."""
    if celery_app is not None and background_manager is None:
        background_manager = dash.CeleryManager(celery_app)
    manager = background_manager or default_background_manager(service)
    app = dash.Dash(__name__, title="Glimpse", assets_folder=str(ASSETS), serve_locally=True,
                    background_callback_manager=manager, update_title=None)
    app.layout = layout(getattr(service, "notices", ()))   # e.g. model-list entries that did not load
    startup = Startup(service)
    thumbs = Thumbnails(service)
    callbacks.register_callbacks(app, service, startup, thumbs)
    for tab in TAB_MODULES:
        tab.register_callbacks(app, service)
    upload.register_callbacks(app, service, manager)
    if celery_app is not None:
        from explain_core.celery_jobs import CeleryPrecompute

        jobs = CeleryPrecompute(service, celery_app)
    else:
        jobs = precompute.PrecomputeJobs(service)
    precompute.register_callbacks(app, service, jobs)
    link_state.register_callbacks(app, service)     # the address carries every control of the view
    busy_words.register_callbacks(app)              # spinners say what they compute
    stale_messages.register_callbacks(app)          # upload messages go when they stop being true
    share.register_callbacks(app, service)      # export, copy link, presentation mode

    @app.server.before_request
    def _ensure_started():   # a worker forked by a server starts its own loader if needed
        startup.start()

    @app.server.route("/_glimpse/health")
    def _health():   # for load balancers, docker compose and the deployment tests
        status = startup.status()
        return {"status": "ok", "ready": bool(status.get("ready")), "pid": os.getpid()}

    if server_timing:
        timing.install(app, service)
    security.install(app)   # request size limit, security headers, optional login
    server_status.register(app, service, startup)   # after login: the signed-in user is the client key
    errors.install(app)     # failed callbacks: a message in the page; malformed requests: 400, not 500

    app.glimpse_service = service
    app.glimpse_startup = startup
    app.glimpse_thumbnails = thumbs
    app.glimpse_precompute = jobs
    if start:
        startup.start()
    return app

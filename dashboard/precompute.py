"""Precompute a whole data set from the page: a background job with a progress bar.

The job runs in a thread of the server process (not a separate process), so the results
land in the cache this process serves from, whatever the cache type; with a filesystem
or Redis cache other workers see them too. One job per process at a time. The page polls
the job's status while it runs; Cancel stops it between batches and keeps what was done.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import warnings

from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from explain_core import jobs
from explain_core.errors import GlimpseError
from explain_core.precompute import check_request

from . import ids, validate
from .components import alert, bar_style, progress_bar, register_panel_toggle

log = logging.getLogger("glimpse.precompute")
DEFAULT_METHODS = ("integrated_gradients",)


STATUS_KEY = "glimpse-precompute:status"
CANCEL_KEY = "glimpse-precompute:cancel"


class PrecomputeJobs:
    """Runs service.precompute in a background thread and keeps its status.

    The status (and a cancel request) also go into the service's result cache, so under
    gunicorn every worker sharing a filesystem or Redis cache shows the same job and
    refuses a second one, and Cancel in any worker stops it."""

    def __init__(self, service):
        self.service = service
        self.cache = service.cache
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._status: dict = {"state": "idle"}

    def status(self) -> dict:
        with self._lock:
            mine = dict(self._status)
        if mine.get("state") == "running":
            return mine
        shared = self._shared()
        if shared and shared.get("started", 0) >= mine.get("started", 0):
            if jobs.is_dead({**shared, "beat": shared.get("updated")}):
                shared.update(state="failed", finished=shared.get("updated"),
                              error=f"The server process running the job stopped at {shared.get('done', 0):,} of "
                                    f"{shared.get('total', 0):,} results; what it computed stays cached. "
                                    "Start again to finish.")
            return shared
        return mine

    def _shared(self) -> dict | None:
        try:
            value = self.cache.get(STATUS_KEY)
        except Exception:  # noqa: BLE001 - a cache outage must not break the panel
            return None
        return dict(value) if isinstance(value, dict) else None

    def running(self) -> bool:
        return self.status().get("state") == "running"

    def start(self, model_id: str, methods) -> dict:
        """Start a job; a GlimpseError (shown to the user) if one is running or the request is bad."""
        methods = check_request(self.service, model_id, methods, busy=self.running())
        with self._lock:
            n = len(self.service.samples(model_id).predictions)
            self._stop.clear()
            now = time.time()
            self._status = {"state": "running", "job": f"{os.getpid()}-{now:.6f}", "model_id": model_id,
                            "methods": list(methods), "done": 0, "total": n * len(methods), "samples": n,
                            "started": now, "updated": now, "counts": None, "error": None, "warning": None,
                            "owner": jobs.owner()}
            self._publish()
            self._thread = threading.Thread(target=self._run, args=(model_id, list(methods), self._status["job"]),
                                            name="glimpse-precompute", daemon=True)
            self._thread.start()
            return dict(self._status)

    def cancel(self) -> None:
        self._stop.set()
        job = self.status().get("job")
        if job:
            try:
                self.cache.set(CANCEL_KEY, job)
            except Exception:  # noqa: BLE001
                log.exception("could not store the cancel request")

    def wait(self, timeout: float | None = None) -> dict:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.status()

    def _publish(self) -> None:
        try:
            self.cache.set(STATUS_KEY, dict(self._status))
        except Exception:  # noqa: BLE001 - the local status still works
            log.exception("could not share the precompute status")

    def _set(self, **kw) -> None:
        with self._lock:
            self._status.update(kw, updated=time.time())
            self._publish()

    def _should_stop(self, job: str) -> bool:
        if self._stop.is_set():
            return True
        try:
            return self.cache.get(CANCEL_KEY) == job
        except Exception:  # noqa: BLE001
            return False

    def _run(self, model_id: str, methods: list[str], job: str) -> None:
        try:
            with warnings.catch_warnings(record=True) as caught, jobs.Heartbeat(self._set):
                warnings.simplefilter("always", RuntimeWarning)
                counts = self.service.precompute(model_id, methods, progress=lambda d, t: self._set(done=d, total=t),
                                                 should_stop=lambda: self._should_stop(job))
            warning = next((str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)), None)
            self._set(state="cancelled" if counts.get("cancelled") else "done", counts=counts, warning=warning,
                      finished=time.time())
        except GlimpseError as e:
            self._set(state="failed", error=str(e), finished=time.time())
        except Exception as e:    # a bug; the page still says what happened
            log.exception("precompute failed")
            self._set(state="failed", error=f"Precompute failed ({type(e).__name__}: {e}). See the server log.",
                      finished=time.time())


# ------------------------------------------------------------------------ plain functions
def method_options(service, model_id: str | None) -> list[dict]:
    if not model_id:
        return []
    try:
        methods = service.precomputable(model_id)
    except GlimpseError:
        return []
    return [{"label": title if batched else f"{title} (one sample per call)", "value": name}
            for name, title, batched in methods]


def cache_note(service) -> str:
    kind = service.settings.cache_type
    if kind == "simple":
        return ("Results are kept in this server process's memory only: they last until it restarts, and other "
                "workers do not see them. A file or Redis cache keeps them (the GLIMPSE_CACHE_TYPE setting).")
    return f"Results go into the {kind} cache, which every worker reads."


def describe(status: dict, titles: dict) -> tuple[dict, str, object, bool, dict]:
    """(bar style, progress text, message, poll disabled, cancel-button style) for a job status."""
    state = status.get("state", "idle")
    hidden, shown = {"display": "none"}, {}
    if state == "idle":     # an idle status may carry why no job can run (Celery's Redis away)
        note = alert(status["error"], "warning") if status.get("error") else None
        return bar_style(0), "", note, True, hidden
    total = max(int(status.get("total") or 0), 1)
    done = int(status.get("done") or 0)
    names = ", ".join(titles.get(m, m) for m in status.get("methods", []))
    elapsed = (status.get("finished") or time.time()) - status.get("started", time.time())
    text = f"{names}: {done:,} / {total:,} results · {elapsed:.0f} s"
    if state == "running":
        note = alert(status["warning"], "warning") if status.get("warning") else None
        return bar_style(done / total), text, note, False, shown
    counts = status.get("counts") or {}
    if state == "failed":
        return bar_style(done / total), text, alert(status.get("error") or "Precompute failed."), True, hidden
    summary = (f"{counts.get('computed', 0):,} computed, {counts.get('already_cached', 0):,} already cached, "
               f"in {counts.get('seconds', elapsed):.1f} s.")
    if state == "cancelled":
        message = [alert(f"Cancelled. {summary} What was computed stays cached.", "warning")]
    else:
        # the job's model is named: the panel shows the last job (shared by every worker) while
        # the page may be on another model
        of = f" of {status['model_id']}" if status.get("model_id") else ""
        message = [alert(f"Done: {names} for all {status.get('samples', 0):,} samples{of}. {summary} Clicks on "
                         "these samples with the default settings are now served from the cache.", "success")]
    if status.get("warning"):
        message.append(alert(status["warning"], "warning"))
    return bar_style(done / total), text, message, True, hidden


# ---------------------------------------------------------------------------- layout
def layout():
    return html.Section(id=ids.PRECOMPUTE_PANEL, className="card precompute", style={"display": "none"}, children=[
        html.Div(className="card-title-row", children=[
            html.H2("Precompute explanations", className="card-title"),
            html.Button("close ✕", id=ids.PRECOMPUTE_CLOSE, className="btn btn-small"),
        ]),
        html.P(["Compute explanations for ", html.Strong("every sample"),
                " of the selected model now, many samples per model call, so that every click is served "
                "from the cache. Default settings, explaining the predicted class."], className="muted"),
        dcc.Checklist(id=ids.PRECOMPUTE_METHODS, options=[], value=list(DEFAULT_METHODS),
                      className="checklist", inputClassName="check-input"),
        html.Div(className="row", children=[
            html.Button("Start", id=ids.PRECOMPUTE_START, className="btn btn-primary"),
            html.Button("Cancel", id=ids.PRECOMPUTE_CANCEL, className="btn", style={"display": "none"}),
        ]),
        progress_bar(ids.PRECOMPUTE_BAR, ids.PRECOMPUTE_TEXT),
        html.Div(id=ids.PRECOMPUTE_MESSAGE),
        html.P(id=ids.PRECOMPUTE_NOTE, className="note muted"),
        dcc.Interval(id=ids.PRECOMPUTE_POLL, interval=500, disabled=True),
    ])


# ------------------------------------------------------------------------- callbacks
def register_callbacks(app, service, jobs: PrecomputeJobs):
    titles = {name: spec.title for name, spec in service.methods().items()}
    register_panel_toggle(app, ids.PRECOMPUTE_TOGGLE, ids.PRECOMPUTE_CLOSE, ids.PRECOMPUTE_PANEL)

    @app.callback(Output(ids.PRECOMPUTE_METHODS, "options"), Output(ids.PRECOMPUTE_NOTE, "children"),
                  Input(ids.MODEL, "data"))
    def _options(model_id):
        if not model_id:
            raise PreventUpdate
        return method_options(service, validate.model_id(model_id)), cache_note(service)

    @app.callback(Output(ids.PRECOMPUTE_BAR, "style"), Output(ids.PRECOMPUTE_TEXT, "children"),
                  Output(ids.PRECOMPUTE_MESSAGE, "children"), Output(ids.PRECOMPUTE_POLL, "disabled"),
                  Output(ids.PRECOMPUTE_CANCEL, "style"), Output(ids.PRECOMPUTE_START, "disabled"),
                  Input(ids.PRECOMPUTE_START, "n_clicks"), Input(ids.PRECOMPUTE_CANCEL, "n_clicks"),
                  Input(ids.PRECOMPUTE_POLL, "n_intervals"), Input(ids.PRECOMPUTE_TOGGLE, "n_clicks"),
                  State(ids.MODEL, "data"), State(ids.PRECOMPUTE_METHODS, "value"), prevent_initial_call=True)
    def _job(start, cancel, tick, opened, model_id, methods):
        model_id, methods = validate.optional_model_id(model_id), validate.names(methods, "The methods to precompute")
        return job_action(jobs, titles, ctx.triggered_id, model_id, methods)


def job_action(jobs: PrecomputeJobs, titles: dict, trigger, model_id, methods):
    """The one callback behind Start, Cancel, the poll tick and opening the panel."""
    if trigger in (ids.PRECOMPUTE_START, ids.PRECOMPUTE_CANCEL):
        try:
            jobs.start(model_id, methods) if trigger == ids.PRECOMPUTE_START else jobs.cancel()
        except GlimpseError as e:
            bar, text, _, poll, cancel = describe(jobs.status(), titles)
            return bar, text, alert(str(e), "warning"), poll, cancel, jobs.running()
    status = jobs.status()
    if trigger == ids.PRECOMPUTE_TOGGLE and status.get("state") == "idle" and not status.get("error"):
        return no_update, no_update, no_update, True, {"display": "none"}, False
    bar, text, message, poll, cancel = describe(status, titles)
    return bar, text, message, poll, cancel, status.get("state") == "running"

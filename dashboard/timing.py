"""Opt-in Server-Timing header (GLIMPSE_TIMING=1, or create_app(..., server_timing=True)).

Every response then says where its server time went, in the browser's devtools (Network >
Timing) and in the latency bench (bench/latency.py reads it through resource timing):

    Server-Timing: total;dur=41.2, compute;dur=12.0, figure;dur=20.5, json;dur=3.1

total: the whole request; compute: service.explain(); figure: the figure builders; json:
Dash's serialisation of the response. Off by default: it wraps module functions (and
Dash's to_json) process-wide, which a test or a second app in the process would share.
"""
from __future__ import annotations

import functools
import importlib
import time

# (module, function) of every figure builder a callback calls
FIGURE_BUILDERS = (
    ("dashboard.tabs.gradients", "attribution_figure"), ("dashboard.tabs.lime", "lime_figure"),
    ("dashboard.tabs.tree", "tree_figure"), ("dashboard.tabs.activations", "layer_activation_figure"),
    ("dashboard.tabs.weights", "layer_weights_figure"), ("dashboard.sample_info", "probability_figure"),
)


def add(name: str, seconds: float) -> None:
    """Add time to a span of the current request (nothing outside a request)."""
    from flask import g, has_request_context

    if has_request_context() and hasattr(g, "glimpse_timing"):
        g.glimpse_timing[name] = g.glimpse_timing.get(name, 0.0) + seconds


def timed(name: str, fn):
    """fn, adding its run time to span `name` of the current request."""
    if getattr(fn, "glimpse_span", None) == name:    # installed already
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kw):
        t = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            add(name, time.perf_counter() - t)
    wrapper.glimpse_span = name
    return wrapper


def header_value(total_s: float, spans: dict) -> str:
    parts = [f"total;dur={1000 * total_s:.2f}"] + [f"{k};dur={1000 * v:.2f}" for k, v in spans.items()]
    return ", ".join(parts)


def install(app, service) -> None:
    """Time compute, figure building and serialisation of every request of `app`."""
    import dash._callback as dash_callback
    from flask import g

    service.explain = timed("compute", service.explain)
    for module, name in FIGURE_BUILDERS:
        m = importlib.import_module(module)
        setattr(m, name, timed("figure", getattr(m, name)))
    dash_callback.to_json = timed("json", dash_callback.to_json)
    server = app.server

    @server.before_request
    def _start():
        g.glimpse_timing = {}
        g.glimpse_t0 = time.perf_counter()

    @server.after_request
    def _header(response):
        if hasattr(g, "glimpse_t0"):
            response.headers["Server-Timing"] = header_value(time.perf_counter() - g.glimpse_t0, g.glimpse_timing)
        return response

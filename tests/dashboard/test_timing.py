"""The opt-in Server-Timing header (GLIMPSE_TIMING=1)."""
from __future__ import annotations

import time

import diskcache
from dash import DiskcacheManager

from dashboard import create_app, timing
from dashboard.tabs import gradients


def test_spans_add_up_inside_a_request_and_nothing_outside(service, tmp_path):
    app = create_app(service, DiskcacheManager(diskcache.Cache(str(tmp_path))), start=False)
    slow = timing.timed("compute", lambda: time.sleep(0.01))
    slow()                                   # outside a request: nothing to add to, no error
    with app.server.test_request_context():
        from flask import g

        g.glimpse_timing = {}
        slow()
        slow()
        assert g.glimpse_timing["compute"] >= 0.02
    assert timing.timed("compute", slow) is slow     # wrapping twice keeps one timer
    assert timing.header_value(0.0425, {"compute": 0.01, "json": 0.002}) == \
        "total;dur=42.50, compute;dur=10.00, json;dur=2.00"


def test_the_header_is_there_only_when_asked_for(settings, tmp_path):
    from explain_core import ExplanationService

    plain = create_app(ExplanationService(settings), DiskcacheManager(diskcache.Cache(str(tmp_path / "a"))),
                       start=False)
    assert "Server-Timing" not in plain.server.test_client().get("/_dash-layout").headers
    import importlib

    import dash._callback as dash_callback

    saved = [(importlib.import_module(m), n) for m, n in timing.FIGURE_BUILDERS]
    saved = [(m, n, getattr(m, n)) for m, n in saved] + [(dash_callback, "to_json", dash_callback.to_json)]
    timed = create_app(ExplanationService(settings), DiskcacheManager(diskcache.Cache(str(tmp_path / "b"))),
                       start=False, server_timing=True)
    try:
        header = timed.server.test_client().get("/_dash-layout").headers["Server-Timing"]
        assert header.startswith("total;dur=")
        assert gradients.attribution_figure.glimpse_span == "figure"   # the figure builders are timed
    finally:
        for module, name, fn in saved:   # the wrappers are process-wide: leave none behind
            setattr(module, name, fn)


def test_app_turns_the_header_on_from_a_flag_or_the_environment():
    import app

    assert app.parse_args([], env={}).timing is False
    assert app.parse_args([], env={"GLIMPSE_TIMING": "1"}).timing is True
    assert app.parse_args(["--timing"], env={}).timing is True

"""Small building blocks every part of the page uses: alerts, graphs, progress bars."""
from __future__ import annotations

import functools
import logging

from dash import dcc, html

from explain_core.errors import GlimpseError

log = logging.getLogger("glimpse.dashboard")

# No plotly 'responsive' here: it sizes a figure to its container's height and ignores
# the height the figure builder chose (a 0-height container collapsed every figure).
GRAPH_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}


def alert(message, kind: str = "error"):
    """An alert box: kind 'error', 'warning', 'info' or 'success'."""
    return html.Div(message, className=f"alert alert-{kind}", role="alert")


def graph(figure, **kw):
    return dcc.Graph(figure=figure, config=GRAPH_CONFIG, className="figure", **kw)


def note(text, className: str = "", **kw):
    return html.P(text, className=f"note {className}".strip(), **kw)


def progress_bar(bar_id: str, text_id: str, fraction: float = 0.0, text: str = ""):
    return html.Div([
        html.Div(html.Div(id=bar_id, className="progress-bar", style=bar_style(fraction)), className="progress"),
        html.Div(text, id=text_id, className="progress-text"),
    ])


def bar_style(fraction: float) -> dict:
    return {"width": f"{100 * min(max(float(fraction), 0.0), 1.0):.1f}%"}


def shows_errors(fn):
    """Turn a GlimpseError (something the user asked for that cannot be done) into an
    alert in the page. Anything else is a bug and propagates."""

    @functools.wraps(fn)
    def wrapper(*args, **kw):
        try:
            return fn(*args, **kw)
        except GlimpseError as e:
            log.info("%s: %s", fn.__name__, e)
            return alert(str(e))
    return wrapper

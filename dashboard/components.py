"""Small building blocks every part of the page uses: alerts, graphs, progress bars."""
from __future__ import annotations

import functools
import hashlib
import json
import logging

from dash import dcc, html, no_update, set_props
from dash.development.base_component import Component

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


def register_panel_toggle(app, toggle_id: str, close_id: str, panel_id: str) -> None:
    """A header button shows/hides a panel and its close button hides it, in the browser."""
    from dash import Input, Output, State

    app.clientside_callback(
        """function(open_clicks, close_clicks, style) {
            var trig = (window.dash_clientside.callback_context.triggered[0] || {}).prop_id || '';
            var hidden = trig.indexOf('%s') === 0 ? true : !(style && style.display === 'none');
            return hidden ? {display: 'none'} : {};
        }""" % close_id,
        Output(panel_id, "style"), Input(toggle_id, "n_clicks"), Input(close_id, "n_clicks"),
        State(panel_id, "style"), prevent_initial_call=True)


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


# ------------------------------------------------------------------------ redrawing in place
def skeleton(children) -> str:
    """A digest of a component tree without what redraw() can update in place: the figure of
    a dcc.Graph with an id, the text of a component with an id. Two trees of the same
    skeleton differ only in those."""
    def walk(node, parent_id=None):
        if isinstance(node, (list, tuple)):
            return [walk(c, parent_id) for c in node]
        if isinstance(node, Component):
            cid = getattr(node, "id", None)
            props = {k: v for k, v in node.to_plotly_json()["props"].items() if k != "children"}
            if isinstance(node, dcc.Graph):   # an id'd figure is updated in place; any other differs
                props["figure"] = "in place" if cid is not None else id(node)
            if isinstance(node, html.Img) and cid is not None:   # an id'd image's source too
                props["src"] = "in place"
            return [type(node).__name__, json.dumps(props, sort_keys=True, default=str),
                    walk(getattr(node, "children", None), cid)]
        if isinstance(node, (str, int, float)):
            return "text" if parent_id is not None else str(node)
        return None
    return hashlib.sha1(json.dumps(walk(children)).encode()).hexdigest()[:16]


def redraw(children, drawn: str | None):
    """(children, skeleton) for a tab's output. When the page already shows a tree of the
    same skeleton, only its figures and texts are sent, to their components (set_props),
    and the output itself is left alone: the plots stay mounted and plotly redraws them in
    place (Plotly.react), instead of building new ones for every sample (Dash 4 mounts a
    new plot for every children update, even a Patch)."""
    shape = skeleton(children)
    if shape != drawn:
        return children, shape
    for cid, props in in_place_updates(children):
        set_props(cid, props)
    return no_update, drawn


def in_place_updates(node) -> list[tuple]:
    """(id, props) for every id'd figure, image and text in a tree."""
    out = []
    if isinstance(node, (list, tuple)):
        for c in node:
            out += in_place_updates(c)
    elif isinstance(node, Component):
        cid = getattr(node, "id", None)
        children = getattr(node, "children", None)
        if cid is not None and isinstance(node, dcc.Graph):
            out.append((cid, {"figure": node.figure}))
        if cid is not None and isinstance(node, html.Img):
            out.append((cid, {"src": node.src}))
        if cid is not None and isinstance(children, (str, int, float)):
            out.append((cid, {"children": children}))
        elif children is not None:
            out += in_place_updates(children)
    return out

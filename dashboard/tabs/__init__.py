"""One module per tab: layout() and register_callbacks(app, service), plus a plain
render function the callback calls (and the tests call directly).

A tab renders only while it is the visible one (Input on the tabs' value): clicking
through samples computes nothing for the hidden tabs.
"""
from dash import dcc, html
from dash.exceptions import PreventUpdate

from .. import ids


def panel(tab: str, title: str, caption: str, controls: list):
    """A tab's panel: title, caption, its controls, and a loading output area."""
    return html.Div(id=ids.panel(tab), className="tab-panel", children=[
        html.Div(className="tab-head", children=[
            html.P(caption, className="tab-caption", title=title),
            html.Div(controls, className="tab-controls"),
        ]),
        dcc.Loading(html.Div(id=ids.output(tab), className="tab-output"), type="default", delay_show=150,
                    className="tab-loading"),
    ])


def require_visible(tab_value: str, tab: str, state) -> None:
    """Stop a hidden tab's callback (and any callback before a selection exists)."""
    if tab_value != tab or not state:
        raise PreventUpdate


def layer_choice(layers, wanted, fallback_first=True):
    """The layer result named `wanted`, or the first one (a stale picker after a model switch)."""
    for layer in layers:
        if layer.name == wanted:
            return layer
    return layers[0] if (layers and fallback_first) else None

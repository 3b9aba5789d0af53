"""One module per tab: layout() and register_callbacks(app, service), plus a plain
render function the callback calls (and the tests call directly).

A tab renders from its view store (ids.view(tab): the model, sample and target it
depends on, its VIEW). The page's router (assets/clientside.js `route`) updates only the
visible tab's view, and only when it changed: clicking through samples computes nothing
for the hidden tabs, and going back to a tab that is up to date asks the server nothing.
"""
from dash import dcc, html
from dash.exceptions import PreventUpdate

from .. import ids, validate


def panel(tab: str, title: str, caption: str, controls: list, busy: str | None = None):
    """A tab's panel: title, caption, its controls, and a loading output area whose spinner
    says in words what is being computed (`busy`; busy_spinner)."""
    return html.Div(id=ids.panel(tab), className="tab-panel", children=[
        html.Div(className="tab-head", children=[
            html.P(caption, className="tab-caption", title=title),
            html.Div(controls, className="tab-controls"),
        ]),
        dcc.Loading(html.Div(id=ids.output(tab), className="tab-output"), id=ids.loading(tab), type="default",
                    delay_show=150, className="tab-loading",
                    custom_spinner=busy_spinner(busy or f"Computing the {title.lower()}…")),
    ])


def busy_spinner(words: str):
    """A spinner with words: what is computed and how much ('Computing LIME: 1,000 model calls…')."""
    return html.Div([html.Div(className="busy-wheel"), html.Span(words, className="busy-words")],
                    className="busy", role="status")


def require_visible(tab_value: str, tab: str, view) -> None:
    """Stop a hidden tab's callback (a control it reads changed with the model) and any
    callback before the tab has a view."""
    if tab_value != tab or not view:
        raise PreventUpdate


def visible_view(service, tab_value: str, tab: str, view, keys) -> dict:
    """The tab's view when the tab is shown (else PreventUpdate), checked: its model
    exists, its sample is one of the model's rows, its target a class number."""
    require_visible(tab_value, tab, view)
    return validate.selection(service, view, keys, what=f"{tab} tab's view")


def layer_choice(layers, wanted, fallback_first=True):
    """The layer result named `wanted`, or the first one (a stale picker after a model switch)."""
    for layer in layers:
        if layer.name == wanted:
            return layer
    return layers[0] if (layers and fallback_first) else None

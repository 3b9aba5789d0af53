"""What if: draw a digit or edit the sample's table row, and the prediction, the class
probabilities and an explanation follow live (dashboard/whatif.py; the canvas is
assets/whatif.js). The edited sample is kept in the browser (Keep), travels in a link
(Copy link to this edit: &edit=...) and goes into the exported report."""
from __future__ import annotations

from urllib.parse import parse_qs

import numpy as np
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError

from .. import ids, validate, whatif
from ..components import alert, note, redraw
from ..sample_info import target_value
from . import panel, visible_view

TAB = ids.TAB_WHATIF
LABEL = "What if?"
LEVEL = "sample"
VIEW = ("model", "sample")
PAINTED = "whatif-painted"         # dcc.Store: the canvas painted from the store (assets/whatif.js)
RESULT = "whatif-result"
METHOD = "whatif-method"
KEEP = "whatif-keep"
KEPT = "whatif-kept"               # dcc.Store (local storage): edited samples kept in this browser
KEPT_PICK = "whatif-kept-pick"
LINK = "whatif-link"
DRAWN = "whatif-drawn"             # dcc.Store: the skeleton of the result shown (components.redraw)


def layout():
    controls = [
        html.Label(["Explain with", dcc.Dropdown(id=METHOD, value=whatif.DEFAULT_METHOD, clearable=False,
                                                 searchable=False, options=[{"label": m, "value": m}
                                                                            for m in whatif.METHODS])],
                   className="control"),
        html.Button("Keep this edit", id=KEEP, className="btn", title="Keep the edited sample in this browser"),
        dcc.Dropdown(id=KEPT_PICK, placeholder="kept edits…", clearable=True, searchable=False,
                     className="whatif-kept-pick"),
        html.Button("Copy link to this edit", id=LINK, className="btn",
                    title="A link that reopens this edited sample (it travels in the address)"),
    ]
    out = panel(TAB, "What if?", "Change the sample and watch the model: the prediction, the class probabilities "
                "and the explanation follow each stroke or edit.", controls)
    out.children += [dcc.Store(id=ids.WHATIF_INPUT, data=whatif.EMPTY), dcc.Store(id=PAINTED),
                     dcc.Store(id=KEPT, storage_type="local", data=[]), dcc.Store(id=DRAWN)]
    return out


def link_edit(search, model_id: str):
    """The packed edit of a link (?edit=...), when the link names this model."""
    q = parse_qs((validate.text(search, "The page address") or "").lstrip("?"))
    if q.get("model", [None])[0] != model_id:
        return None
    return q.get("edit", [None])[0]


def editor(service, view, search, method, target) -> tuple:
    """(the editor and its first result, the store's data) for the view's model and sample."""
    info = service.model_info(view["model"])
    why = whatif.why_not(info)
    if why:
        return [note(why, className="whatif-none")], whatif.EMPTY
    values, origin = whatif.start_values(service, view, link_edit(search, view["model"]))
    data = {"model": view["model"], "sample": view["sample"], "values": values, "origin": origin}
    if info.kind == "tabular":
        from explain_core.inputs import observed_range

        lo, hi = observed_range(service.dataset_for(view["model"]))
        box = whatif.feature_editor(info, np.asarray(values), lo, hi)
    else:
        box = whatif.canvas_editor(info)
    # the editor and, beside it, what the model makes of the edit (a pattern id: it comes and goes with the editor)
    result = html.Div(whatif.live_or_message(service, view["model"], values, method, target),
                      id={"type": RESULT, "index": 0}, className="whatif-result")
    return [html.Div(className="whatif", children=[
        html.Div([note(whatif.tab_note(info), className="whatif-note"), box], className="whatif-edit"), result])], data


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.WHATIF_INPUT, "data"),
                  Output(METHOD, "options"), Output(DRAWN, "data"),
                  Input(ids.view(TAB), "data"), State(ids.TABS, "value"), State(ids.URL, "search"),
                  State(METHOD, "value"), State(ids.TARGET, "value"))
    def _render(view, tab, search, method, target):
        view = visible_view(service, tab, TAB, view, VIEW)
        method = validate.choice(method, whatif.METHODS, "The what-if method", optional=False)
        try:
            children, data = editor(service, view, search, method, target_value(validate.target(target)))
        except GlimpseError as e:
            return [alert(str(e))], whatif.EMPTY, no_update, None
        # a new editor: the first stroke's answer is sent whole, the next ones go in place
        return children, data, whatif.method_options(service.model_info(view["model"])), None

    # the table's fields into the store (the canvas writes it itself: assets/whatif.js)
    app.clientside_callback(ClientsideFunction("glimpse_whatif", "fields"), Output(ids.WHATIF_INPUT, "data",
                                                                                   allow_duplicate=True),
                            Input({"type": whatif.WHATIF_FEATURE, "index": ALL}, "value"),
                            State(ids.WHATIF_INPUT, "data"), prevent_initial_call=True)
    # a new sample (or a kept edit) painted on the canvas
    app.clientside_callback(ClientsideFunction("glimpse_whatif", "paint"), Output(PAINTED, "data"),
                            Input(ids.WHATIF_INPUT, "data"))

    # Each stroke's answer goes into the components shown (the prediction's text, the two
    # figures redrawn in place by Plotly.react), not a new result mounted per stroke.
    @app.callback(Output({"type": RESULT, "index": ALL}, "children"), Output(DRAWN, "data", allow_duplicate=True),
                  Input(ids.WHATIF_INPUT, "data"),
                  Input(METHOD, "value"), Input(ids.TARGET, "value"), State(ids.TABS, "value"),
                  State({"type": RESULT, "index": ALL}, "id"), State(DRAWN, "data"), prevent_initial_call=True)
    def _live(edited, method, target, tab, shown, drawn):
        if tab != TAB or not isinstance(edited, dict) or not edited.get("model") or not shown:
            raise PreventUpdate
        if ctx.triggered_id == ids.WHATIF_INPUT and edited.get("origin") in ("sample", "link"):
            raise PreventUpdate     # the editor came with its first result
        model_id = validate.model_id(edited.get("model"))
        info = service.model_info(model_id)
        method = validate.choice(method, whatif.METHODS, "The what-if method", optional=False)
        values = whatif.store_values(edited, model_id, int(np.prod(info.input_shape)))
        target = target_value(validate.target(target))
        children, drawn = redraw(whatif.live_or_message(service, model_id, values, method, target), drawn)
        return [children] * len(shown), drawn

    app.clientside_callback(ClientsideFunction("glimpse_whatif", "keep"), Output(KEPT, "data"),
                            Output(ids.SHARE_STATUS, "children", allow_duplicate=True),
                            Input(KEEP, "n_clicks"), State(ids.WHATIF_INPUT, "data"), State(KEPT, "data"),
                            prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("glimpse_whatif", "keptOptions"), Output(KEPT_PICK, "options"),
                            Input(KEPT, "data"), Input(ids.MODEL, "data"))
    app.clientside_callback(ClientsideFunction("glimpse_whatif", "pickKept"),
                            Output(ids.WHATIF_INPUT, "data", allow_duplicate=True),
                            Input(KEPT_PICK, "value"), State(KEPT, "data"), State(ids.WHATIF_INPUT, "data"),
                            prevent_initial_call=True)

    @app.callback(Output(ids.SHARE_STATUS, "children", allow_duplicate=True), Output(LINK, "title"),
                  Input(LINK, "n_clicks"), State(ids.WHATIF_INPUT, "data"), State(ids.URL, "href"),
                  prevent_initial_call=True)
    def _link(n, edited, href):
        if not n or not isinstance(edited, dict) or not edited.get("model"):
            raise PreventUpdate
        from explain_core.inputs import observed_range

        model_id = validate.model_id(edited["model"])
        info = service.model_info(model_id)
        values = whatif.store_values(edited, model_id, int(np.prod(info.input_shape)))
        lo, hi = observed_range(service.dataset_for(model_id)) if info.kind == "image" else (0.0, 1.0)
        href = validate.text(href, "The page address") or ""
        base = href.split("?")[0]
        link = f"{base}?model={model_id}&sample={edited.get('sample') or 0}&tab={TAB}&edit=" + \
            whatif.pack(values, info, float(lo), float(hi))
        return f"Link to this edit: {link}", link

    app.clientside_callback(ClientsideFunction("glimpse_whatif", "copyLink"), Output(LINK, "className"),
                            Input(LINK, "title"), prevent_initial_call=True)

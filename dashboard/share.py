"""Share the view: "Export report" (one self-contained HTML file, dashboard/report.py),
"Export PNG" and "Copy link" (in the browser: assets/share.js), "Present" (presentation
mode: assets/present.js)."""
from __future__ import annotations

from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError

from . import ids, validate
from .components import alert
from .params import collect_params
from .report import report_filename, report_html
from .report_view import collect

REPORT_TABS = (ids.TAB_GRADIENTS, ids.TAB_LIME, ids.TAB_TREE, ids.TAB_ACTIVATIONS, ids.TAB_WEIGHTS)


def layout():
    def button(label, id_, title):
        return html.Button(label, id=id_, className="btn btn-share", title=title)
    return html.Div(id=ids.SHARE_BAR, className="share-bar", children=[
        button("Export report", ids.SHARE_REPORT, "Download this view as one HTML file (opens offline): the model "
                                                  "card, the sample, the method and its parameters, the figures"),
        button("Export PNG", ids.SHARE_PNG, "Save this tab's first figure as a PNG image"),
        button("Copy link", ids.SHARE_COPY, "Copy the address of this view: it reopens the same model, sample, "
                                            "tab and settings"),
        button("Present", ids.SHARE_PRESENT, "Presentation mode: large type, the sample and its explanation only; "
                                             "← → step through the listed samples, Esc leaves"),
        html.Span(id=ids.SHARE_STATUS, className="share-status muted", **{"aria-live": "polite"}),
        dcc.Download(id=ids.SHARE_DOWNLOAD),
        dcc.Store(id=ids.PRESENT, data={}), dcc.Store(id=ids.PRESENT_KEY),
        html.Div(id=ids.PRESENT_BADGE, className="present-badge"),
    ])


def _pattern(slot):
    return {"type": ids.PARAM, "slot": slot, "method": ALL, "name": ALL}


def gradient_controls(service, method_a, ids_a, values_a, method_b, ids_b, values_b, channels) -> dict:
    """The gradient tab's settings as report_view.sections takes them, checked."""
    from .tabs.gradients import EACH_CHANNEL, METHOD_NAMES

    specs = service.methods()
    method_a = validate.choice(method_a, METHOD_NAMES, "method", optional=False)
    method_b = validate.choice(method_b, (ids.NO_METHOD,) + METHOD_NAMES, "compare-with method")
    ids_a, values_a = validate.param_controls(ids_a, values_a, "first map's")
    ids_b, values_b = validate.param_controls(ids_b, values_b, "second map's")
    return {"method_a": method_a, "params_a": collect_params(specs[method_a], ids_a, values_a),
            "method_b": method_b,
            "params_b": collect_params(specs[method_b], ids_b, values_b) if method_b in specs else {},
            "per_channel": EACH_CHANNEL in validate.names(channels, "The channel view", (EACH_CHANNEL,))}


def lime_controls(info, n_samples, kernel_width, patch) -> dict:
    """LIME's settings as its tab sends them (the numbers are checked by the engine)."""
    out = {}
    if n_samples not in (None, ""):
        out["n_samples"] = n_samples
    if kernel_width not in (None, ""):
        out["kernel_width"] = kernel_width
    if patch not in (None, "") and info.kind == "image":
        out["patch"] = patch
    return out


def export(service, state, tab, target, controls: dict, href, edited=None) -> tuple:
    """(download, status) of the report of the view, or (no_update, an alert) when the view
    cannot be exported."""
    state = validate.selection(service, state)
    href = validate.text(href, "The page address") or ""
    inputs = None
    if tab == ids.TAB_WHATIF:       # the edited sample, explained with the what-if tab's method
        from .whatif import METHODS, edited_input
        inputs = edited_input(service, edited, state)
        method = validate.choice(controls.get("whatif_method"), METHODS, "The what-if method", optional=False)
        controls = {"method_a": method, "method_b": ids.NO_METHOD}
        tab = ids.TAB_LIME if method == "lime" else ids.TAB_GRADIENTS
    elif tab not in REPORT_TABS:
        return no_update, alert("This view has no report yet: open one of the per-sample tabs (gradient maps, LIME, "
                                "the tree, activations, weights) and export again.", "warning")
    report = collect(service, state["model"], state["sample"], tab, validate.target(target), controls, href,
                     inputs=inputs)
    name = report_filename(state["model"], state["sample"] if inputs is None else "edited", tab)
    return dict(content=report_html(report), filename=name, type="text/html"), f"Report saved as {name}."


def register_callbacks(app, service):
    @app.callback(Output(ids.SHARE_DOWNLOAD, "data"), Output(ids.SHARE_STATUS, "children"),
                  Input(ids.SHARE_REPORT, "n_clicks"),
                  State(ids.STATE, "data"), State(ids.TABS, "value"), State(ids.TARGET, "value"),
                  State(ids.METHOD_A, "value"), State(_pattern("a"), "id"), State(_pattern("a"), "value"),
                  State(ids.METHOD_B, "value"), State(_pattern("b"), "id"), State(_pattern("b"), "value"),
                  State(ids.GRAD_CHANNELS, "value"), State(ids.LIME_SAMPLES, "value"),
                  State(ids.LIME_KERNEL, "value"), State(ids.LIME_PATCH, "value"), State(ids.TREE_DEPTH, "value"),
                  State(ids.ACT_LAYER, "value"), State(ids.WEIGHT_LAYER, "value"), State(ids.URL, "href"),
                  State(ids.WHATIF_INPUT, "data"), State("whatif-method", "value"), prevent_initial_call=True, running=[
                      (Output(ids.SHARE_REPORT, "disabled"), True, False),
                      (Output(ids.SHARE_REPORT, "children"), "Preparing the report…", "Export report")])
    def _export(n, state, tab, target, method_a, ids_a, values_a, method_b, ids_b, values_b, channels,
                lime_n, lime_kernel, lime_patch, depth, act_layer, weight_layer, href, edited, whatif_method):
        if not n or not state:
            raise PreventUpdate
        try:
            info = service.model_info(validate.selection(service, state)["model"])
            controls = gradient_controls(service, method_a, ids_a, values_a, method_b, ids_b, values_b, channels)
            controls.update(lime=lime_controls(info, lime_n, lime_kernel, lime_patch), depth=depth,
                            layer=validate.name(act_layer if tab == ids.TAB_ACTIVATIONS else weight_layer, "layer"),
                            whatif_method=whatif_method)
            return export(service, state, validate.name(tab, "tab"), target, controls, href, edited)
        except GlimpseError as e:
            return no_update, alert(f"The report could not be made: {e}")

    app.clientside_callback(ClientsideFunction("glimpse_present", "present"), Output(ids.PRESENT, "data"),
                            Output(ids.SELECT, "data", allow_duplicate=True), Output(ids.PRESENT_BADGE, "children"),
                            Input(ids.SHARE_PRESENT, "n_clicks"), Input(ids.PRESENT_KEY, "data"),
                            Input(ids.STATE, "data"), State(ids.URL, "search"), State(ids.BROWSER_SHOWN, "data"),
                            State(ids.PRESENT, "data"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("glimpse_share", "copy"), Output(ids.SHARE_COPY, "title"),
                            Input(ids.SHARE_COPY, "n_clicks"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("glimpse_share", "png"), Output(ids.SHARE_PNG, "title"),
                            Input(ids.SHARE_PNG, "n_clicks"), State(ids.URL, "search"), prevent_initial_call=True)

"""Model view: the pruning what-if. Remove units or filters of one layer from a copy of the
model (never the served one) and see the held-out accuracy, the classes that lost it, the
predictions that changed, and the selected sample's prediction and integrated-gradients map
before and after; the accuracy-against-fraction curve of every layer as a background job."""
from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError, ParameterError
from explain_core.model_views.pruning_curve import cached, reporting

from .. import ids, validate
from ..components import alert, bar_style, graph, note, progress_bar, redraw, shows_errors
from ..figures.attribution import attribution_figure, feature_order
from ..figures.pruning import class_change_figure, curve_figure, headline, prediction_text, unit_scores_figure
from ..sample_info import target_value
from . import panel, visible_view

TAB = ids.TAB_PRUNING
LABEL = "Pruning what-if"
LEVEL = "model"
VIEW = ("model", "sample", "target")
HOW_OPTIONS = [{"label": "smallest weights", "value": "magnitude"},
               {"label": "least active", "value": "activity"},
               {"label": "by hand", "value": "hand"}]
HOW = tuple(o["value"] for o in HOW_OPTIONS)


def settings(layer, how, k, units) -> dict:
    """The request's pruning parameters, checked at the boundary (the engine checks ranges)."""
    how = validate.choice(how, HOW, "How to choose units", optional=False)
    params = {"layer": validate.name(layer, "The layer"), "how": how}
    if how == "hand":
        if units is not None and not isinstance(units, list):
            raise ParameterError(f"The units picked must be a list of unit numbers, got {units!r:.40}")
        params["units"] = list(units or [])
    else:
        params["k"] = validate.whole(k, "How many units", lo=0, default=0)
    if params["layer"] is None:
        raise PreventUpdate           # the layer picker is being filled for a new model
    return params


@shows_errors
def render(service, model_id: str, sample_id: int, target, params: dict):
    result = service.model_view(model_id, "pruning", **params)
    info = service.model_info(model_id)
    sample = service.model_view(model_id, "pruning_sample", sample=sample_id, target=target_value(target), **params)
    figures = [html.Div(graph(unit_scores_figure(result), id={"type": ids.PRUNE_UNIT_BARS, "index": 0}),
                        className="prune-col")]
    if result.metric == "accuracy":
        figures.append(html.Div(graph(class_change_figure(result), id="prune-classes"), className="prune-col"))
    before_line, after_line = prediction_text(sample, info.class_names)
    names = info.feature_names
    order = feature_order(sample.before.attribution) if sample.before.attribution.ndim == 1 else None
    pair = [html.Div(graph(attribution_figure(sample.before, names, title=f"As served: {before_line}",
                                              class_names=info.class_names, order=order), id="prune-before"),
                     className="prune-col"),
            html.Div(graph(attribution_figure(sample.after, names, title=f"Pruned: {after_line}",
                                              class_names=info.class_names, order=order), id="prune-after"),
                     className="prune-col")]
    return [html.P(headline(result), className="prune-headline", id="prune-headline"),
            html.Div(figures, className="panes two" if len(figures) == 2 else "panes"),
            html.H4(f"Sample {sample_id}, before and after (integrated gradients of the same target)",
                    className="prune-subhead"),
            html.Div(pair, className="panes two")]


def layer_options(service, model_id: str) -> list[dict]:
    layers = service.model_view(model_id, "pruning_layers")
    return [{"label": f"{pl.name} ({pl.units} {'filters' if pl.type == 'Conv2d' else 'units'})",
             "value": pl.name, "units": pl.units} for pl in layers]


def toggled(service, view: dict, params: dict, click) -> list[int]:
    """The hand-picked units after a click on a unit's bar: the units removed now, with the
    clicked one added or taken out."""
    points = (click or {}).get("points") if isinstance(click, dict) else None
    if not points or not isinstance(points[0], dict):
        raise PreventUpdate
    unit = validate.whole(points[0].get("customdata", points[0].get("x")), "The clicked unit")
    current = set(int(u) for u in service.model_view(view["model"], "pruning", **params).units)
    return sorted(current ^ {unit})


def layout():
    controls = [
        html.Label(["Layer", dcc.Dropdown(id=ids.PRUNE_LAYER, clearable=False, searchable=False,
                                          style={"width": "13em"})], className="control"),
        html.Label(["Remove", dcc.RadioItems(id=ids.PRUNE_HOW, options=HOW_OPTIONS, value="magnitude", inline=True)],
                   className="control"),
        html.Label(["How many", dcc.Input(id=ids.PRUNE_K, type="number", min=0, step=1, value=0, debounce=True,
                                          style={"width": "5em"})], className="control", id="prune-k-wrap"),
        html.Label(["Units", dcc.Dropdown(id=ids.PRUNE_UNITS, multi=True, value=[], placeholder="click bars or pick",
                                          style={"minWidth": "14em"})], className="control", id="prune-units-wrap",
                   style={"display": "none"}),
    ]
    out = panel(TAB, "Pruning what-if", "Remove units (dense) or filters (convolution) of one layer from a copy of the "
                "model and see what changes on the held-out data. The model itself is never changed.", controls)
    out.children.append(html.Div(className="prune-curve-box", children=[
        html.Button("Draw accuracy against the share pruned, every layer", id=ids.PRUNE_CURVE_START,
                    className="button"),
        html.Div(progress_bar(ids.PRUNE_CURVE_BAR, ids.PRUNE_CURVE_TEXT), id="prune-curve-progress",
                 style={"display": "none"}),
        html.Div(id=ids.PRUNE_CURVE)]))
    return out


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"), Input(ids.PRUNE_LAYER, "value"), Input(ids.PRUNE_HOW, "value"),
                  Input(ids.PRUNE_K, "value"), Input(ids.PRUNE_UNITS, "value"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, layer, how, k, units, tab, drawn):
        try:
            view = visible_view(service, tab, TAB, view, VIEW)
            params = settings(layer, how, k, units)
        except GlimpseError as e:
            return [alert(str(e))], None
        return redraw(render(service, view["model"], view["sample"], view["target"], params), drawn)

    @app.callback(Output(ids.PRUNE_LAYER, "options"), Output(ids.PRUNE_LAYER, "value"), Input(ids.MODEL, "data"))
    def _layers(model_id):
        if not model_id:
            raise PreventUpdate
        try:
            options = layer_options(service, validate.model_id(model_id))
        except GlimpseError:
            options = []
        return [{"label": o["label"], "value": o["value"]} for o in options], (options[0]["value"] if options else None)

    @app.callback(Output(ids.PRUNE_K, "max"), Output(ids.PRUNE_K, "value"), Output(ids.PRUNE_UNITS, "options"),
                  Output(ids.PRUNE_UNITS, "value"), Input(ids.PRUNE_LAYER, "value"), State(ids.MODEL, "data"))
    def _units(layer, model_id):
        if not layer or not model_id:
            raise PreventUpdate
        units = {o["value"]: o["units"] for o in layer_options(service, validate.model_id(model_id))}
        n = units.get(validate.name(layer, "The layer"))
        if n is None:
            raise PreventUpdate
        return n, n // 4, [{"label": str(u), "value": u} for u in range(n)], []

    app.clientside_callback(
        """function(how) { var hand = how === 'hand';
            return [hand ? {display: 'none'} : {}, hand ? {} : {display: 'none'}]; }""",
        Output("prune-k-wrap", "style"), Output("prune-units-wrap", "style"), Input(ids.PRUNE_HOW, "value"))

    @app.callback(Output(ids.PRUNE_HOW, "value"), Output(ids.PRUNE_UNITS, "value", allow_duplicate=True),
                  Input({"type": ids.PRUNE_UNIT_BARS, "index": ALL}, "clickData"),
                  State(ids.view(TAB), "data"), State(ids.PRUNE_LAYER, "value"), State(ids.PRUNE_HOW, "value"),
                  State(ids.PRUNE_K, "value"), State(ids.PRUNE_UNITS, "value"), prevent_initial_call=True)
    def _toggle(clicks, view, layer, how, k, units):
        if not isinstance(ctx.triggered_id, dict) or not any(clicks or []):
            raise PreventUpdate
        view = validate.selection(service, view, ("model",), what="pruning tab's view")
        params = settings(layer, how, k, units)
        return "hand", toggled(service, view, params, (clicks or [None])[0])

    @app.callback(Output(ids.PRUNE_CURVE, "children"), Input(ids.view(TAB), "data"), State(ids.TABS, "value"))
    def _curve_cached(view, tab):
        view = visible_view(service, tab, TAB, view, ("model",))
        curve = cached(service, view["model"])
        return [graph(curve_figure(curve), id="prune-curve-figure")] if curve is not None else []

    @app.callback(Output(ids.PRUNE_CURVE, "children", allow_duplicate=True),
                  Input(ids.PRUNE_CURVE_START, "n_clicks"), State(ids.MODEL, "data"),
                  background=True, prevent_initial_call=True, interval=500,
                  progress=[Output(ids.PRUNE_CURVE_BAR, "style"), Output(ids.PRUNE_CURVE_TEXT, "children")],
                  running=[(Output(ids.PRUNE_CURVE_START, "disabled"), True, False),
                           (Output("prune-curve-progress", "style"), {}, {"display": "none"})])
    def _curve(set_progress, n_clicks, model_id):
        if not n_clicks:
            raise PreventUpdate
        return draw_curve(service, validate.model_id(model_id), set_progress)


def draw_curve(service, model_id: str, set_progress) -> list:
    """The curve's figure (computing it with progress reports), or an alert saying why not."""
    def report(p):
        set_progress((bar_style(p["done"] / p["total"]),
                      f"Pruning {p['layer']}: {p['done']} of {p['total']} settings evaluated"))
    try:
        set_progress((bar_style(0), "Starting…"))
        with reporting(report):
            curve = service.model_view(model_id, "pruning_curve")
    except GlimpseError as e:
        return [alert(str(e))]
    return [graph(curve_figure(curve), id="prune-curve-figure")] if len(curve.layers) else \
        [note("This model has no layer to prune before its output layer.")]


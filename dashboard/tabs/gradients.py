"""Tab 3: gradient-based maps (saliency, gradient × input, integrated gradients,
SmoothGrad, Grad-CAM, occlusion), one method or two side by side."""
from __future__ import annotations

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from explain_core.errors import GlimpseError
from explain_core.methods.registry import METHODS

from .. import heads, ids, quality, validate
from ..components import graph, note, redraw, shows_errors
from ..figures.attribution import attribution_figure, feature_order
from ..figures.common import METHOD_TITLES
from ..params import collect_params, param_controls
from ..sample_info import target_value
from . import panel, visible_view

TAB = ids.TAB_GRADIENTS
LABEL = "Gradient maps"
LEVEL = "sample"
VIEW = ("model", "sample", "target")
METHOD_NAMES = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "gradient_shap", "gradcam",
                "occlusion", "attention_rollout")
DEFAULT_METHOD = "integrated_gradients"
EACH_CHANNEL = "each"     # the ids.GRAD_CHANNELS checklist's value: one map per colour channel


def method_options(service, info) -> list[dict]:
    """The methods that apply to a model: Grad-CAM only where there is a convolution layer,
    attention rollout only where there are attention layers."""
    specs = service.methods()
    return [{"label": specs[m].title, "value": m} for m in METHOD_NAMES
            if info.kind in specs[m].kinds and (m != "gradcam" or info.conv_layers)
            and (m != "attention_rollout" or info.attention_layers)]


def compare_options(service, info) -> list[dict]:
    return [{"label": "(no comparison)", "value": ids.NO_METHOD}] + method_options(service, info)


def completeness_note(result, note_id=None):
    """IG's check, plain words first: the attributions should add up to f(x) - f(baseline);
    the technical figures (the delta) on a details line under it."""
    if result.delta is None:
        return None
    diff = result.extras.get("output_difference")
    rel = result.relative_delta
    total = float(result.attribution.sum())
    text = f"Completeness: attributions sum to {total:.4f}"
    if diff is not None:
        text += f", and the score moves by {float(diff):.4f} from the baseline to this sample"
    if rel is not None:
        text += f": {100 * rel:.2f}% apart" + (" (close: the map accounts for the whole change)." if rel <= 0.05
                                              else " (far: try more steps).")
    else:
        text += "."
    if result.params.get("n_steps") == "auto" and "steps_used" in result.extras:
        e = result.extras
        text += (f" Steps: {e['steps_used']}, chosen for this sample to bring the gap under {100 * e['tolerance']:g}%."
                 if e["reached"] else f" Steps: {e['steps_used']}, the most allowed; the gap is still over "
                 f"{100 * e['tolerance']:g}%.")
    tech = f"f(input) − f(baseline) = {float(diff):.4f}; " if diff is not None else ""
    tech += f"delta = {result.delta:.2e} (Σ attributions − (f(input) − f(baseline)))"
    sid = {"id": note_id} if note_id else {}
    tid = {"id": f"{note_id}-tech"} if note_id else {}
    return html.Div(className="completeness", children=[
        note(text, **sid),
        html.Details([html.Summary("details", className="muted"), html.Code(tech, className="tech", **tid)],
                     className="tech-details")])


@shows_errors
def render_one(service, model_id: str, sample_id: int, target, method: str, params: dict, slot: str = "a",
               per_channel: bool = False, order=None):
    """A map and IG's completeness note; ids per pane let the next sample redraw them in place.
    order: the feature order of a table's bars (the first pane's, so the rows line up)."""
    info = service.model_info(model_id)
    result = service.explain(model_id, sample_id, method, target=target_value(target), **params)
    fig = attribution_figure(result, feature_names=info.feature_names, class_names=info.class_names,
                             per_channel=per_channel, order=order,
                             score=heads.score_words(info, result.target))
    fig = heads.reword(fig, info, METHOD_TITLES.get(method, method), result.target, heads.attribution_words(info))
    children = [graph(fig, id=f"map-{slot}")]
    delta = completeness_note(result, f"map-note-{slot}")
    if delta is not None:
        children.append(delta)
    return html.Div(children, className="pane")


def render(service, model_id: str, sample_id: int, target, method: str, params: dict,
           compare: str | None = None, compare_params: dict | None = None, per_channel: bool = False):
    """One map, or two side by side when `compare` names a second method; per_channel: an
    RGB map per channel instead of summed over them."""
    panes = [render_one(service, model_id, sample_id, target, method, params, per_channel=per_channel)]
    if compare and compare != ids.NO_METHOD:
        panes.append(render_one(service, model_id, sample_id, target, compare, compare_params or {}, slot="b",
                                per_channel=per_channel, order=shared_order(service, model_id, sample_id, target,
                                                                             method, params)))
        panes.append(note(SCALES_NOTE, className="panes-note"))
    return html.Div(panes, className="panes two" if len(panes) > 1 else "panes")


SCALES_NOTE = ("Side by side, each map has its own colour range (its colour bar): the methods measure different "
               "things (gradients per unit of input, shares of the score), so their numbers are not comparable, only "
               "where each puts its weight. Tables list the same features in the same rows (the first map's order).")


def shared_order(service, model_id: str, sample_id: int, target, method: str, params: dict):
    """A table's feature order for the second pane: the first pane's (None for images or
    when the first map failed; it is cached, so asking again costs nothing)."""
    if service.model_info(model_id).kind == "image":
        return None
    try:
        result = service.explain(model_id, sample_id, method, target=target_value(target), **params)
    except GlimpseError:
        return None
    return feature_order(result.attribution)


def controls_ready(spec, info, control_ids) -> bool:
    """Whether the page shows `spec`'s parameter controls yet. Right after a method (or
    model) switch it still shows the old method's: rendering then would compute with the
    defaults and again a moment later when the new controls arrive (twice the work, two
    figures drawn)."""
    if not param_controls("x", spec, info):
        return True
    return any(c.get("method") == spec.name for c in control_ids or ())


def kept_methods(method_a, method_b, allowed) -> tuple:
    """The pickers' values after a model switch: unchanged (no_update: writing the same value
    would rebuild the parameter controls and render the map once more) unless the new
    model does not offer them."""
    return (no_update if method_a in allowed else DEFAULT_METHOD,
            no_update if method_b in allowed else ids.NO_METHOD)


def all_method_options() -> list[dict]:
    """Every method, before a model narrows the list: a dropdown drops a value missing from
    its options, and a deep link sets the method before the model's list arrives."""
    return [{"label": METHODS[m].title, "value": m} for m in METHOD_NAMES]


def settings(params_id: str):
    """A method's parameter controls, folded away under one line: the map comes first on the
    screen (the map's caption names the settings that matter)."""
    return html.Details([html.Summary("settings", className="settings-summary"),
                         html.Div(id=params_id, className="params")], className="settings")


def layout():
    every = all_method_options()
    controls = [
        html.Div(className="method-col", children=[
            html.Label(["Method", dcc.Dropdown(id=ids.METHOD_A, value=DEFAULT_METHOD, clearable=False,
                                               searchable=False, options=every)], className="control"),
            settings(ids.PARAMS_A),
        ]),
        html.Div(className="method-col", children=[
            html.Label(["Compare with", dcc.Dropdown(
                id=ids.METHOD_B, value=ids.NO_METHOD, clearable=False, searchable=False,
                options=[{"label": "(no comparison)", "value": ids.NO_METHOD}] + every)], className="control"),
            settings(ids.PARAMS_B),
        ]),
        html.Div(id=ids.GRAD_CHANNELS_WRAP, style={"display": "none"}, className="method-col", children=[
            dcc.Checklist(id=ids.GRAD_CHANNELS, value=[], className="param-check",
                          options=[{"label": "one map per colour channel", "value": EACH_CHANNEL}]),
        ]),
    ]
    out = panel(TAB, "Gradient maps",
                "Which input pixels or features moved the model's score for the explained class; the map's own "
                "caption says what its colours and numbers mean.", controls,
                busy="Computing integrated gradients: as many steps as this sample needs for 1% accuracy…")
    out.children.append(quality.section())     # how far to trust the map: dashboard/quality.py
    return out


def stale_quality(triggered, scores, table) -> dict:
    """The quality outputs a change makes stale: the scores follow the sample, the first
    method and its settings; the which-method table only the sample."""
    view = f"{ids.view(TAB)}.data" in triggered
    first = view or f"{ids.METHOD_A}.value" in triggered or any('"slot":"a"' in str(p) for p in triggered)
    return {**({ids.QUALITY_OUT: scores} if first else {}), **({ids.QUALITY_TABLE_OUT: table} if view else {})}


def _param_pattern(slot):
    return {"type": ids.PARAM, "slot": slot, "method": ALL, "name": ALL}


def register_callbacks(app, service):
    quality.register_callbacks(app, service, TAB, METHOD_NAMES)
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"),
                  Input(ids.METHOD_A, "value"), Input(_param_pattern("a"), "value"),
                  Input(ids.METHOD_B, "value"), Input(_param_pattern("b"), "value"),
                  Input(ids.GRAD_CHANNELS, "value"),
                  State(_param_pattern("a"), "id"), State(_param_pattern("b"), "id"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"),
                  State(ids.QUALITY_OUT, "children"), State(ids.QUALITY_TABLE_OUT, "children"))
    def _render(view, method_a, values_a, method_b, values_b, channels, ids_a, ids_b, tab, drawn, scores, table):
        view = visible_view(service, tab, TAB, view, VIEW)
        quality.clear_stale(stale_quality(ctx.triggered_prop_ids, scores, table))
        specs = service.methods()
        if method_a is None:   # the dropdown is between option lists (a model switch)
            raise PreventUpdate
        method_a = validate.choice(method_a, METHOD_NAMES, "method")
        method_b = validate.choice(method_b, (ids.NO_METHOD,) + METHOD_NAMES, "compare-with method")
        ids_a, values_a = validate.param_controls(ids_a, values_a, "first map's")
        ids_b, values_b = validate.param_controls(ids_b, values_b, "second map's")
        per_channel = EACH_CHANNEL in validate.names(channels, "The channel view", (EACH_CHANNEL,))
        info = service.model_info(view["model"])
        if not controls_ready(specs[method_a], info, ids_a) or (method_b in specs and
                                                                not controls_ready(specs[method_b], info, ids_b)):
            raise PreventUpdate   # a method's controls are on their way and will call again
        params_a = collect_params(specs[method_a], ids_a, values_a)
        params_b = collect_params(specs[method_b], ids_b, values_b) if method_b in specs else {}
        children = render(service, view["model"], view["sample"], view["target"], method_a, params_a, method_b,
                          params_b, per_channel)
        return redraw(children, drawn)

    @app.callback(Output(ids.METHOD_A, "options"), Output(ids.METHOD_B, "options"),
                  Output(ids.METHOD_A, "value", allow_duplicate=True),
                  Output(ids.METHOD_B, "value", allow_duplicate=True),
                  Input(ids.MODEL, "data"), State(ids.METHOD_A, "value"), State(ids.METHOD_B, "value"),
                  prevent_initial_call=True)
    def _methods(model_id, method_a, method_b):
        info = service.model_info(validate.model_id(model_id))
        method_a, method_b = validate.name(method_a, "method"), validate.name(method_b, "compare-with method")
        a, b = method_options(service, info), compare_options(service, info)
        return (a, b) + kept_methods(method_a, method_b, {o["value"] for o in b})

    @app.callback(Output(ids.GRAD_CHANNELS_WRAP, "style"), Input(ids.MODEL, "data"), prevent_initial_call=True)
    def _channels(model_id):
        """The per-channel view is offered for images of more than one channel (RGB)."""
        shape = service.model_info(validate.model_id(model_id)).input_shape
        return {} if len(shape) == 3 and shape[0] > 1 else {"display": "none"}

    for slot, method_id, out_id in (("a", ids.METHOD_A, ids.PARAMS_A), ("b", ids.METHOD_B, ids.PARAMS_B)):
        @app.callback(Output(out_id, "children"), Input(method_id, "value"), Input(ids.MODEL, "data"))
        def _params(method, model_id, slot=slot):
            specs = service.methods()
            method = validate.choice(method, (ids.NO_METHOD,) + METHOD_NAMES, "method")
            if not model_id or method not in specs:
                return []
            return param_controls(slot, specs[method], service.model_info(validate.model_id(model_id)))

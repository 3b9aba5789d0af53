"""KernelSHAP beside LIME: Shapley values of the explained score for this sample, from a
weighted linear fit over coalitions of features (or image patches), with the additivity
check in words: the values add up to f(x) − f(baseline)."""
from __future__ import annotations

from dash import ALL, Input, Output, State, html

from .. import heads, ids, quality, validate
from ..components import graph, note, redraw, shows_errors
from ..figures.shap import additivity, additivity_text, shap_figure
from ..params import collect_params, param_controls
from ..sample_info import target_value
from . import panel, visible_view

TAB = ids.TAB_SHAP
LABEL = "KernelSHAP"
LEVEL = "sample"
VIEW = ("model", "sample", "target")
METHOD = "kernel_shap"
SLOT = "shap"        # the parameter controls' slot (ids.PARAM pattern ids)
SCORE_WORDS = {"explained score": "predicted value"}


def additivity_note(result):
    """Plain words first; the formula and its numbers on a details line (issue 12 point 9)."""
    ok = additivity(result)["holds"]
    plain, tech = additivity_text(result)
    return html.Div(className="completeness" if ok else "completeness warn", children=[
        note(plain, id="shap-additivity"),
        html.Details([html.Summary("details", className="muted"),
                      html.Code(tech, className="tech", id="shap-additivity-tech")], className="tech-details")])


@shows_errors
def render(service, model_id: str, sample_id: int, target, params: dict | None = None):
    info = service.model_info(model_id)
    result = service.explain(model_id, sample_id, METHOD, target=target_value(target), **(params or {}))
    fig = heads.reword(shap_figure(result, info.feature_names, class_names=info.class_names), info, "KernelSHAP",
                       result.target, SCORE_WORDS if heads.regression(info) else {})
    return [graph(fig, id="shap-figure"), additivity_note(result)]


def layout():
    out = panel(TAB, "KernelSHAP",
                 "Shapley values of the model's score for the explained class (its logit; a regression's predicted "
                 "value): each feature's (or image patch's) fair share of the change from the baseline input to "
                 "this sample, estimated from the model's answers on coalitions of features. Compare with LIME's "
                 "local surrogate.", [html.Div(id=ids.SHAP_PARAMS, className="params shap-params")])
    out.children.append(quality.stability_section(METHOD, ids.QUALITY_SHAP_RUN, ids.QUALITY_SHAP_OUT))
    return out


def _pattern():
    return {"type": ids.PARAM, "slot": SLOT, "method": ALL, "name": ALL}


def _settings(service, control_ids, values) -> dict:
    """The tab's settings (the numbers are checked by the engine, named)."""
    control_ids, values = validate.param_controls(control_ids, values, "KernelSHAP")
    return collect_params(service.methods()[METHOD], control_ids, values)


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"), Input(_pattern(), "value"), State(_pattern(), "id"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"), State(ids.QUALITY_SHAP_OUT, "children"))
    def _render(view, values, control_ids, tab, drawn, stability):
        view = visible_view(service, tab, TAB, view, VIEW)
        quality.clear_stale({ids.QUALITY_SHAP_OUT: stability})   # a new sample or setting: the spread is stale
        params = _settings(service, control_ids, values)
        return redraw(render(service, view["model"], view["sample"], view["target"], params), drawn)

    @app.callback(Output(ids.QUALITY_SHAP_OUT, "children"), Input(ids.QUALITY_SHAP_RUN, "n_clicks"),
                  State(ids.view(TAB), "data"), State(_pattern(), "value"), State(_pattern(), "id"),
                  State(ids.TABS, "value"), prevent_initial_call=True)
    def _stability(clicks, view, values, control_ids, tab):
        """KernelSHAP at the tab's settings with 5 seeds: the spread of each value (its seed aside)."""
        view = quality.stability_view(service, view, clicks, TAB, tab, "KernelSHAP tab's view")
        return quality.render_stability(service, view, METHOD, _settings(service, control_ids, values))

    @app.callback(Output(ids.SHAP_PARAMS, "children"), Input(ids.MODEL, "data"))
    def _params(model_id):
        """The settings that apply to this model: patches and segments for images only."""
        if not model_id:
            return []
        info = service.model_info(validate.model_id(model_id))
        return param_controls(SLOT, service.methods()[METHOD], info)

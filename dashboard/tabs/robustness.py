"""Robustness (a per-sample tab): how small a change flips this prediction. Images and
rows: an FGSM / PGD adversarial example, the minimal ε, the prediction before and after
and a map of both. Table rows also: counterfactuals, the smallest, sparsest changes in the
features' own units that flip the decision, with features the user fixes left alone."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html

from .. import ids, robustness_view as view_parts, validate
from ..components import alert, shows_errors
from . import panel, visible_view

TAB = ids.TAB_ROBUST
LABEL = "Robustness"
LEVEL = "sample"
VIEW = ("model", "sample", "target")
ATTACK, NORM, EPS, STEPS = "robust-attack", "robust-norm", "robust-eps", "robust-steps"
TOWARDS, METHOD, FIXED, FIXED_WRAP = "robust-towards", "robust-method", "robust-fixed", "robust-fixed-wrap"
AWAY = "away"          # TOWARDS: away from the prediction (regression: up); "down": a regression's value down
DOWN = "down"
NO_MAP = "none"


def _dropdown(cid, value, options, width="9em"):
    return dcc.Dropdown(id=cid, value=value, clearable=False, searchable=False, options=options,
                        style={"width": width})


def layout():
    controls = [
        html.Label(["Attack", _dropdown(ATTACK, "pgd", [{"label": "PGD", "value": "pgd"},
                                                         {"label": "FGSM", "value": "fgsm"}], "7em")],
                   className="control", title="FGSM: one step of size ε; PGD: projected gradient steps within ε"),
        html.Label(["Norm", _dropdown(NORM, "linf", [{"label": "L∞", "value": "linf"},
                                                      {"label": "L2", "value": "l2"}], "6em")], className="control"),
        html.Label(["ε", dcc.Input(id=EPS, type="number", min=0, step="any", debounce=True, placeholder="default",
                                   className="param-number")], className="param",
                   title="Size of the change: pixel values (images) or standard deviations (tables). Empty: the "
                         "smallest ε that flips the prediction (searched from 0.1 pixel values / 0.5 std)."),
        html.Label(["Steps", dcc.Input(id=STEPS, type="number", min=1, max=500, step=1, value=20, debounce=True,
                                       className="param-number")], className="param", title="PGD's steps"),
        html.Label(["Aim", _dropdown(TOWARDS, AWAY, [{"label": "away from its prediction", "value": AWAY}], "13em")],
                   className="control", title="Untargeted, or towards a chosen class"),
        html.Label(["Map", _dropdown(METHOD, "saliency", [{"label": "(none)", "value": NO_MAP}] +
                                     [{"label": view_parts.METHOD_TITLES[m], "value": m}
                                      for m in view_parts.MAP_METHODS], "12em")],
                   className="control", title="An explanation of the original and the adversarial input"),
        html.Label(["Keep fixed", dcc.Dropdown(id=FIXED, multi=True, value=[], options=[], placeholder="features…",
                                               style={"minWidth": "16em"})],
                   id=FIXED_WRAP, className="control", style={"display": "none"},
                   title="Features the counterfactuals must leave as they are"),
    ]
    return panel(TAB, "Robustness", "What would change the model's mind: the smallest change of this sample that "
                 "flips its prediction (an adversarial example), and for table rows the fewest features to change "
                 "(counterfactuals).", controls)


def attack_settings(info, attack, norm, eps, steps, towards) -> dict:
    attack = validate.choice(attack, ("pgd", "fgsm"), "The attack", optional=False)
    norm = validate.choice(norm, ("linf", "l2"), "The norm", optional=False)
    p = {"attack": attack, "norm": norm}
    if eps not in (None, ""):
        p["eps"] = eps                        # checked by the engine (a finite number > 0)
    if attack == "pgd" and steps not in (None, ""):
        p["steps"] = steps
    p.update(goal_settings(info, towards))
    return p


def goal_settings(info, towards) -> dict:
    if towards in (None, AWAY):
        return {}
    if info.task == "regression":
        validate.choice(towards, (AWAY, DOWN), "The aim", optional=False)
        return {"delta": -1.0 * delta_size(info)}
    return {"towards": validate.whole(towards, "The class aimed at", 0, len(info.class_names) - 1)}


def delta_size(info) -> float:
    lo, hi = info.target_range or (0.0, 1.0)
    return 0.25 * (hi - lo) if hi > lo else 1.0


def goal_for_counterfactuals(info, towards) -> dict:
    if info.task == "regression":
        return {"delta": (-1.0 if towards == DOWN else 1.0) * delta_size(info)}
    return goal_settings(info, towards)


@shows_errors
def render(service, model_id: str, sample_id: int, attack="pgd", norm="linf", eps=None, steps=20, towards=AWAY,
           method="saliency", fixed=None):
    info = service.model_info(model_id)
    p = attack_settings(info, attack, norm, eps, steps, towards)
    if info.task == "regression" and "delta" not in p:
        p["delta"] = delta_size(info)
    method = validate.choice(method, (NO_MAP,) + view_parts.MAP_METHODS, "The map", optional=False)
    if method == "gradcam" and not info.conv_layers:
        method = "saliency"
    if p.get("towards") is not None and service.sample(model_id, sample_id).prediction == p["towards"]:
        return alert(f"The model already says {info.class_names[p['towards']]} for this sample: aim at another "
                     "class, or away from its prediction.", "info")
    kids = []
    if info.kind == "tabular":
        names = validate.names(fixed or None, "The fixed features", list(info.feature_names))
        cfs = service.robustness(model_id, "counterfactuals", sample_id, fixed=names,
                                 **goal_for_counterfactuals(info, towards))
        kids += [html.H4("What would change it?", className="robust-head")] + view_parts.counterfactual_block(cfs, info)
    result = found = service.robustness(model_id, "adversarial", sample_id, **p)
    if "eps" not in p and found.minimal is not None and found.minimal.found and not found.reached:
        # ε left empty: show the smallest example that flips it (at the minimal ε found)
        result = service.robustness(model_id, "adversarial", sample_id, **p, eps=found.minimal.epsilon, minimal=False)
    kids += view_parts.adversarial_block(service, model_id, sample_id, info, result, found.minimal,
                                         None if method == NO_MAP else method)
    return html.Div(kids, className="robust")


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"),
                  Input(ids.view(TAB), "data"), Input(ATTACK, "value"), Input(NORM, "value"), Input(EPS, "value"),
                  Input(STEPS, "value"), Input(TOWARDS, "value"), Input(METHOD, "value"), Input(FIXED, "value"),
                  State(ids.TABS, "value"))
    def _render(view, attack, norm, eps, steps, towards, method, fixed, tab):
        view = visible_view(service, tab, TAB, view, VIEW)
        return render(service, view["model"], view["sample"], attack, norm, eps, steps, towards, method, fixed or [])

    @app.callback(Output(TOWARDS, "options"), Output(TOWARDS, "value"), Output(FIXED, "options"),
                  Output(FIXED, "value"), Output(FIXED_WRAP, "style"), Output(METHOD, "options"),
                  Input(ids.MODEL, "data"), prevent_initial_call=True)
    def _model_options(model_id):
        model_id = validate.model_id(model_id)
        info = service.model_info(model_id)
        return (aim_options(info), AWAY, [{"label": f, "value": f} for f in info.feature_names],
                [], {"display": "none"} if info.kind == "image" else {}, map_options(info))


def aim_options(info) -> list[dict]:
    if info.task == "regression":
        return [{"label": "the prediction up", "value": AWAY}, {"label": "the prediction down", "value": DOWN}]
    return [{"label": "away from its prediction", "value": AWAY}] + [
        {"label": f"towards {name}", "value": k} for k, name in enumerate(info.class_names)]


def map_options(info) -> list[dict]:
    ms = [m for m in view_parts.MAP_METHODS if m != "gradcam" or info.conv_layers]
    return [{"label": "(none)", "value": NO_MAP}] + [{"label": view_parts.METHOD_TITLES[m], "value": m} for m in ms]


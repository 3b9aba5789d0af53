"""Robustness curve (a model-level tab): held-out accuracy against ε under FGSM or PGD.
Computed in a background thread with progress (explain_core/robustness/model_view.py:
CurveJobs); the result is the model view "robustness", cached per weights and settings."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html

from explain_core.errors import GlimpseError

from .. import ids, validate
from ..components import alert, bar_style, graph, note
from ..figures.robustness import curve_figure
from . import panel, visible_view

TAB = ids.TAB_ROBUST_CURVE
LABEL = "Robustness curve"
LEVEL = "model"
VIEW = ("model",)
ATTACK, NORM, POLL = "robust-curve-attack", "robust-curve-norm", "robust-curve-poll"
_JOBS: dict[int, object] = {}


def jobs(service):
    from explain_core.robustness.model_view import CurveJobs
    return _JOBS.setdefault(id(service), CurveJobs(service))


def layout():
    controls = [
        html.Label(["Attack", dcc.Dropdown(id=ATTACK, value="fgsm", clearable=False, searchable=False,
                                           options=[{"label": "FGSM (fast)", "value": "fgsm"},
                                                    {"label": "PGD-10", "value": "pgd"}], style={"width": "10em"})],
                   className="control"),
        html.Label(["Norm", dcc.Dropdown(id=NORM, value="linf", clearable=False, searchable=False,
                                         options=[{"label": "L∞", "value": "linf"}, {"label": "L2", "value": "l2"}],
                                         style={"width": "6em"})], className="control"),
    ]
    out = panel(TAB, "Robustness curve", "How the model's held-out accuracy falls as every held-out sample is "
                "attacked with a larger ε: a steep fall means small, invisible changes fool it.", controls)
    out.children.append(dcc.Interval(id=POLL, interval=700, disabled=True))
    return out


def progress(status: dict):
    done, total = status.get("done", 0), status.get("total", 0)
    frac = done / total if total else 0.0
    text = f"Attacking the held-out samples: {done:,} of {total:,}" if total else "Starting…"
    return html.Div([html.Div(html.Div(className="progress-bar", style=bar_style(frac)), className="progress"),
                     html.Div(text, className="progress-text", id="robust-curve-progress")])


def render(service, model_id: str, attack: str, norm: str, start: bool = True) -> tuple:
    """(children, poll disabled): the curve when cached, else the job's progress (starting it)."""
    from explain_core.robustness.model_view import NAME, cached_curve

    info = service.model_info(model_id)
    if info.task == "regression":
        return [note("The robustness curve counts right and wrong answers, so it applies to classifiers; for this "
                     "regression see the Robustness tab of a sample (how far a change moves the prediction).")], True
    params = {"attack": validate.choice(attack, ("fgsm", "pgd"), "The attack", optional=False),
              "norm": validate.choice(norm, ("linf", "l2"), "The norm", optional=False)}
    try:
        curve = cached_curve(service, model_id, params)
        if curve is not None:
            return [graph(curve_figure(curve), id="robust-curve")], True
        status = jobs(service).status(model_id, params)
        if status.get("state") == "failed":
            return [alert(status.get("error", "The robustness curve failed"))], True
        if status.get("state") == "done":        # computed by another worker: in the shared cache
            return [graph(curve_figure(service.model_view(model_id, NAME, **params)), id="robust-curve")], True
        if status.get("state") != "running" and start:
            status = jobs(service).start(model_id, params)
        return [progress(status)], False
    except GlimpseError as e:
        return [alert(str(e))], True


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(POLL, "disabled"),
                  Input(ids.view(TAB), "data"), Input(ATTACK, "value"), Input(NORM, "value"),
                  Input(POLL, "n_intervals"),
                  State(ids.TABS, "value"))
    def _render(view, attack, norm, _tick, tab):
        try:
            view = visible_view(service, tab, TAB, view, VIEW)
        except GlimpseError as e:
            return [alert(str(e))], True
        return render(service, view["model"], attack, norm)



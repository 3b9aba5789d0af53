"""Tab 5: a decision tree distilled from the network, with the sample's path."""
from __future__ import annotations

from dash import Input, Output, State, dcc, html

from .. import ids
from ..components import graph, redraw, shows_errors
from ..figures.tree import tree_figure
from ..figures.tree_words import rules_text
from . import panel, visible_view

TAB = ids.TAB_TREE
LABEL = "Distilled tree"
LEVEL = "sample"
VIEW = ("model", "sample")
DEFAULT_DEPTH = 4


def summary(result):
    if getattr(result, "task", "classification") == "regression":
        return regression_summary(result)
    names = result.class_names
    agree = result.prediction == result.network_prediction
    return html.Div(className="stats", children=[
        _stat("Fidelity (held-out)", f"{100 * result.fidelity:.1f}%", "How often the tree predicts what the network predicts."),
        _stat("Tree accuracy (held-out)", f"{100 * result.accuracy:.1f}%", "How often the tree predicts the true label."),
        _stat("Network accuracy (held-out)", f"{100 * result.network_accuracy:.1f}%", ""),
        _stat("This sample", f"tree says {names[result.prediction]}, network says {names[result.network_prediction]}",
              "", "ok" if agree else "bad"),
    ])


def regression_summary(result):
    """A regression tree: R² against the network and against the true values (held-out)."""
    return html.Div(className="stats", children=[
        _stat("R² against the network (held-out)", f"{result.fidelity:.3f}",
              "How much of the network's predictions the tree reproduces (sklearn's r2_score)."),
        _stat("Tree R² (held-out)", f"{result.accuracy:.3f}", "The tree's predictions against the true values."),
        _stat("Network R² (held-out)", f"{result.network_accuracy:.3f}", ""),
        _stat("This sample", f"tree predicts {result.prediction:.4g}, network {result.network_prediction:.4g}"),
    ])


def _stat(label, value, title="", cls=""):
    return html.Div([html.Div(label, className="stat-label"), html.Div(value, className=f"stat-value {cls}")],
                    className="stat", title=title)


@shows_errors
def render(service, model_id: str, sample_id: int, depth=None):
    params = {} if depth in (None, "") else {"max_depth": depth}   # checked by the engine, by name
    result = service.explain(model_id, sample_id, "tree", **params)
    rules = html.Details([html.Summary("Rules as text"), html.Pre(rules_text(result), className="rules")],
                         className="rules-box")
    return [summary(result), *drawn_note(result, service.model_info(model_id)), graph(tree_figure(result)), rules]


def drawn_note(result, info) -> list:
    """On a large data set the tree is fitted and scored on a draw of the samples: say so."""
    scored, fitted = getattr(result, "n_scored", 0), getattr(result, "n_fit", 0)
    if not scored or scored >= info.n_test:
        return []
    return [html.P(f"Scores on a draw of {scored:,} of the {info.n_test:,} held-out samples; the tree was fitted to "
                   f"{fitted:,} training samples.", className="muted")]


def layout():
    controls = [html.Label(["Depth", dcc.Slider(id=ids.TREE_DEPTH, min=1, max=8, step=1, value=DEFAULT_DEPTH,
                                                marks={i: str(i) for i in range(1, 9)})],
                           className="control slider")]
    return panel(TAB, "Distilled decision tree",
                 "A decision tree trained to imitate the network's predictions; the thick path is the route this "
                 "sample takes. Deeper trees imitate better but read harder.", controls,
                 busy="Fitting a decision tree (depth 4) to the network's answers on the training samples…")


def register_callbacks(app, service):
    @app.callback(Output(ids.output(TAB), "children"), Output(ids.drawn(TAB), "data"),
                  Input(ids.view(TAB), "data"), Input(ids.TREE_DEPTH, "value"),
                  State(ids.TABS, "value"), State(ids.drawn(TAB), "data"))
    def _render(view, depth, tab, drawn):
        view = visible_view(service, tab, TAB, view, VIEW)
        return redraw(render(service, view["model"], view["sample"], depth), drawn)
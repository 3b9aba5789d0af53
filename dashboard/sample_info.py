"""The selected sample (label, prediction, class probabilities), the target-class picker
and the model card."""
from __future__ import annotations

from dash import dcc, html

from . import heads, ids, validate
from .components import GRAPH_CONFIG
from .figures.samples import probability_figure
from .figures.value import value_figure


def sample_panel(service, thumbs, model_id: str, sample_id: int):
    """(children of the sample panel, probability figure) for the selected sample; for a
    regression its true value, prediction and error, and the prediction over the target's range."""
    info = service.model_info(model_id)
    s = service.sample(model_id, sample_id)
    facts, fig = (value_facts if heads.regression(info) else class_facts)(info, s)
    children = [facts]
    if info.kind == "image":
        children.insert(0, html.Img(src=thumbs.uri(model_id, sample_id), className="digit-large",
                                    alt="the selected sample", id=ids.SAMPLE_IMG))
    else:
        children = [html.Div(children + [feature_table(info, s)], className="sample-facts")]
    return children, fig


def which(s) -> str:
    return f"#{s.sample_id} ({'held-out' if s.is_test else 'training'} data)"


def feature_table(info, s):
    """The row's own values, one feature a line (a compact table that scrolls when long)."""
    x = [float(v) for v in s.inputs.reshape(-1)]
    names = list(info.feature_names) if len(info.feature_names) == len(x) else [f"feature {j}" for j in range(len(x))]
    rows = [html.Tr([html.Td(n, className="fv-name"), html.Td(f"{v:.4g}", className="fv-value")])
            for n, v in zip(names, x)]
    return html.Div(className="feature-values", id=ids.SAMPLE_VALUES, title="This row's value of every feature", children=[
        html.Div(f"This row's {len(x)} feature values", className="subhead"),
        html.Div(html.Table(html.Tbody(rows), className="fv-table"), className="fv-scroll")])


def value_facts(info, s):
    name = heads.target_name(info)
    labelled = "No labels were given" not in " ".join(info.notes)
    facts = html.Dl(className="facts", children=[
        html.Dt("Sample"), html.Dd(which(s), id=ids.SAMPLE_WHICH),
        html.Dt(f"True {name}"), html.Dd(heads.fmt(s.label) if labelled else "unknown", id=ids.SAMPLE_TRUE),
        html.Dt("Prediction"), html.Dd(heads.fmt(s.prediction), id=ids.SAMPLE_PRED),
        html.Dt("Error"), html.Dd(f"{s.prediction - s.label:+.4g} (prediction − true)" if labelled else "–",
                                  id=ids.SAMPLE_ERROR),
    ])
    fig = value_figure(s.prediction, s.label, info.target_range or (s.label, s.prediction), name, labelled)
    fig.update_layout(title=None, height=96, margin=dict(l=8, r=8, t=6, b=6), font_size=11)
    return facts, fig


def proba_head(info):
    """The line above the sample's chart: what its bars and marks are."""
    if heads.regression(info):
        return ["Predicted value ", html.Span("■ prediction", className="key-pred"), " ",
                html.Span("◆ true value", className="key-true"), " over the target's range"]
    return ["Class probabilities ", html.Span("■ predicted", className="key-pred"), " ",
            html.Span("■ true label", className="key-true")]


def class_facts(info, s):
    names = info.class_names
    right = s.label == s.prediction
    facts = html.Dl(className="facts", children=[
        html.Dt("Sample"), html.Dd(which(s), id=ids.SAMPLE_WHICH),
        html.Dt("True label"), html.Dd(names[s.label], id=ids.SAMPLE_TRUE),
        html.Dt("Prediction"), html.Dd(
            [html.Span(names[s.prediction], id=ids.SAMPLE_PRED),
             html.Span(f" ({100 * float(s.probabilities[s.prediction]):.1f}%) ", id=ids.SAMPLE_PROB),
             html.Span("✓ correct" if right else "✗ wrong", className="ok" if right else "bad")]),
    ])
    return facts, compact(probability_figure(s.probabilities, names, s.label, s.prediction), len(names))


def compact(fig, n_classes: int):
    """The probability chart sized for the narrow sidebar: the facts above it already say
    what its title says, and the bar labels keep only the percentage (the colours say
    which bar is the prediction and which the true label, see the line above the chart)."""
    bars = fig.data[0]
    bars.text = [f"{100 * float(p):.1f}%" for p in bars.x]
    fig.update_layout(title=None, height=int(min(max(50 + 18 * n_classes, 110), 420)),
                      margin=dict(l=8, r=8, t=6, b=6), xaxis_title=None, yaxis_title=None, font_size=11,
                      xaxis_range=[0, 1.22])
    return fig


def class_label(names, k: int) -> str:
    name = names[k]
    return f"class {name}" if name == str(k) else f"{k}: {name}"


def target_options(info) -> list[dict]:
    """Classes to explain; a regression has one target, the predicted value (the picker is
    then disabled, see callbacks)."""
    if heads.regression(info):
        return [{"label": "Predicted value", "value": ids.PREDICTED}]
    return [{"label": "Predicted class", "value": ids.PREDICTED}] + [
        {"label": class_label(info.class_names, k), "value": k} for k in range(len(info.class_names))]


def target_value(value) -> int | None:
    """The picker's value as explain()'s target: None means the predicted class."""
    value = validate.target(value)
    return None if value in (None, ids.PREDICTED, "") else value


def model_card(info):
    acc = f"{100 * info.accuracy:.1f}%"
    items = [
        ("Data", info.dataset_description or info.dataset),
        ("Architecture", info.architecture),
        ("Held-out accuracy", f"{acc} on {info.n_test:,} samples"),
    ]
    if getattr(info, "outputs_done", None):      # a large data set: its predictions still come in
        items[2] = ("Held-out accuracy", outputs_line(info))
    if heads.regression(info) or heads.binary(info):
        items[2:] = head_items(info)
    train_acc = getattr(info, "train_accuracy", None)
    if train_acc is not None and train_acc == train_acc:   # a gap between the two says: look at the maps
        items.append(("Training accuracy", f"{100 * train_acc:.1f}% on {info.n_samples - info.n_test:,} samples"))
    if getattr(info, "informative_share", None) is not None:
        items.append(("Known truth", f"integrated gradients' top 5 hold ≥ 4 of the 5 informative features on "
                                     f"{100 * info.informative_share:.0f}% of held-out rows"))
    card = [html.Div([html.Span(k, className="card-key"), html.Span(v, className="card-value", title=v)],
                     className="card-item") for k, v in items]
    if info.notes:
        card.append(html.Details([html.Summary(f"{len(info.notes)} note{'s' if len(info.notes) > 1 else ''} "
                                               "on the data"),
                                  html.Ul([html.Li(n) for n in info.notes])], className="card-notes"))
    return card


def outputs_line(info) -> str:
    done, total = info.outputs_done
    if info.outputs_error:
        return f"unknown: {info.outputs_error}"
    return f"computing ({100 * done / total:.0f}% of {total:,} samples run)"


def head_items(info) -> list[tuple[str, str]]:
    """The card's lines on a binary or regression head: its scores instead of accuracy
    alone, and what the output is."""
    running = outputs_line(info) if getattr(info, "outputs_done", None) else None
    if heads.regression(info):
        lo, hi = info.target_range or (float("nan"), float("nan"))
        return [("Held-out", running or f"R² {info.r2:.3f}, mean absolute error {heads.fmt(info.mae)} "
                                        f"on {info.n_test:,} samples"),
                ("Regression", f"{heads.target_name(info)}, from {heads.fmt(lo)} to {heads.fmt(hi)} in the data")]
    return [("Held-out accuracy", running or f"{100 * info.accuracy:.1f}% on {info.n_test:,} samples"),
            ("Output", heads.output_short(info))]


def model_options(service) -> list[dict]:
    kind = {"image": "images", "tabular": "table"}
    origin = {"builtin": "", "python": ", from Python",     # glimpse.show's models come from Python
              "model-list": ", from the model list"}      # --models FILE (explain_core/model_list.py)
    return [{"label": f"{title} ({kind.get(k, k)}{origin.get(source, ', uploaded')})", "value": mid}
            for mid, title, k, source in service.model_choices()]


def layout():
    return html.Section(className="card sample", children=[
        html.Div(className="card-title-row", children=[
            html.H2("Selected sample", className="card-title"),
            html.Div(className="sample-nav", children=[
                html.Button("← prev", id=ids.SAMPLE_PREV, className="btn btn-small", title="Previous sample (← key)"),
                html.Button("next →", id=ids.SAMPLE_NEXT, className="btn btn-small", title="Next sample (→ key)"),
            ]),
        ]),
        html.Div(id=ids.SAMPLE_INFO, className="sample-info"),
        dcc.Store(id=ids.SAMPLE_DRAWN),   # what SAMPLE_INFO shows: the next sample's texts go in place
        html.Div(["Class probabilities ", html.Span("■ predicted", className="key-pred"), " ",
                  html.Span("■ true label", className="key-true")], id=ids.PROBA_HEAD, className="subhead"),
        dcc.Loading(dcc.Graph(id=ids.PROBA_GRAPH, config={**GRAPH_CONFIG, "displayModeBar": False},
                              className="proba"), delay_show=300),
    ])


def target_picker():
    return html.Label(className="target-picker", title="The class every tab explains (default: the predicted class)",
                      children=["Explain class", dcc.Dropdown(
                          id=ids.TARGET, value=ids.PREDICTED, clearable=False, searchable=False,
                          options=[{"label": "Predicted class", "value": ids.PREDICTED}])])

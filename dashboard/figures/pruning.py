"""Figures of the pruning what-if (pure functions of explain_core's pruning results): every
unit's score with the removed ones marked, per-class accuracy before and after, and the
held-out metric against the fraction of each layer pruned."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import CLASS_COLOURS, HIGHLIGHT, NEUTRAL, PRIMARY, class_name, layout

HOW_WORDS = {"magnitude": "the smallest weights: L1 norm of incoming weights",
             "activity": "the least active on held-out data: mean |output|",
             "hand": "chosen by hand"}


def unit_word(result) -> str:
    return "filters" if result.layer_type == "Conv2d" else "units"


def percent(v: float) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.1f}%"


def headline(result) -> str:
    """One sentence: what was removed and what it did to the held-out metric."""
    removed = len(result.units)
    what = (f"Removed {removed} of {result.n_units} {unit_word(result)} of {result.layer} ({HOW_WORDS[result.how]})"
            if removed else f"Nothing removed from {result.layer}")
    if result.metric == "R²":
        return (f"{what}: held-out R² {result.before:.3f} → {result.after:.3f}, mean absolute error "
                f"{result.mae_before:.3g} → {result.mae_after:.3g}; predictions moved by {result.mean_change:.3g} "
                f"on average over {result.n_rows:,} held-out rows.")
    change = 100 * (result.after - result.before)
    return (f"{what}: held-out accuracy {percent(result.before)} → {percent(result.after)} ({change:+.1f} points); "
            f"{result.flips:,} of {result.n_rows:,} predictions changed.")


def unit_scores_figure(result) -> go.Figure:
    """One bar per unit: its score under the chosen rule (weight magnitude for 'hand'), the
    removed units in orange. customdata carries the unit number (a click toggles it)."""
    use_activity = result.how == "activity" and result.activity is not None
    scores = result.activity if use_activity else result.magnitude
    if scores is None:
        scores, what = np.zeros(result.n_units), "no score (weights inside compiled code)"
    else:
        what = "mean |output| on held-out data" if use_activity else "L1 norm of incoming weights"
    removed = set(int(u) for u in result.units)
    units = np.arange(result.n_units)
    colours = [HIGHLIGHT if u in removed else PRIMARY for u in units]
    bars = dict(type="bar", x=units, y=np.asarray(scores, dtype=float), marker=dict(color=colours),
                customdata=units, name="units",
                hovertemplate="unit %{x}<br>" + what + " %{y:.4g}<extra></extra>")
    sub = f"{what}; orange: removed ({len(removed)})<br>click a bar to remove or restore it by hand"
    return go.Figure([bars], layout(f"{result.layer}: its {result.n_units} {unit_word(result)}", sub, height=300,
                                    xaxis=dict(title=dict(text="unit"), type="linear"),
                                    yaxis=dict(title=dict(text="mean |output|" if use_activity else "L1 norm")),
                                    bargap=0.15))


def class_change_figure(result) -> go.Figure:
    """Accuracy within each true class, before (grey) and after (blue)."""
    names = [class_name(result.class_names, k) for k in range(len(result.class_names))]
    counts = result.class_counts
    traces = [dict(type="bar", x=names, y=np.asarray(result.class_before) * 100, name="before",
                   marker=dict(color=NEUTRAL), customdata=counts,
                   hovertemplate="class %{x}: %{y:.1f}% of %{customdata} before<extra></extra>"),
              dict(type="bar", x=names, y=np.asarray(result.class_after) * 100, name="after pruning",
                   marker=dict(color=PRIMARY), customdata=counts,
                   hovertemplate="class %{x}: %{y:.1f}% of %{customdata} after<extra></extra>")]
    worst = int(np.nanargmin(np.asarray(result.class_after) - np.asarray(result.class_before)))
    drop = 100 * (result.class_after[worst] - result.class_before[worst])
    sub = "grey: the model as served; blue: pruned<br>" + (
        f"largest change: class {names[worst]} ({drop:+.1f} points)" if drop < 0 else "no class lost accuracy")
    fig = go.Figure(traces, layout("Held-out accuracy per true class", sub, height=300,
                                   xaxis=dict(type="category"),
                                   yaxis=dict(title=dict(text="accuracy (%)"), range=[0, 105]), barmode="group"))
    fig.update_layout(showlegend=True, legend=dict(orientation="h", y=-0.12, yanchor="top"))
    return fig


def curve_figure(curve) -> go.Figure:
    """The held-out metric against the fraction of each layer pruned by weight magnitude."""
    traces = []
    x = np.asarray(curve.fractions) * 100
    for i, layer in enumerate(curve.layers):
        y = np.asarray(curve.values[i], dtype=float) * (100 if curve.metric == "accuracy" else 1)
        traces.append(dict(type="scatter", mode="lines+markers", x=x, y=y, name=f"{layer} ({curve.units[i]})",
                           line=dict(color=CLASS_COLOURS[i % len(CLASS_COLOURS)], width=2),
                           customdata=curve.removed[i],
                           hovertemplate=f"{layer}: %{{customdata}} removed (%{{x:.0f}}%)<br>"
                                         f"{curve.metric} %{{y:.3g}}<extra></extra>"))
    before = curve.before * (100 if curve.metric == "accuracy" else 1)
    unit = "accuracy (%)" if curve.metric == "accuracy" else "R²"
    sub = ("each layer pruned alone, its smallest-weight units first; dashed: the model as served<br>"
           "a flat line: that layer has units to spare")
    fig = go.Figure(traces, layout(f"Held-out {curve.metric} against the share of a layer pruned", sub, height=360,
                                   xaxis=dict(title=dict(text="units removed (% of the layer)"), range=[-2, 92]),
                                   yaxis=dict(title=dict(text=unit))))
    fig.add_hline(y=before, line=dict(dash="dash", color="#555", width=1))
    fig.update_layout(showlegend=True, legend=dict(title=dict(text="layer (units)")))
    return fig


def prediction_text(sample, class_names) -> tuple[str, str]:
    """('before' line, 'after' line): the prediction and its probability (or value)."""
    def line(pred, scores):
        if sample.task == "regression":
            return f"predicts {pred:.4g}"
        k = int(pred)
        return f"predicts {class_name(class_names, k)} ({100 * float(scores[k]):.1f}%)"
    return line(sample.prediction_before, sample.scores_before), line(sample.prediction_after, sample.scores_after)

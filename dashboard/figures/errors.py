"""Figures of the errors-and-bias view: confusion matrix, train vs held-out, reliability
diagram, accuracy by feature slice, and a regression's residual plots. Each takes the
engine's result (explain_core/model_views/errors.py) and returns a go.Figure."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import HIGHLIGHT, NEUTRAL, PRIMARY, SECOND, class_name, layout

CONFUSION_SCALE = [[0.0, "#ffffff"], [0.15, "#deebf7"], [0.5, "#6baed6"], [1.0, "#08306b"]]
SPLITS = ("training", "held-out")
SPLIT_COLOURS = (NEUTRAL, PRIMARY)


def _names(result) -> list[str]:
    return [class_name(result.class_names, k) for k in range(len(result.class_names))]


def confusion_figure(result, normalised: bool = False) -> go.Figure:
    """Held-out counts (or each row's share) per (true, predicted) class; every cell carries
    customdata [true, predicted, count, share of its row] for clicks and hovers."""
    counts = np.asarray(result.confusion)
    share = result.normalised
    k = len(counts)
    t, p = np.indices((k, k))
    custom = np.stack([t, p, counts, share], axis=-1)
    z = share if normalised else counts
    text = np.where(counts > 0, np.char.mod("%.0f%%", 100 * share) if normalised else counts.astype(str), "")
    names = _names(result)
    heat = dict(type="heatmap", z=z, x=names, y=names, customdata=custom, text=text, texttemplate="%{text}",
                textfont=dict(size=12 if k <= 10 else 9), colorscale=CONFUSION_SCALE, zmin=0,
                zmax=1 if normalised else max(int(counts.max()), 1), xgap=1, ygap=1, name="confusion",
                colorbar=dict(title=dict(text="share of row" if normalised else "samples", side="right"),
                              thickness=12, tickformat=".0%" if normalised else None),
                hovertemplate="true %{y}, predicted %{x}: %{customdata[2]} samples "
                              "(%{customdata[3]:.1%} of true %{y})<extra></extra>")
    wrong = int(counts.sum() - np.trace(counts))
    side = int(np.clip(200 + 34 * k, 320, 560))
    return go.Figure([heat], layout(
        f"Confusion matrix: {wrong:,} of {int(counts.sum()):,} held-out samples wrong",
        "rows: true class · columns: predicted class<br>" + ("share of each true class" if normalised
                                                             else "number of samples") + " · click a cell to list them",
        height=side, hovermode="closest",
        xaxis=dict(title=dict(text="predicted class"), type="category", side="bottom", showgrid=False),
        yaxis=dict(title=dict(text="true class"), type="category", autorange="reversed", showgrid=False)))


def _bar_pair(values, fmt: str, axis: str, label: str) -> dict:
    return dict(type="bar", x=list(SPLITS), y=list(values), name=label, marker=dict(color=list(SPLIT_COLOURS)),
                xaxis=axis, yaxis=axis.replace("x", "y"), text=[fmt.format(v) for v in values],
                textposition="outside", cliponaxis=False, customdata=list(SPLITS),
                hovertemplate=f"{label} on %{{customdata}} data: %{{y:.4g}}<extra></extra>")


def split_gap(gap: str) -> tuple[str, str]:
    """The gap sentence as (its claim, its numbers): 'Fits … held-out', 'accuracy … held-out'."""
    claim, _, numbers = gap.rstrip(".").partition(" (")
    return claim, numbers.rstrip(")")


def fit_figure(result) -> go.Figure:
    """Training vs held-out side by side: accuracy and mean loss (classification), or mean
    absolute error and RMSE (regression); the title is the gap in words."""
    tr, te = result.train, result.held_out
    if result.task == "regression":
        panels = [((tr.mae, te.mae), "{:.4g}", "mean absolute error"), ((tr.rmse, te.rmse), "{:.4g}", "RMSE")]
    else:
        panels = [((100 * tr.accuracy, 100 * te.accuracy), "{:.1f}%", "accuracy (%)"),
                  ((tr.loss, te.loss), "{:.3f}", "mean loss")]
    traces = [_bar_pair(values, fmt, axis, label) for (values, fmt, label), axis in zip(panels, ("x", "x2"))]
    top = [max(np.nanmax(v), 1e-9) * 1.22 for v, _, _ in panels]
    scored = f"{tr.n:,} of {tr.n_total:,} training rows" if tr.n < tr.n_total else f"{tr.n:,} training rows"
    claim, numbers = split_gap(result.gap)
    return go.Figure(traces, layout(
        claim, f"{numbers}<br>scored on {scored} and {te.n:,} held-out rows", height=340, bargap=0.3,
        xaxis=dict(domain=[0, 0.44], type="category", title=dict(text=panels[0][2])),
        yaxis=dict(range=[0, top[0]], rangemode="tozero"),
        xaxis2=dict(domain=[0.56, 1], type="category", anchor="y2", automargin=True, title=dict(text=panels[1][2])),
        yaxis2=dict(range=[0, top[1]], anchor="x2", gridcolor="#e5e8eb", automargin=True)))


def reliability_figure(result) -> go.Figure:
    """Per confidence bin: mean confidence against accuracy (points sized by their count)
    over the diagonal of perfect calibration, and the count per bin underneath."""
    edges, counts = np.asarray(result.edges), np.asarray(result.bin_counts)
    full = counts > 0
    centres = (edges[:-1] + edges[1:]) / 2
    conf, acc = np.asarray(result.bin_confidence)[full], np.asarray(result.bin_accuracy)[full]
    size = 8 + 22 * np.sqrt(counts[full] / max(counts.max(), 1))
    bins = [f"{edges[i]:.1f}–{edges[i + 1]:.1f}" for i in np.flatnonzero(full)]
    traces = [
        dict(type="scatter", x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration", hoverinfo="skip",
             line=dict(color="#b8bec4", dash="dash")),
        dict(type="scatter", x=conf, y=acc, mode="lines+markers", name="model",
             marker=dict(size=size, color=PRIMARY, line=dict(color="white", width=1)), line=dict(color=PRIMARY),
             cliponaxis=False,
             customdata=np.stack([counts[full], np.array(bins, dtype=object)], axis=-1),
             hovertemplate="confidence %{customdata[1]}: %{customdata[0]} samples, mean confidence %{x:.1%}, "
                           "right %{y:.1%}<extra></extra>"),
        dict(type="bar", x=centres, y=counts, width=0.09, name="samples per bin", marker=dict(color=NEUTRAL),
             xaxis="x2", yaxis="y2", hovertemplate="%{y} samples<extra></extra>"),
    ]
    over = np.nansum(counts[full] * (conf - acc)) / max(counts.sum(), 1)
    lean = "over-confident" if over > 0.005 else "under-confident" if over < -0.005 else "well calibrated"
    axis = dict(range=[0, 1.06], tickformat=".0%", gridcolor="#e5e8eb", automargin=True)
    return go.Figure(traces, layout(
        f"Calibration error (ECE) {100 * result.ece:.1f}%",
        f"on the whole {lean} · held-out samples binned by the model's top-class probability<br>below the "
        "diagonal: sure more often than right", height=440,
        xaxis=dict(axis, anchor="y", showticklabels=False),
        yaxis=dict(domain=[0.36, 1], range=[0, 1.05], tickformat=".0%", title=dict(text="accuracy")),
        xaxis2=dict(axis, anchor="y2", matches="x", title=dict(text="confidence (top-class probability)")),
        yaxis2=dict(domain=[0, 0.26], anchor="x2", title=dict(text="samples"), gridcolor="#e5e8eb", automargin=True)))


def _edge(v: float) -> str:
    return f"{v:.3g}"


def slice_labels(edges) -> list[str]:
    """'(1.2, 3.4]' per quantile bin, the first one closed ('[0.5, 1.2]')."""
    e = np.asarray(edges)
    return [("[" if i == 0 else "(") + f"{_edge(e[i])}, {_edge(e[i + 1])}]" for i in range(len(e) - 1)]


def slices_figure(result) -> go.Figure:
    """The score (accuracy, or mean absolute error) per quantile bin of one feature, with the
    row count per bin, the worst bin in the highlight colour and the overall score as a line."""
    s = result.slices
    score = np.asarray(s.score, dtype=np.float64)
    accuracy = s.metric == "accuracy"
    shown = 100 * score if accuracy else score
    worst = int(np.nanargmin(score) if accuracy else np.nanargmax(score)) if np.isfinite(score).any() else -1
    colours = [HIGHLIGHT if i == worst else SECOND for i in range(len(score))]
    labels = slice_labels(s.edges)
    overall = 100 * result.held_out.accuracy if accuracy else result.held_out.mae
    unit = "%" if accuracy else ""
    bars = dict(type="bar", x=labels, y=shown, marker=dict(color=colours), name=s.metric,
                text=[f"{v:.0f}{unit}<br>n={c}" if np.isfinite(v) else f"n={c}" for v, c in zip(shown, s.counts)],
                textposition="inside", insidetextanchor="end", textfont=dict(color="white"), customdata=s.counts,
                hovertemplate=f"{s.name} in %{{x}}: {s.metric} %{{y:.4g}}{unit} over %{{customdata}} held-out "
                              "rows<extra></extra>")
    line = dict(type="scatter", x=[labels[0], labels[-1]], y=[overall, overall], mode="lines", name="overall",
                line=dict(color="#555", dash="dot"), hoverinfo="skip")
    why = "" if s.picked else " · the feature whose slices differ most"
    top = np.nanmax(np.r_[shown, overall]) if np.isfinite(shown).any() else 1.0
    return go.Figure([bars, line], layout(
        f"{s.metric.capitalize()} by {s.name}",
        f"held-out rows in {len(labels)} quantile bins{why}<br>dotted: all held-out rows "
        f"({overall:.4g}{unit}) · {'lowest' if accuracy else 'largest'} bin highlighted",
        height=330, bargap=0.3,
        xaxis=dict(type="category", title=dict(text=f"{s.name} (raw units)")),
        yaxis=dict(range=[0, 1.25 * top if top > 0 else 1], title=dict(text=s.metric + (" (%)" if accuracy else "")))))


def residual_figure(result) -> go.Figure:
    """A regression's three residual plots side by side: predicted vs true (training rows
    faint, held-out blue, the diagonal of perfect predictions), residual vs predicted, and
    the held-out residuals' histogram. Held-out points carry their sample id."""
    true, pred, res = result.true, result.predicted, result.residuals
    lo = float(np.nanmin(np.r_[true, pred, result.train_true, result.train_predicted]))
    hi = float(np.nanmax(np.r_[true, pred, result.train_true, result.train_predicted]))
    points = dict(mode="markers", customdata=result.ids, name="held-out", marker=dict(color=PRIMARY, size=6))
    traces = [
        dict(type="scatter", x=result.train_true, y=result.train_predicted, mode="markers", name="training",
             marker=dict(color=NEUTRAL, size=4, opacity=0.5), hoverinfo="skip"),
        dict(type="scatter", x=[lo, hi], y=[lo, hi], mode="lines", name="perfect", hoverinfo="skip",
             line=dict(color="#b8bec4", dash="dash")),
        dict(type="scatter", x=true, y=pred, **points,
             hovertemplate="sample %{customdata}: true %{x:.4g}, predicted %{y:.4g}<extra></extra>"),
        dict(type="scatter", x=pred, y=res, xaxis="x2", yaxis="y2", **points, showlegend=False,
             hovertemplate="sample %{customdata}: predicted %{x:.4g}, residual %{y:+.4g}<extra></extra>"),
        dict(type="scatter", x=[lo, hi], y=[0, 0], xaxis="x2", yaxis="y2", mode="lines", showlegend=False,
             hoverinfo="skip", line=dict(color="#b8bec4", dash="dash"), name="zero"),
        dict(type="histogram", x=res, xaxis="x3", yaxis="y3", nbinsx=20, marker=dict(color=PRIMARY),
             name="residuals", showlegend=False, hovertemplate="residual %{x}: %{y} samples<extra></extra>"),
    ]
    axis = dict(gridcolor="#e5e8eb", zerolinecolor="#b8bec4", automargin=True)
    return go.Figure(traces, layout(
        f"Residuals on held-out data: MAE {result.held_out.mae:.4g}, RMSE {result.held_out.rmse:.4g}, "
        f"R² {result.held_out.r2:.3f}",
        "residual = predicted − true · left: on the dashed line predictions are exact<br>middle: a pattern "
        "means a systematic error · right: how large the errors are", height=380, showlegend=True,
        legend=dict(x=0.01, y=0.99, xanchor="left", yanchor="top", bgcolor="rgba(255,255,255,0.8)",
                    font=dict(size=11)), hovermode="closest",
        xaxis=dict(domain=[0, 0.28], title=dict(text=f"true {result.target}")),
        yaxis=dict(title=dict(text="predicted")),
        xaxis2=dict(axis, domain=[0.36, 0.64], anchor="y2", title=dict(text="predicted")),
        yaxis2=dict(axis, anchor="x2", title=dict(text="residual")),
        xaxis3=dict(axis, domain=[0.72, 1], anchor="y3", title=dict(text="residual")),
        yaxis3=dict(axis, anchor="x3", title=dict(text="samples"))))

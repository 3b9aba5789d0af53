"""Figures of the training-history and layers views (issue 9 views 2 and 3): loss and
accuracy curves per epoch, TensorBoard-style ridgelines of a layer's histograms over the
epochs, and one layer's histograms now. Each takes the engine's result
(explain_core/model_views/training_history.py, layer_stats.py) and returns a go.Figure."""
from __future__ import annotations

import numpy as np
import plotly.colors as pc
import plotly.graph_objects as go

from .common import HIGHLIGHT, NEGATIVE, NEUTRAL, PRIMARY, SEQUENTIAL, empty_figure, layout

MAX_RIDGES = 30          # epochs drawn in a ridgeline (evenly spread, first and last kept)
OVERLAP = 2.2            # a ridge's tallest bin, in rows: TensorBoard's overlapping look
KIND_WORDS = {"weights": "weights", "biases": "biases", "activations": "activations",
              "gradients": "gradients of the loss w.r.t. the weights"}


def _line(x, y, name, colour, dash=None, width=2.2, fmt=".4g"):
    return dict(type="scatter", mode="lines+markers" if len(x) <= 30 else "lines", x=x, y=y, name=name,
                line=dict(color=colour, width=width, dash=dash), marker=dict(size=5),
                hovertemplate=f"{name}, epoch %{{x}}: %{{y:{fmt}}}<extra></extra>")


def _legend():
    return dict(showlegend=True, legend=dict(orientation="h", y=-0.45, yanchor="top", x=0, font=dict(size=12)))


def _trained(history) -> str:
    return f"training ({history.train_rows:,} rows)" if history.train_rows else "training"


def loss_figure(history) -> go.Figure:
    """Loss per epoch: training rows and held-out rows scored at each epoch's end, and the
    mean over the epoch's training batches (as the optimiser saw them)."""
    m, e = history.metrics, history.epochs
    traces = [_line(e, m["train_loss_batches"], "training, mean over the epoch's batches", NEUTRAL, "dot", 1.5)]
    if "train_loss" in m:
        traces.append(_line(e, m["train_loss"], _trained(history), NEGATIVE))
    traces.append(_line(e, m["test_loss"], "held-out", HIGHLIGHT))
    best = int(np.nanargmin(m["test_loss"]))
    last = float(m["test_loss"][-1])
    sub = (f"lowest held-out loss at epoch {int(e[best])} ({float(m['test_loss'][best]):.4g});<br>"
           f"at the end {last:.4g}")
    fig = layout("Loss per epoch", sub, height=360, xaxis=dict(title=dict(text="epoch")),
                 yaxis=dict(title=dict(text=_loss_name(history))), hovermode="x unified", **_legend(),
                 shapes=[dict(type="line", x0=int(e[best]), x1=int(e[best]), yref="paper", y0=0, y1=1,
                              line=dict(color=HIGHLIGHT, width=1, dash="dash"))])
    return go.Figure(traces, fig)


def _loss_name(history) -> str:
    return "MSE / target variance" if history.task == "regression" else "cross-entropy"


def score_figure(history) -> go.Figure:
    """Accuracy per epoch (classification) or mean absolute error, with R² (regression)."""
    m, e = history.metrics, history.epochs
    if history.task == "regression":
        traces = [_line(e, m["train_mae"], _trained(history), NEGATIVE),
                  _line(e, m["test_mae"], "held-out", HIGHLIGHT)]
        sub = (f"at the end: held-out MAE {m['test_mae'][-1]:.4g} (R² {m['test_r2'][-1]:.3f}),<br>"
               f"training {m['train_mae'][-1]:.4g} (R² {m['train_r2'][-1]:.3f})")
        return go.Figure(traces, layout("Mean absolute error per epoch", sub, height=360,
                                        xaxis=dict(title=dict(text="epoch")), yaxis=dict(title=dict(text="MAE")),
                                        hovermode="x unified", **_legend()))
    traces = [_line(e, m["train_accuracy_batches"], "training, mean over the epoch's batches", NEUTRAL, "dot", 1.5,
                    ".1%"),
              _line(e, m["train_accuracy"], _trained(history), NEGATIVE, fmt=".1%"),
              _line(e, m["test_accuracy"], "held-out", HIGHLIGHT, fmt=".1%")]
    gap = 100 * (m["train_accuracy"][-1] - m["test_accuracy"][-1])
    words = (f"fits its training rows {gap:.1f} points better than held-out ones" if gap >= 0.05 else
             f"does {-gap:.1f} points better on held-out rows than on training ones" if gap <= -0.05 else
             "the same on training and held-out rows")
    sub = f"at the end: held-out {m['test_accuracy'][-1]:.1%}, training {m['train_accuracy'][-1]:.1%}:<br>{words}"
    return go.Figure(traces, layout("Accuracy per epoch", sub, height=360, xaxis=dict(title=dict(text="epoch")),
                                    yaxis=dict(title=dict(text="accuracy"), tickformat=".0%"),
                                    hovermode="x unified", **_legend()))


def _heights(counts: np.ndarray, log: bool) -> np.ndarray:
    c = np.log1p(counts.astype(np.float64)) if log else counts.astype(np.float64)
    top = float(c.max()) if c.size else 0.0
    return c / top if top > 0 else c


def ridgeline_figure(series, epochs, log: bool = False, total: int | None = None) -> go.Figure:
    """One curve per recorded epoch (`epochs`, one per row of the series' counts) on shared
    bin edges, offset upwards from the last epoch (in front, at the bottom) to the first (at
    the back, on top), coloured by epoch. total: how many epochs training ran."""
    n_epochs = len(series.counts)
    total = total or n_epochs
    keep = np.unique(np.round(np.linspace(0, n_epochs - 1, min(MAX_RIDGES, n_epochs))).astype(int))
    edges = np.asarray(series.edges, np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    heights = _heights(np.asarray(series.counts)[keep], log)
    colours = pc.sample_colorscale(SEQUENTIAL, list(np.linspace(0, 1, len(keep)))) if len(keep) > 1 \
        else [pc.sample_colorscale(SEQUENTIAL, [1.0])[0]]
    xs = np.r_[edges[0], centres, edges[-1]]
    traces, ticks = [], []
    for row, (i, h, colour) in enumerate(zip(keep, heights, colours)):
        base = float(len(keep) - 1 - row)
        counts = np.asarray(series.counts[i])
        n = max(int(counts.sum()), 1)
        custom = np.c_[edges[:-1], edges[1:], counts, counts / n]
        custom = np.r_[custom[:1], custom, custom[-1:]]
        traces.append(dict(type="scatter", x=xs, y=np.r_[base, base + OVERLAP * h, base], mode="lines",
                           fill="toself", fillcolor=_alpha(colour, 0.78), line=dict(color="white", width=1),
                           name=f"epoch {int(epochs[i])}", customdata=custom,
                           hovertemplate=f"epoch {int(epochs[i])}: %{{customdata[2]:,.0f}} values in "
                                         "[%{customdata[0]:.3g}, %{customdata[1]:.3g}) "
                                         "(%{customdata[3]:.1%})<extra></extra>"))
        ticks.append((base, f"epoch {int(epochs[i])}"))
    step = max(1, len(ticks) // 12)
    shown = ticks[::-1][::step]
    beyond = float((np.asarray(series.beyond) / np.maximum(np.asarray(series.counts).sum(1), 1)).max())
    sub = (f"{len(keep)} of {total} epochs · front: the last epoch · {len(edges) - 1} bins over "
           f"[{edges[0]:.3g}, {edges[-1]:.3g}], the same every epoch"
           + (f" · values beyond them (at most {beyond:.1%} of an epoch's) are counted in the end bins"
              if beyond > 0 else "") + (" · heights: log(1 + count)" if log else ""))
    return go.Figure(traces, layout(
        f"{series.layer}: {KIND_WORDS.get(series.kind, series.kind)} over the epochs", sub,
        height=int(np.clip(180 + 16 * len(keep), 320, 620)), hovermode="closest",
        xaxis=dict(title=dict(text="value"), showgrid=False),
        yaxis=dict(tickvals=[b for b, _ in shown], ticktext=[t for _, t in shown], showgrid=False,
                   zeroline=False, range=[-0.3, len(keep) - 1 + OVERLAP + 0.3])))


def _alpha(colour: str, a: float) -> str:
    r, g, b = pc.unlabel_rgb(colour) if colour.startswith("rgb") else pc.hex_to_rgb(colour)
    return f"rgba({int(r)}, {int(g)}, {int(b)}, {a})"


def _bars(h, axis: str, colour: str, what: str, log: bool) -> dict:
    edges = np.asarray(h.edges, np.float64)
    counts = np.asarray(h.counts)
    n = max(int(counts.sum()), 1)
    return dict(type="bar", x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), name=what,
                marker=dict(color=colour, line=dict(width=0)), xaxis=axis, yaxis=axis.replace("x", "y"),
                customdata=np.c_[edges[:-1], edges[1:], counts / n],
                hovertemplate=f"{what}: %{{y:,.0f}} in [%{{customdata[0]:.3g}}, %{{customdata[1]:.3g}}) "
                              "(%{customdata[2]:.1%})<extra></extra>")


PANELS = (("weights", "weights", PRIMARY), ("biases", "biases", NEUTRAL),
          ("activations", "activations (held-out rows)", "#009E73"),
          ("gradients", "gradients of the loss (weights)", HIGHLIGHT))


def layer_figure(state, rows: int, grad_rows: int, log: bool = False) -> go.Figure:
    """The chosen layer now: a panel per histogram it has (weights, biases, activations,
    gradients), and for a ReLU the share of held-out rows each unit fires on."""
    panels = [(getattr(state, k), f"{title}", colour) for k, title, colour in PANELS if getattr(state, k) is not None]
    firing = getattr(state, "firing", None)
    if not panels and firing is None:
        return empty_figure(f"{state.name} ({state.type}) has nothing to show: no weights, and no output a hook saw")
    n = len(panels) + (firing is not None)
    cols = 2 if n > 1 else 1
    rows_n = (n + 1) // 2 if n > 1 else 1
    traces, axes, notes = [], {}, []
    for k in range(n):
        r, c = divmod(k, cols)
        ax = "x" if k == 0 else f"x{k + 1}"
        x0, x1 = (c / cols + (0.06 if c else 0), (c + 1) / cols - (0.0 if c else 0.04))
        y1 = 1 - r / rows_n - (0.1 if r else 0.0) / rows_n
        y0 = 1 - (r + 1) / rows_n + 0.16 / rows_n
        suffix = "" if k == 0 else str(k + 1)
        axes[f"xaxis{suffix}"] = dict(domain=[x0, x1], anchor=f"y{suffix}", showgrid=False, automargin=True)
        axes[f"yaxis{suffix}"] = dict(domain=[y0, y1], anchor=f"x{suffix}", type="log" if log else "linear",
                                      gridcolor="#e5e8eb", automargin=True)
        if k < len(panels):
            h, title, colour = panels[k]
            traces.append(_bars(h, ax, colour, title, log))
            text = f"{title} · {h.n:,} values"
        else:
            order = np.argsort(-np.asarray(firing), kind="stable")
            share = np.asarray(firing)[order]
            traces.append(dict(type="bar", x=np.arange(len(share)), y=share, xaxis=ax, yaxis=ax.replace("x", "y"),
                               marker=dict(color=np.where(share == 0, HIGHLIGHT, PRIMARY)), customdata=order,
                               name="units", hovertemplate="unit %{customdata}: fires on %{y:.1%} of held-out rows"
                                                           "<extra></extra>"))
            axes[f"yaxis{suffix}"].update(type="linear", tickformat=".0%", range=[0, 1.05])
            axes[f"xaxis{suffix}"].update(title=dict(text="units, most often firing first"), showticklabels=False)
            text = "share of held-out rows each unit fires on (dead: 0%, orange)"
        notes.append(dict(text=f"<b>{text}</b>", x=(x0 + x1) / 2, y=y1, xref="paper", yref="paper",
                          xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=12)))
    sub = f"activations over {rows:,} held-out rows" + (
        f" · gradients of the mean loss on {grad_rows:,} held-out rows" if grad_rows else "")
    return go.Figure(traces, layout(f"{state.name} ({state.type}) now", sub, height=270 + 210 * rows_n,
                                    annotations=notes, bargap=0, margin=dict(l=10, r=10, t=104, b=10), **axes))

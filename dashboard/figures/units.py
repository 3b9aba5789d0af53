"""Unit contributions: each input unit of the last dense layer, activation × outgoing weight
to the explained score, sorted, with the bias as its own bar."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import HIGHLIGHT, NEGATIVE, NEUTRAL, POSITIVE, class_name, layout

MAX_BARS = 64     # the largest |contribution| units shown as bars; the rest summed into one


def _num(v) -> str:
    return f"{float(v):.4g}"


def sum_text(r) -> str:
    """'Σ contributions (1.234) + bias (0.5) = 1.734 = the logit of class 3 (model: 1.734).'"""
    total = float(np.sum(r.contributions, dtype=np.float64))
    what = "the logit before the model's sigmoid" if r.logit else "the explained score"
    text = (f"Σ {len(r.contributions)} unit contributions ({_num(total)}) + bias ({_num(r.bias)}) = "
            f"{_num(total + r.bias)} = {what} ({_num(r.score)}).")
    if not r.direct:
        text += (f" Layer {r.layer}'s output is not the model's output: the model's score is {_num(r.output)}, "
                 "after what follows the layer.")
    return text


def units_figure(r, class_names=(), picked: int | None = None) -> go.Figure:
    """`r`: UnitContributions. Bars sorted by contribution, the largest first; customdata
    holds each bar's unit number (a click names the unit); the picked unit is outlined."""
    c = np.asarray(r.contributions, dtype=np.float64)
    order = np.argsort(-c, kind="stable")
    if len(order) > MAX_BARS:          # keep the strongest by |c|, still sorted by c
        keep = np.sort(np.argsort(-np.abs(c), kind="stable")[:MAX_BARS])
        order = keep[np.argsort(-c[keep], kind="stable")]
    rest = np.setdiff1d(np.arange(len(c)), order)
    labels = [f"unit {i}" for i in order]
    values = list(c[order])
    colours = [POSITIVE if v >= 0 else NEGATIVE for v in values]
    custom = [[int(i), float(r.activations[i]), float(r.weights[i])] for i in order]
    if len(rest):
        labels.append(f"{len(rest)} other units")
        values.append(float(c[rest].sum()))
        colours.append(NEUTRAL)
        custom.append([-1, np.nan, np.nan])
    labels.append("bias")
    values.append(float(r.bias))
    colours.append(NEUTRAL)
    custom.append([-1, np.nan, np.nan])
    lines = [2.5 if row[0] == picked and picked is not None else 0 for row in custom]
    bars = dict(type="bar", x=labels, y=values, name="contribution", customdata=custom,
                marker=dict(color=colours, line=dict(color=HIGHLIGHT, width=lines)),
                hovertemplate="%{x}<br>contribution %{y:.4g}<br>activation %{customdata[1]:.4g} × "
                              "weight %{customdata[2]:.4g}<extra></extra>")
    heading = (f"Unit contributions to class {class_name(class_names, int(r.target))}"
               if len(class_names) > 1 else "Unit contributions to the prediction")
    silent = int(np.sum(np.asarray(r.contributions) == 0))
    sub = (f"each input unit of layer {r.layer}: its activation × its weight to the explained score (red raises it, "
           f"blue lowers it); the bias apart<br>{silent} of {len(c)} units contribute nothing here (activation 0). "
           "Click a bar to see what that unit responds to.")
    return go.Figure([bars], layout(heading, sub, height=440, xaxis=dict(type="category", tickangle=-60,
                                                                       tickfont=dict(size=10)),
                                    yaxis=dict(title=dict(text="contribution"), zeroline=True, zerolinewidth=1.5),
                                    clickmode="event"))

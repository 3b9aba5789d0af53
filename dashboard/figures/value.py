"""A regression sample at a glance: the predicted value as a bar over the target's range,
the true value as a mark on it (the probability bars' counterpart)."""
from __future__ import annotations

import math

import plotly.graph_objects as go

from .common import PRIMARY, SECOND, layout


def value_figure(prediction: float, label: float | None, value_range: tuple[float, float], name: str = "value",
                 labelled: bool = True) -> go.Figure:
    """One horizontal bar from the range's low end to the prediction, the true value as an
    orange diamond (when known), the x axis spanning the target's range (with a margin when
    the prediction falls outside it)."""
    lo, hi = (float(v) for v in value_range)
    p = float(prediction)
    has_label = labelled and label is not None and math.isfinite(float(label))
    span = [min(lo, p), max(hi, p)]
    pad = 0.04 * (span[1] - span[0] or 1.0)
    traces = [dict(type="bar", x=[p - span[0]], base=[span[0]], y=["predicted"], orientation="h", name="prediction",
                   marker=dict(color=PRIMARY), text=[f"{p:.4g}"], textposition="outside", cliponaxis=False,
                   hovertemplate=f"predicted {name}: %{{customdata:.4g}}<extra></extra>", customdata=[p])]
    if has_label:
        t = float(label)
        traces.append(dict(type="scatter", x=[t], y=["predicted"], mode="markers", name="true value",
                           marker=dict(symbol="diamond", size=14, color=SECOND, line=dict(color="#333", width=1)),
                           hovertemplate=f"true {name}: %{{x:.4g}}<extra></extra>"))
        verdict = f"true {t:.4g}, error {p - t:+.4g}"
    else:
        verdict = "no true value"
    return go.Figure(traces, layout(
        f"Predicted {name}: {p:.4g} ({verdict})",
        f"bar = prediction · diamond = true value · axis = the {name}'s range in the data ({lo:.4g} to {hi:.4g})",
        height=150, bargap=0.35,
        xaxis=dict(range=[span[0] - pad, span[1] + 6 * pad], title=dict(text=name)),
        yaxis=dict(showticklabels=False)))

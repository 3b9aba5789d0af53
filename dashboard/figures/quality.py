"""Quality figures: deletion/insertion curves, the randomisation check's rank correlations,
and a stochastic method's spread over seeds. Pure functions: result -> go.Figure."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import HIGHLIGHT, NEUTRAL, POSITIVE, PRIMARY, SECOND, layout


def curves_figure(report, what: str = "the explained class") -> go.Figure:
    """Deletion (falls fast when the map is faithful) and insertion (rises fast)."""
    c = report.curves
    unit = "probability of " + what if c.quantity == "probability" else "predicted " + what
    x = 100 * np.asarray(c.fractions)
    traces = [
        go.Scatter(x=x, y=c.deletion, mode="lines", name=f"deletion (area {c.deletion_auc:.3f})",
                   line=dict(color=POSITIVE, width=2.5),
                   hovertemplate="%{x:.0f}% removed: %{y:.3f}<extra>deletion</extra>"),
        go.Scatter(x=x, y=c.insertion, mode="lines", name=f"insertion (area {c.insertion_auc:.3f})",
                   line=dict(color=PRIMARY, width=2.5),
                   hovertemplate="%{x:.0f}% put back: %{y:.3f}<extra>insertion</extra>"),
    ]
    lay = layout("Deletion and insertion",
                 f"most important first; removed features become the {c.replacement}", height=300,
                 xaxis=dict(title="% of the features removed / put back", range=[0, 100]),
                 yaxis=dict(title=unit), showlegend=True,
                 legend=dict(x=0.98, y=0.5, xanchor="right", yanchor="middle", bgcolor="rgba(255,255,255,0.85)"))
    lay["margin"] = dict(l=60, r=10, t=60, b=40)
    return go.Figure(traces, lay)


def randomisation_figure(sanity) -> go.Figure:
    """Spearman of each step's map with the original, layers randomised from the top."""
    names = [("+ " if k else "") + n for k, n in enumerate(sanity.layers)]
    colours = [HIGHLIGHT if v >= 0.5 else NEUTRAL for v in sanity.spearman]
    bars = go.Bar(x=names, y=sanity.spearman, marker_color=colours, text=[f"{v:.2f}" for v in sanity.spearman],
                  textposition="outside", hovertemplate="%{x} random: ρ = %{y:.3f}<extra></extra>", cliponaxis=False)
    lay = layout("Does the map change when the model is random?",
                 "rank correlation with the real model's map, layers re-initialised from the top", height=300,
                 xaxis=dict(title="layers re-initialised (cumulative)"), yaxis=dict(title="Spearman ρ",
                                                                                     range=[-0.2, 1.15]),
                 shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=0.5, y1=0.5,
                              line=dict(color=SECOND, dash="dash"))])
    lay["margin"] = dict(l=60, r=10, t=60, b=40)
    return go.Figure([bars], lay)


VALUE_NAMES = {"lime": "weight", "kernel_shap": "Shapley value"}     # what one feature's number is called


def spread_figure(stab, feature_names=(), top: int = 15) -> go.Figure:
    """A table's features: mean value over the seeds with bars from the lowest to the highest."""
    unit = VALUE_NAMES.get(stab.method, "attribution")
    mean, lo, hi = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (stab.mean, stab.low, stab.high))
    order = np.argsort(-np.abs(mean), kind="stable")[:top][::-1]
    names = [str(feature_names[k]) if k < len(feature_names) else f"feature {k}" for k in order]
    trace = go.Scatter(x=mean[order], y=names, mode="markers", marker=dict(color=PRIMARY, size=8),
                       error_x=dict(type="data", symmetric=False, array=hi[order] - mean[order],
                                    arrayminus=mean[order] - lo[order], color=NEUTRAL, thickness=2),
                       hovertemplate="%{y}: mean %{x:.4g}<extra></extra>")
    lay = layout(f"Spread over {len(stab.seeds)} seeds",
                 f"dot: mean {unit}; bar: lowest to highest; seeds agree on the order ρ = {stab.agreement:.2f}",
                 height=120 + 22 * len(order), xaxis=dict(title=unit, zeroline=True),
                 yaxis=dict(automargin=True))
    lay["margin"] = dict(l=10, r=10, t=60, b=40)
    return go.Figure([trace], lay)

"""LIME's local linear model: signed feature weights, or segment weights over the image."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .attribution import image_layers
from .common import DIVERGING, HIGHLIGHT, NEGATIVE, POSITIVE, class_name, labels_trace, layout


def fit_text(result) -> str:
    """'local fit R² = 0.83 (weighted); intercept 0.12; p(class) model 0.991 vs local model 0.954'."""
    ex = result.extras
    parts = [f"local fit R² = {ex['score']:.2f} (weighted)", f"intercept {ex['intercept']:.3g}"]
    if "prediction_model" in ex and "prediction_local" in ex:
        parts.append(f"p(class) model {ex['prediction_model']:.3f} vs local model {ex['prediction_local']:.3f}")
    return "; ".join(parts)


def lime_figure(result, feature_names: tuple = (), class_names: tuple = ()) -> go.Figure:
    """`result` is an Attribution with method 'lime' (extras: top_features, score, intercept…)."""
    heading = f"LIME for class {class_name(class_names, int(result.target))}"
    if np.ndim(result.attribution) >= 2:
        return _image(result, heading)
    return _tabular(result, heading, feature_names)


def _tabular(result, heading: str, feature_names) -> go.Figure:
    """The top_features as signed bars, largest |weight| at the top."""
    top = result.extras["top_features"]
    names = [str(n) for n, _ in top]
    weights = np.array([w for _, w in top], dtype=np.float64)
    all_names = tuple(feature_names) or tuple(result.extras.get("feature_names", ()))
    x = np.asarray(result.inputs, dtype=np.float64).reshape(-1)
    lookup = {str(n): i for i, n in enumerate(all_names)} if len(all_names) == len(x) else {}
    values = np.array([x[lookup[n]] if n in lookup else np.nan for n in names])
    bars = dict(type="bar", x=weights, y=names, orientation="h", name="LIME weight", customdata=values,
                marker=dict(color=[POSITIVE if w >= 0 else NEGATIVE for w in weights]),
                hovertemplate="%{y}<br>weight %{x:.4g}<br>feature value %{customdata:.4g}<extra></extra>")
    sub = (f"top {len(top)} features of the local linear model (change in p(class) per training standard "
           f"deviation); red raises p, blue lowers it<br>{fit_text(result)}")
    return go.Figure([bars], layout(heading, sub, height=int(np.clip(150 + 26 * len(top), 280, 640)),
                                    yaxis=dict(autorange="reversed", type="category"),
                                    xaxis=dict(title=dict(text="weight in the local model"), zeroline=True,
                                               zerolinewidth=1.5)))


def _image(result, heading: str) -> go.Figure:
    """Each segment's weight over the image, segment outlines, the top segments numbered."""
    ex = result.extras
    segments = np.asarray(ex["segments"])
    n_seg = int(ex.get("n_segments", segments.max() + 1))
    traces, _, axes = image_layers(np.asarray(result.attribution, dtype=np.float32),
                                   np.asarray(result.inputs, dtype=np.float32), scale=DIVERGING)  # signed weights
    xs, ys = segment_boundaries(segments)
    traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color="rgba(40,40,40,0.45)", width=1),
                       hoverinfo="skip", name="segment boundaries"))
    ranked = [(rank, int(seg)) for rank, (seg, _) in enumerate(ex["top_features"], start=1)
              if (segments == int(seg)).any()]
    centres = [np.argwhere(segments == seg).mean(axis=0) for _, seg in ranked]   # (row, col)
    traces.append(labels_trace([c[1] for c in centres], [c[0] for c in centres], [f"<b>{r}</b>" for r, _ in ranked],
                               [HIGHLIGHT] * len(ranked), "top segment ranks", customdata=[s for _, s in ranked],
                               position="middle center", size=12))
    sub = (f"weight of each of {n_seg} segments: red segments raise p(class) when shown, blue lower it; "
           f"numbers rank the top {len(ranked)}<br>{fit_text(result)}")
    return go.Figure(traces, layout(heading, sub, height=480, **axes))


def segment_boundaries(segments: np.ndarray) -> tuple[list, list]:
    """Lines between pixels of different segments, merged into runs, as x/y lists with None breaks."""
    s = np.asarray(segments)
    xs: list = []
    ys: list = []
    for vertical in (True, False):
        diff = s[:, :-1] != s[:, 1:] if vertical else (s[:-1, :] != s[1:, :]).T
        for line in range(diff.shape[1]):
            run = np.flatnonzero(diff[:, line])
            if not run.size:
                continue
            breaks = np.flatnonzero(np.diff(run) > 1)
            for a, b in zip(np.r_[run[0], run[breaks + 1]], np.r_[run[breaks], run[-1]]):
                edge, lo, hi = line + 0.5, float(a) - 0.5, float(b) + 0.5
                if vertical:   # between columns line and line+1, over rows a..b
                    xs += [edge, edge, None]
                    ys += [lo, hi, None]
                else:          # between rows line and line+1, over columns a..b
                    xs += [lo, hi, None]
                    ys += [edge, edge, None]
    return xs, ys

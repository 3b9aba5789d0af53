"""A sample at a glance: its image as a thumbnail and the model's class probabilities."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import NEUTRAL, PRIMARY, SECOND, layout
from .images import image_uri, shrink


THUMB_SIDE = 64     # thumbnails of bigger images are averaged down to this many pixels a side


def digit_thumbnail_uri(x: np.ndarray) -> str:
    """An image sample (C, H, W) or (H, W) as a PNG data URI at its own pixel size up to
    THUMB_SIDE (let CSS scale it with pixelated rendering): grey as dark ink on white, RGB
    in its colours."""
    return image_uri(shrink(x, THUMB_SIDE))


def _bar_colours(n: int, label: int | None, prediction: int) -> list[str]:
    colours = [NEUTRAL] * n
    if label is not None and 0 <= label < n:
        colours[label] = SECOND
    colours[prediction] = PRIMARY
    return colours


def probability_figure(probs: np.ndarray, class_names, label: int | None, prediction: int) -> go.Figure:
    """Horizontal bars of the model's probability per class, class 0 at the top.
    Blue = predicted class, orange = true label (when it differs)."""
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    n = len(p)
    names = [str(class_names[k]) if k < len(class_names) else str(k) for k in range(n)]
    label = None if label is None or label < 0 else int(label)
    prediction = int(prediction)
    marks = []
    for k in range(n):
        tags = [t for t, on in (("predicted", k == prediction), ("true", k == label)) if on]
        marks.append(f"{100 * p[k]:.1f}%" + (f"  ← {' & '.join(tags)}" if tags else ""))
    bars = dict(type="bar", x=p, y=names, orientation="h", marker=dict(color=_bar_colours(n, label, prediction)),
                text=marks, textposition="outside", cliponaxis=False, customdata=np.arange(n), name="probability",
                hovertemplate="class %{y}: %{x:.2%}<extra></extra>")
    if label is None:
        verdict = "no true label"
    elif label == prediction:
        verdict = f"true label {names[label]} — correct"
    else:
        verdict = f"true label {names[label]} — misclassified"
    return go.Figure([bars], layout(
        f"Model output: predicted {names[prediction]} ({100 * p[prediction]:.1f}%), {verdict}",
        "probability per class · blue = predicted · orange = true label",
        height=int(np.clip(110 + 24 * n, 200, 520)), bargap=0.25,
        xaxis=dict(range=[0, 1.35], tickformat=".0%", title=dict(text="probability"),
                   tickvals=[0, 0.25, 0.5, 0.75, 1.0]),
        yaxis=dict(autorange="reversed", type="category", title=dict(text="class"))))

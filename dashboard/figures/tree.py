"""The distilled decision tree, drawn top-down, with the sample's path highlighted."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from .common import CLASS_COLOURS, HIGHLIGHT, SEQUENTIAL, layout
from .tree_words import PIXEL, leaf_words, split_words

TEXT_NODES_MAX = 31          # label every node up to depth 4; deeper trees label the path only
INTERNAL = "#f4f6f8"


def tree_layout(children_left, children_right) -> tuple[np.ndarray, np.ndarray]:
    """(x, depth) per node: leaves at consecutive x from left to right, parents centred above."""
    left, right = np.asarray(children_left), np.asarray(children_right)
    n = len(left)
    x, depth = np.zeros(n), np.zeros(n, int)
    order, stack = [], [0]
    while stack:                       # pre-order: parents before children
        i = stack.pop()
        order.append(i)
        if left[i] != -1:
            depth[left[i]] = depth[right[i]] = depth[i] + 1
            stack += [right[i], left[i]]
    leaf_x = 0
    for i in order:                    # pre-order visits leaves left to right
        if left[i] == -1:
            x[i], leaf_x = leaf_x, leaf_x + 1
    for i in reversed(order):          # children before parents
        if left[i] != -1:
            x[i] = (x[left[i]] + x[right[i]]) / 2
    return x, depth


def _class_label(names, k: int) -> str:
    return str(names[k]) if k < len(names) else str(k)


def _regression(result) -> bool:
    return getattr(result, "task", "classification") == "regression"


def _hover(result, i: int) -> str:
    v = np.asarray(result.value[i])
    if _regression(result):
        mix = f"network's mean prediction here: {float(v[0]):.4g}"
    else:
        mix = "network's classes here: " + ", ".join(f"{_class_label(result.class_names, k)}: {100 * v[k]:.0f}%"
                                                     for k in np.argsort(-v, kind="stable")[:3] if v[k] > 0)
    if result.children_left[i] == -1:
        said = leaf_words(v, result.class_names, result.n_node_samples[i], _regression(result))
    else:
        q, a_left, a_right = _split(result, i)
        said = f"{q} left: {a_left}, right: {a_right}"
    return (f"{said}<br>training samples: {int(result.n_node_samples[i])}"
            f" · impurity {float(result.impurity[i]):.3g} (0 = pure)<br>{mix}<br>split as sklearn has it: "
            f"{result.node_labels[i]}")


def _split(result, i: int) -> tuple[str, str, str]:
    last = PIXEL.match(str(result.feature_names[-1])) if len(result.feature_names) else None
    channels = int(last.group(1)) + 1 if last and last.group(1) is not None else 1   # px(2,27,27): RGB
    return split_words(result.feature_names[result.feature[i]], result.threshold[i], channels)


def _colour(k: int) -> str:
    return CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]


def _edges(x, depth, pairs) -> tuple[list, list]:
    xs, ys = [], []
    for a, b in pairs:
        xs += [float(x[a]), float(x[b]), None]
        ys += [float(depth[a]), float(depth[b]), None]
    return xs, ys


def short_label(result, i: int) -> str:
    """Two short lines for a node drawn in the tree: 'worst radius<br>≤ 17.6' or 'benign<br>100%'."""
    if result.children_left[i] == -1 and _regression(result):
        return f"{float(result.value[i][0]):.4g}<br>mean"
    if result.children_left[i] == -1:
        v = np.asarray(result.value[i])
        k = int(v.argmax())
        return f"{_class_label(result.class_names, k)}<br>{100 * v[k]:.0f}%"
    q = _split(result, i)[0]
    cut = q.rfind(" ", 0, max(len(q) // 2 + 4, 1))
    return q if len(q) <= 16 or cut < 0 else q[:cut] + "<br>" + q[cut + 1:]


def _path_text(result, i: int) -> str:
    if result.children_left[i] == -1:
        return short_label(result, i).replace("<br>", " ")
    return _split(result, i)[0]


def _nodes(result, ids: np.ndarray, x, depth, name: str, size: float, colour, symbol: str, text: bool) -> dict:
    return dict(type="scatter", x=x[ids], y=depth[ids], mode="markers+text" if text else "markers", name=name,
                customdata=ids,
                marker=dict(size=size, color=colour, symbol=symbol, line=dict(color="#6b7680", width=1)),
                text=[short_label(result, i) for i in ids] if text else None, textposition="bottom center",
                textfont=dict(size=10, color="#333"), hovertext=[_hover(result, i) for i in ids], hoverinfo="text")


def _leaf_key(result, leaves, majority) -> tuple[list, str]:
    """(leaf colours, the line under the tree saying what they mean): a colour per class,
    or for regression the mean predicted value on a sequential scale."""
    if _regression(result):
        v = np.asarray(result.value)[leaves, 0]
        lo, hi = float(v.min()), float(v.max())
        at = (v - lo) / (hi - lo) if hi > lo else np.full(len(v), 0.5)
        colours = sample_colorscale(SEQUENTIAL, [float(a) for a in at])
        ends = sample_colorscale(SEQUENTIAL, [0.0, 1.0])
        return colours, (f"leaf colour = the network's mean prediction there:  <span style='color:{ends[0]}'>■</span>"
                         f" {lo:.4g} (low) … <span style='color:{ends[1]}'>■</span> {hi:.4g} (high)")
    classes = sorted(set(int(majority[i]) for i in leaves))
    return [_colour(majority[i]) for i in leaves], (
        "leaf: the class the network gives most to the training samples that end there, and its share of them"
        "<br>colour:  " + "  ".join(f"<span style='color:{_colour(k)}'>■</span> {_class_label(result.class_names, k)}"
                                for k in classes))


def _titles(result) -> tuple[str, str]:
    if _regression(result):
        return (f"Distilled regression tree (depth {result.max_depth}): R² {result.fidelity:.2f} against the "
                "network on held-out samples",
                f"R² against the true values: tree {result.accuracy:.2f}, network {result.network_accuracy:.2f}; "
                f"this sample: tree predicts {result.prediction:.4g}, network {result.network_prediction:.4g}; "
                "its path is outlined")
    names = result.class_names
    verdict = "agree" if result.prediction == result.network_prediction else "disagree"
    return (f"Distilled tree (depth {result.max_depth}): agrees with the network on "
            f"{100 * result.fidelity:.0f}% of held-out samples",
            f"tree accuracy {100 * result.accuracy:.0f}% vs network {100 * result.network_accuracy:.0f}%; "
            f"this sample: tree says {_class_label(names, result.prediction)}, network says "
            f"{_class_label(names, result.network_prediction)} ({verdict}); its path is outlined")


def tree_figure(result) -> go.Figure:
    """`result` is a TreeExplanation (sklearn tree_ arrays, node_labels, path, leaf …).
    Traces: edges, path edges, decision nodes, leaves (coloured by class), the path's nodes
    (outlined, customdata = node ids root → leaf); a line under the tree keys the leaf colours."""
    left, right = np.asarray(result.children_left), np.asarray(result.children_right)
    n = len(left)
    x, depth = tree_layout(left, right)
    is_leaf = left == -1
    leaves, inner = np.flatnonzero(is_leaf), np.flatnonzero(~is_leaf)
    majority = np.asarray(result.value).argmax(axis=1)
    path = np.asarray(result.path, dtype=np.int64)
    size = float(np.clip(560 / max(len(leaves), 1), 7, 20))
    small = n <= TEXT_NODES_MAX
    ex, ey = _edges(x, depth, [(i, c) for i in inner for c in (left[i], right[i])])
    px, py = _edges(x, depth, zip(path[:-1], path[1:]))
    leaf_colours, key = _leaf_key(result, leaves, majority)
    traces = [
        dict(type="scatter", x=ex, y=ey, mode="lines", line=dict(color="#b8bec4", width=1), hoverinfo="skip",
             name="edges"),
        dict(type="scatter", x=px, y=py, mode="lines", line=dict(color=HIGHLIGHT, width=5), hoverinfo="skip",
             name="sample's path edges"),
        _nodes(result, inner, x, depth, "decision nodes", size, INTERNAL, "circle", small),
        _nodes(result, leaves, x, depth, "leaves", size, leaf_colours, "square", small),
        dict(type="scatter", x=x[path], y=depth[path], mode="markers" if small else "markers+text",
             name="sample's path", customdata=path, hoverinfo="skip",
             marker=dict(size=size + 6, color="rgba(0,0,0,0)", line=dict(color=HIGHLIGHT, width=3)),
             text=None if small else [f"<b>{_path_text(result, i)}</b>" for i in path],
             textposition=["middle right"] * (len(path) - 1) + ["bottom center"],
             textfont=dict(size=11, color=HIGHLIGHT)),
    ]
    edge_labels = [dict(x=0.38 * x[a] + 0.62 * x[b], y=0.38 * depth[a] + 0.62 * depth[b],  # clear of a's label
                        showarrow=False, name=f"edge {a}-{b}",
                        text=_split(result, a)[1 if b == left[a] else 2], font=dict(size=10, color=HIGHLIGHT),
                        bgcolor="rgba(255,255,255,0.8)") for a, b in zip(path[:-1], path[1:])]
    edge_labels.append(dict(x=0, y=0, xref="paper", yref="paper", xanchor="left", yanchor="top", showarrow=False,
                            text=key, name="leaf classes", font=dict(size=12)))
    title, sub = _titles(result)
    right_pad = 0 if small else 0.2 * len(leaves)   # room for the path's text on the right
    lay = layout(title, sub, height=int(np.clip(220 + 75 * int(depth.max()), 360, 760)), annotations=edge_labels,
                 hovermode="closest", xaxis=dict(visible=False, range=[x.min() - 1, x.max() + 1 + right_pad]),
                 yaxis=dict(visible=False, autorange=False, range=[depth.max() + 0.7, -0.4]))
    lay["margin"]["b"] = 34 if _regression(result) else 52   # the colour key sits under the tree (two lines)
    return go.Figure(traces, lay)

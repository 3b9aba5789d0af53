"""A distilled tree's splits and leaves in a person's words: 'note is greenhouse sample?',
'ink at pixel (5,15)?', 'worst radius ≤ 17.6?', with what the left and right branches mean."""
from __future__ import annotations

import re

import numpy as np

PIXEL = re.compile(r"^px\((?:(\d+),)?(\d+),(\d+)\)$")
CHANNELS = {3: ("red", "green", "blue")}
FAINT = 0.05        # a pixel threshold below this (of the 0..1 ink scale) asks "any ink here?"


def _num(v: float) -> str:
    return f"{float(v):.3g}"


def split_words(name: str, threshold: float, n_channels: int = 1) -> tuple[str, str, str]:
    """(question, left answer, right answer) for the split `name ≤ threshold`; sklearn sends
    samples with value ≤ threshold left.

    One-hot columns 'column=value' (0 or 1): 'column is value?', left = no, right = yes.
    Pixels 'px(r,c)' on the 0..1 ink scale (1 = ink, drawn dark): 'ink at pixel (r,c)?' for a
    threshold near 0, else 'pixel (r,c) dark (ink > t)?'; left = no, right = yes.
    Anything else: 'name ≤ t?', left = yes, right = no."""
    t = float(threshold)
    name = str(name)
    if "=" in name and 0.0 < t < 1.0:
        column, value = name.split("=", 1)
        return f"{column} is {value}?", "no", "yes"
    m = PIXEL.match(name)
    if m and 0.0 <= t <= 1.0:
        ch, r, c = m.groups()
        where = f"pixel ({r},{c})"
        if ch is not None:
            colour = CHANNELS.get(n_channels, ())
            channel = colour[int(ch)] if int(ch) < len(colour) else f"channel {ch}"
            return f"{where}: {channel} above {_num(t)}?", "no", "yes"
        if t < FAINT:
            return f"ink at {where}?", "no (blank)", "yes (ink)"
        return f"{where} dark (ink above {100 * t:.0f}%)?", "no (light)", "yes (dark)"
    return f"{name} ≤ {_num(t)}?", "yes", "no"


def leaf_words(value, class_names, n_samples: int, regression: bool = False) -> str:
    """'benign: 97% of the 212 training samples here' (the network's answer on the training
    samples that reach this leaf), or a regression's 'mean prediction 151 over 212 samples'."""
    v = np.asarray(value, dtype=np.float64)
    if regression:
        return f"the network's mean prediction here: {float(v[0]):.4g} (over {int(n_samples):,} training samples)"
    k = int(v.argmax())
    name = str(class_names[k]) if k < len(class_names) else str(k)
    return f"{name}: the network says {name} for {100 * v[k]:.0f}% of the {int(n_samples):,} training samples here"


def rules_text(result, n_channels: int = 1) -> str:
    """The whole tree as indented text in the same words as the drawing."""
    left, right = np.asarray(result.children_left), np.asarray(result.children_right)
    regression = getattr(result, "task", "classification") == "regression"
    lines: list[str] = []

    def walk(i: int, depth: int) -> None:
        pad = "    " * depth
        if left[i] == -1:
            lines.append(pad + "→ " + leaf_words(result.value[i], result.class_names, result.n_node_samples[i],
                                                  regression))
            return
        q, no_left, yes_right = split_words(result.feature_names[result.feature[i]], result.threshold[i], n_channels)
        lines.append(f"{pad}{q} {no_left}:")
        walk(int(left[i]), depth + 1)
        lines.append(f"{pad}{q} {yes_right}:")
        walk(int(right[i]), depth + 1)

    walk(0, 0)
    return "\n".join(lines)

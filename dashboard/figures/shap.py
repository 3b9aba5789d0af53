"""KernelSHAP: Shapley values of the explained score, and the additivity check in words.

Tables: a waterfall from the baseline's score f(baseline) through each feature's φ
(largest |φ| first, the rest summed into one bar) to the sample's score f(x). Images:
each patch's φ over the image with the patch outlines (as LIME's image figure)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .attribution import image_layers
from .common import NEGATIVE, NEUTRAL, POSITIVE, class_name, layout
from .lime import segment_boundaries

TOP_FEATURES = 15
TOLERANCE = 1e-4       # the page calls additivity held when |Σφ − (f(x) − f(baseline))| is below this


def _num(v) -> str:
    return f"{float(v):.4g}"


def baseline_words(params: dict) -> str:
    b = params.get("baseline")
    return {"zero": "an all-zero input", "mean": "the mean training sample",
            "channel_mean": "each channel's mean training value"}.get(b, "the baseline")


def additivity(result) -> dict:
    """The numbers of the check: φ sum, f(x), f(baseline), their difference and the error."""
    ex = result.extras
    total = float(np.asarray(ex["weights"], dtype=np.float64).sum())
    base = float(ex["base_value"])
    diff = float(ex["output_difference"])
    return {"sum": total, "base": base, "output": base + diff, "difference": diff,
            "error": abs(total - diff), "holds": abs(total - diff) <= TOLERANCE}


def additivity_text(result, baseline: str | None = None) -> tuple[str, str]:
    """(plain words, technical figures): 'Additivity: the 30 Shapley values add up to 0.8123,
    the whole change of the explained score from the baseline (…) to this sample: holds to 1e-4.'
    and 'Σφ = …; f(baseline) = …; f(x) = …; error |Σφ − (f(x) − f(baseline))| = 3.1e-08'."""
    a = additivity(result)
    m = len(np.asarray(result.extras["weights"]))
    what = baseline or baseline_words(result.params)
    plain = (f"Additivity: the {m} Shapley values add up to {_num(a['sum'])}, the whole change of the explained "
             f"score from the baseline ({what}) to this sample: "
             + ("holds to 1e-4." if a["holds"] else "ABOVE the 1e-4 tolerance: do not trust these values."))
    tech = (f"Σφ = {_num(a['sum'])}; f(baseline) = {_num(a['base'])}; f(x) = {_num(a['output'])}; "
            f"f(x) − f(baseline) = {_num(a['difference'])}; error |Σφ − (f(x) − f(baseline))| = {a['error']:.1e}")
    return plain, tech


def shap_figure(result, feature_names: tuple = (), class_names: tuple = ()) -> go.Figure:
    """`result` is an Attribution with method 'kernel_shap'."""
    heading = f"KernelSHAP for class {class_name(class_names, int(result.target))}"
    if np.ndim(result.attribution) >= 2:
        return _image(result, heading)
    return _waterfall(result, heading, feature_names)


def _names(feature_names, n: int) -> list[str]:
    if feature_names is not None and len(feature_names) == n:
        return [str(s) for s in feature_names]
    return [f"feature {i}" for i in range(n)]


def _waterfall(result, heading: str, feature_names) -> go.Figure:
    phi = np.asarray(result.extras["weights"], dtype=np.float64)
    x = np.asarray(result.inputs, dtype=np.float64).reshape(-1)
    names = _names(feature_names, len(phi))
    order = np.argsort(-np.abs(phi), kind="stable")
    shown, rest = order[:TOP_FEATURES], order[TOP_FEATURES:]
    a = additivity(result)
    labels = ["f(baseline)"] + [f"{names[i]} = {x[i]:.3g}" for i in shown]
    values = [a["base"]] + [float(phi[i]) for i in shown]
    measures = ["absolute"] + ["relative"] * len(shown)
    if len(rest):
        labels.append(f"{len(rest)} other features")
        values.append(float(phi[rest].sum()))
        measures.append("relative")
    labels.append("f(x)")
    values.append(0.0)
    measures.append("total")
    trace = go.Waterfall(orientation="h", y=labels, x=values, measure=measures, name="Shapley values",
                         increasing=dict(marker=dict(color=POSITIVE)), decreasing=dict(marker=dict(color=NEGATIVE)),
                         totals=dict(marker=dict(color=NEUTRAL)), connector=dict(line=dict(color="#c5cbd1", width=1)),
                         hovertemplate="%{y}<br>φ %{x:.4g}<extra></extra>")
    sub = (f"each feature's Shapley value φ moves the score from f(baseline) ({baseline_words(result.params)}) "
           f"to f(x); red raises it, blue lowers it<br>{len(shown)} largest |φ| of {len(phi)} features"
           + (f", the other {len(rest)} summed" if len(rest) else ""))
    return go.Figure([trace], layout(heading, sub, height=int(np.clip(150 + 26 * len(labels), 300, 680)),
                                     yaxis=dict(autorange="reversed", type="category"),
                                     xaxis=dict(title=dict(text="explained score"), zeroline=False)))


def _image(result, heading: str) -> go.Figure:
    ex = result.extras
    segments = np.asarray(ex["segments"])
    traces, _, axes = image_layers(np.asarray(result.attribution, dtype=np.float32),
                                   np.asarray(result.inputs, dtype=np.float32))
    xs, ys = segment_boundaries(segments)
    traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color="rgba(40,40,40,0.45)", width=1),
                       hoverinfo="skip", name="segment boundaries"))
    sub = (f"Shapley value of each of {int(ex['n_segments'])} segments: red segments raise the score when shown "
           f"(instead of {baseline_words(result.params)}), blue lower it")
    return go.Figure(traces, layout(heading, sub, height=480, **axes))

"""Adversarial probing figures: the original, the (amplified) perturbation and the
adversarial input side by side; class probabilities before and after; the robustness
curve. Pure functions of the engine's results."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .common import DIVERGING, NEGATIVE, NEUTRAL, POSITIVE, PRIMARY, HIGHLIGHT, class_name, colorize, image_axes, \
    image_trace, layout
from .images import image_uri
from .png import pixels_uri

GAP = 4   # pixels between the three panels


def amplification(perturbation: np.ndarray) -> float:
    """How much the perturbation is scaled to be seen: its largest element to full strength."""
    top = float(np.abs(perturbation).max()) if perturbation.size else 0.0
    return 1.0 / top if top > 0 else 1.0


def _perturbation_uri(d: np.ndarray) -> str:
    flat = d.sum(axis=0) if d.ndim == 3 else d
    top = float(np.abs(flat).max()) or 1.0
    return pixels_uri(colorize(flat, DIVERGING, -top, top))


def adversarial_image_figure(result, class_names=()) -> go.Figure:
    """Three panels: original (with its prediction), perturbation (red: brighter, blue: darker,
    scaled ×k to its largest element), adversarial (with the new prediction)."""
    x, adv, d = (np.asarray(a, np.float32) for a in (result.inputs, result.adversarial, result.perturbation))
    h, w = x.shape[-2:]
    k = amplification(d)
    traces = [image_trace(image_uri(x), "original"), image_trace(_perturbation_uri(d), "perturbation", x0=w + GAP),
              image_trace(image_uri(adv), "adversarial", x0=2 * (w + GAP))]
    before, after = _said(result, result.prediction_before, result.probabilities_before, class_names), \
        _said(result, result.prediction_after, result.probabilities_after, class_names)
    heads = [f"original: {before}", f"perturbation ×{k:.3g}", f"adversarial: {after}"]
    notes = [dict(text=t, x=i * (w + GAP) + w / 2, y=-1.5, xref="x", yref="y", showarrow=False, yanchor="bottom",
                  font=dict(size=12, color=HIGHLIGHT if (i == 2 and result.reached) else "#333"), name="panel title")
             for i, t in enumerate(heads)]
    axes = image_axes(h, 3 * w + 2 * GAP)
    axes["yaxis"]["range"] = [h - 0.5, -h * 0.22]
    sub = (f"{result.attack.upper()} {_norm_name(result.params.get('norm'))} ε = {result.params.get('eps'):.4g} "
           f"{result.units}: ‖δ‖∞ = {result.linf:.3g}, ‖δ‖₂ = {result.l2:.3g}. "
           + ("The prediction flipped." if result.reached else "The prediction held."))
    return go.Figure(data=traces, layout=layout("Adversarial example", sub, height=330, annotations=notes,
                                                **axes))


def _norm_name(norm) -> str:
    return {"linf": "L∞", "l2": "L2"}.get(norm, str(norm))


def _said(result, prediction, probabilities, class_names) -> str:
    if result.task == "regression":
        return f"{prediction:.4g}"
    k = int(prediction)
    return f"{class_name(class_names, k)} ({100 * float(probabilities[k]):.1f}%)"


def probabilities_figure(result, class_names=()) -> go.Figure:
    """The class probabilities before and after the attack (regression: the two values)."""
    if result.task == "regression":
        names, before, after = ["prediction"], [result.prediction_before], [result.prediction_after]
        ytitle = "predicted value"
    else:
        p0, p1 = np.asarray(result.probabilities_before), np.asarray(result.probabilities_after)
        keep = np.argsort(-np.maximum(p0, p1))[:5]
        keep = np.sort(keep)
        names = [class_name(class_names, int(c)) for c in keep]
        before, after, ytitle = p0[keep], p1[keep], "probability"
    bars = [go.Bar(name="before", x=names, y=before, marker_color=NEUTRAL,
                   hovertemplate="%{x}: %{y:.3f} before<extra></extra>"),
            go.Bar(name="after", x=names, y=after, marker_color=POSITIVE if result.reached else PRIMARY,
                   hovertemplate="%{x}: %{y:.3f} after<extra></extra>")]
    return go.Figure(bars, layout(
        "Prediction before and after", "grey: the original input; coloured: the adversarial one (the five "
        "likeliest classes)" if result.task != "regression" else "grey: the original input; coloured: the adversarial "
        "one", height=280,
        barmode="group", showlegend=True, legend=dict(orientation="h", x=1, xanchor="right", y=1.12),
        yaxis=dict(title=ytitle, range=[0, 1] if result.task != "regression" else None)))


def curve_figure(curve) -> go.Figure:
    """Held-out accuracy against ε, with the share of right answers the attack turned wrong."""
    eps = np.asarray(curve.epsilons)
    hover = "ε = %{x:.3g}: %{y:.1%}<extra></extra>"
    lines = [go.Scatter(x=eps, y=curve.accuracy, mode="lines+markers", name="held-out accuracy",
                        line=dict(color=PRIMARY, width=3), hovertemplate="accuracy at " + hover),
             go.Scatter(x=eps, y=curve.flipped, mode="lines+markers", name="right answers turned wrong",
                        line=dict(color=NEGATIVE, dash="dot"), hovertemplate="turned wrong at " + hover)]
    what = f"{curve.attack.upper()}" + (f"-{curve.steps}" if curve.attack == "pgd" else "")
    sub = (f"{what} {_norm_name(curve.norm)} away from the true class, ε in {curve.units}; "
           f"{curve.n_rows:,} held-out rows{' (a seeded sample)' if curve.subset else ''}. "
           f"At ε = 0: {curve.accuracy[0]:.1%}, the held-out accuracy.")
    return go.Figure(lines, layout("Robustness: held-out accuracy against ε", sub, height=400, showlegend=True,
                                   legend=dict(x=0.99, xanchor="right", y=0.55, yanchor="middle",
                                               bgcolor="rgba(255,255,255,0.85)"),
                                   xaxis=dict(title=f"ε ({curve.units})"),
                                   yaxis=dict(title="share of held-out rows", range=[0, 1.02], tickformat=".0%")))

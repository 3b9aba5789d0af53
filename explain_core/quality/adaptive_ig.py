"""Integrated gradients to a stated accuracy: the step count doubles until the completeness
error |Σ attribution − (f(x) − f(baseline))| is within `tolerance` of |f(x) − f(baseline)|
(default 1%), up to `max_steps`. The result reports the steps it used and whether the
tolerance was reached; Gauss-Legendre's error falls fast with the steps, so most samples
stop at the first or second try. Where the score barely moves from the baseline (a class
the sample is far from: |f(x) − f(baseline)| of 0.01 logits), a relative error would ask
float32 sums for more digits than they hold; the error is then measured against
SCORE_FLOOR (0.1 of the score), and the result says so (extras 'floored')."""
from __future__ import annotations

from dataclasses import replace

from torch import nn

from ..methods.base import Attribution, check_param
from ..methods.gradients import IntegratedGradients, one_sample

START_STEPS = 32
MAX_STEPS = 1024
TOLERANCE = 0.01
SCORE_FLOOR = 0.1      # errors are measured against max(|f(x) − f(baseline)|, this)


class AdaptiveIntegratedGradients:
    name = "integrated_gradients"

    def __init__(self, model: nn.Module, tolerance: float = TOLERANCE, start_steps: int = START_STEPS,
                 max_steps: int = MAX_STEPS, rule: str = "gausslegendre", baseline=0.0):
        self.model = model
        self.tolerance = tolerance
        self.start_steps = start_steps
        self.max_steps = max_steps
        self.rule = rule
        self.baseline = baseline

    def attribute(self, x, target: int | None = None) -> Attribution:
        tol = check_param("tolerance", self.tolerance, 1e-6, 1.0, float)
        cap = check_param("max_steps", self.max_steps, 2, 100_000, int)
        n = min(check_param("start_steps", self.start_steps, 2, 100_000, int), cap)
        xb = one_sample(x)
        tried = []
        while True:
            r = IntegratedGradients(self.model, n_steps=n, rule=self.rule, baseline=self.baseline).attribute(
                xb, target=target)
            target = r.target
            tried.append(n)
            diff = abs(r.extras["output_difference"])
            error = abs(r.delta) / max(diff, SCORE_FLOOR)
            reached = error <= tol
            if reached or n >= cap:
                break
            n = min(2 * n, cap)
        extras = {**r.extras, "steps_used": n, "steps_tried": tuple(tried), "tolerance": tol, "reached": reached,
                  "relative_error": error, "floored": diff < SCORE_FLOOR}
        return replace(r, params={**r.params, "tolerance": tol, "max_steps": cap}, extras=extras)

"""The spinner's words follow the engine's defaults: IG's steps default to 'auto' (the
registry), so a request without n_steps (an emptied steps field: collect_params leaves it
out) computes the adaptive map and must not be announced as 50 steps."""
from __future__ import annotations

from dashboard.busy_words import gradient_words
from explain_core.methods.registry import METHODS


def _default(method: str, name: str):
    return next(p.default for p in METHODS[method].params if p.name == name)


def test_ig_without_steps_is_announced_as_the_engine_default():
    assert _default("integrated_gradients", "n_steps") == "auto"
    words = gradient_words("integrated_gradients", {})
    assert "as many steps as this sample needs" in words, words
    assert "50" not in words


def test_smoothgrad_without_samples_is_announced_with_the_engine_default():
    n = _default("smoothgrad", "n_samples")
    assert f"{n:,} noisy copies" in gradient_words("smoothgrad", {})

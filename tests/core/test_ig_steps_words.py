"""IG's steps take 'auto' (the default) or a number: every refusal says both, so a user who
typed 1, 5000, 50.5 or 'lots' learns that 'auto' is allowed too."""
from __future__ import annotations

import pytest

from explain_core.errors import ParameterError
from explain_core.methods.registry import normalise_params


@pytest.mark.parametrize("bad", [1, 5000, 50.5, float("inf"), float("nan"), True, [50], 10**30, "lots", "50"])
def test_every_refusal_of_the_steps_names_auto(bad):
    with pytest.raises(ParameterError) as e:
        normalise_params("integrated_gradients", {"n_steps": bad}, "image")
    assert "n_steps must be 'auto' or a whole number from 2 to 1000" in str(e.value), str(e.value)


@pytest.mark.parametrize("good, want", [(None, "auto"), (" Auto ", "auto"), (50, 50), (50.0, 50), (2, 2), (1000, 1000)])
def test_the_steps_accepted(good, want):
    assert normalise_params("integrated_gradients", {"n_steps": good}, "image")["n_steps"] == want


@pytest.mark.parametrize("rule", ["riemann_trapezoid", "riemann_left", "gausslegendre"])
def test_auto_steps_ignore_the_rule_so_one_map_is_cached_not_one_per_rule(rule):
    """'auto' integrates on its own nested rule: the rule picked must not split the cache."""
    auto = normalise_params("integrated_gradients", {"n_steps": "auto", "rule": rule}, "image")
    assert auto == normalise_params("integrated_gradients", {}, "image")
    fixed = normalise_params("integrated_gradients", {"n_steps": 64, "rule": rule}, "image")
    assert fixed["rule"] == rule        # a number of steps keeps the rule asked for

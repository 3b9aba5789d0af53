"""The gradient methods of glimpse.explain against Captum on one input, shared by the tests
of models from outside the zoo (tabular, functional, ResNet-style, small images)."""
from __future__ import annotations

import pytest
from captum import attr as ca

import glimpse
from tests.core.test_captum_agreement import assert_matches


def gradients_agree_with_captum(model, x, classes: int) -> int:
    """Saliency (the predicted class), gradient × input (the next class) and IG (its map and
    its convergence delta) for the batch of one `x` agree with Captum (rtol 1e-4); returns
    the predicted class."""
    t = int(model(x).argmax())
    ours = glimpse.explain(model, x[0], method="saliency", abs=False)
    assert ours.target == t
    assert_matches(ours.attribution, ca.Saliency(model).attribute(x, target=t, abs=False), rtol=1e-4)
    other = (t + 1) % classes
    ours = glimpse.explain(model, x[0], method="gradient_x_input", target=other)
    assert_matches(ours.attribution, ca.InputXGradient(model).attribute(x, target=other), rtol=1e-4)
    ours = glimpse.explain(model, x[0], method="integrated_gradients", n_steps=50)
    ref, delta = ca.IntegratedGradients(model).attribute(x, target=t, n_steps=50, method="gausslegendre",
                                                          return_convergence_delta=True)
    assert_matches(ours.attribution, ref, rtol=1e-4)
    assert ours.delta == pytest.approx(float(delta), abs=1e-4)
    return t

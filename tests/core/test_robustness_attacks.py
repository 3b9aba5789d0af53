"""FGSM and PGD against Captum's, the minimal ε against a linear model worked out by hand,
and the robustness curve at ε = 0 against the held-out accuracy."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from captum.robust import FGSM, PGD
from torch import nn

from explain_core.data.dataset import Dataset
from explain_core.errors import ParameterError, TargetError
from explain_core.models.heads import Head, HeadView
from explain_core.robustness.attacks import ZERO_THRESH, _grad_of, fgsm, pgd
from explain_core.robustness.curve import robustness_curve
from explain_core.robustness.probe import Attacker, probe
from explain_core.robustness.space import AttackSpace, Goal


def ce(out, target):
    """Captum's loss_func option: cross-entropy of the logits (its default, −log of a softmax
    output, underflows for confident digits and then leaves their pixels alone)."""
    return F.cross_entropy(out, torch.as_tensor(target).expand(len(out)), reduction="none")


@pytest.fixture(scope="module")
def cnn(service):
    tm = service._model("mnist-cnn")
    X = tm.data.X_test[:24]
    atk = Attacker(tm.explained, AttackSpace.for_data(tm.data), Goal("softmax"))
    z0, lo, hi = atk.start(X)
    return tm, X, atk, z0, lo, hi, atk.labels(z0)


def live(atk, z0, goal, labels) -> np.ndarray:
    """Rows whose cross-entropy gradient is not all below Captum's zero threshold. On the
    others (a saturated softmax) Captum's attack leaves the digit as it is, and ours follows
    the log-probability margin instead (test_saturated_digits_still_move)."""
    g = _grad_of(atk.model, z0, lambda s: goal.objective(s, labels))
    return (g.flatten(1).abs().amax(1) > ZERO_THRESH).numpy()


@pytest.mark.parametrize("targeted", [False, True])
def test_fgsm_equals_captum(cnn, targeted):
    tm, X, atk, z0, lo, hi, labels = cnn
    goal = Goal("softmax", towards=3 if targeted else None)
    ours = fgsm(atk.model, z0, goal, labels, 0.1, lo, hi)
    theirs = FGSM(tm.explained, loss_func=ce, lower_bound=0.0, upper_bound=1.0).perturb(
        torch.as_tensor(X).clone(), 0.1, 3 if targeted else labels, targeted=targeted)
    rows = live(atk, z0, goal, labels)
    assert rows.sum() >= len(rows) // 2
    assert (ours - z0).abs().max() > 0.09          # it moved
    np.testing.assert_allclose(ours.numpy()[rows], theirs.detach().numpy()[rows], atol=1e-5, rtol=0)


def test_saturated_digits_still_move(cnn):
    tm, X, atk, z0, lo, hi, labels = cnn
    ours = fgsm(atk.model, z0, atk.goal, labels, 0.1, lo, hi)
    moved = (ours - z0).flatten(1).abs().amax(1).numpy()
    assert (moved > 0.09).all(), moved


@pytest.mark.parametrize("targeted", [False, True])
def test_pgd_linf_equals_captum_without_random_start(cnn, targeted):
    tm, X, atk, z0, lo, hi, labels = cnn
    goal = Goal("softmax", towards=7 if targeted else None)
    ours = pgd(atk.model, z0, goal, labels, 0.2, 0.02, 20, lo, hi, "linf")
    theirs = PGD(tm.explained, loss_func=ce, lower_bound=0.0, upper_bound=1.0).perturb(
        torch.as_tensor(X).clone(), 0.2, 0.02, 20, 7 if targeted else labels, targeted=targeted, random_start=False)
    rows = live(atk, z0, goal, labels)
    assert rows.sum() >= len(rows) // 2
    np.testing.assert_allclose(ours.numpy()[rows], theirs.detach().numpy()[rows], atol=1e-5, rtol=0)
    assert float((ours - z0).abs().max()) <= 0.2 + 1e-6
    assert 0.0 <= float(ours.min()) and float(ours.max()) <= 1.0


def test_pgd_flips_most_digits_and_random_start_stays_in_the_ball(cnn):
    tm, X, atk, z0, lo, hi, labels = cnn
    for norm, eps in (("linf", 0.25), ("l2", 3.0)):
        z = pgd(atk.model, z0, atk.goal, labels, eps, 2.5 * eps / 20, 20, lo, hi, norm, random_start=True, seed=1)
        d = (z - z0).flatten(1)
        size = d.abs().amax(1) if norm == "linf" else d.norm(dim=1)
        assert float(size.max()) <= eps * (1 + 1e-5)
        flipped = (atk.model(z).argmax(1) != labels).float().mean()
        assert flipped > 0.8, (norm, flipped)


# ------------------------------------------------------------------ a linear model by hand
W = np.array([2.0, -1.0, 0.5], np.float32)
B = -0.25


def linear_case():
    """One logit z = w·x + b (sigmoid head); data with unit std and wide ranges, so the
    attack space is the raw space and no bound binds."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 3)).astype(np.float32)
    X = (X - X.mean(0)) / X.std(0)
    X[0], X[1] = 40.0, -40.0                          # wide bounds
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    data = Dataset("linear", "tabular", X, (X @ W > 0).astype(np.int64), np.arange(400), np.arange(0),
                   ("negative", "positive"), ("a", "b", "c"))
    lin = nn.Linear(3, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.as_tensor(W)[None])
        lin.bias.fill_(B)
    return data, HeadView(lin, Head("logit"))


@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_minimal_epsilon_of_a_linear_model_is_its_distance_to_the_boundary(norm):
    data, model = linear_case()
    x = np.array([0.9, -0.2, 0.3], np.float32)
    z = float(x @ W + B)                                   # 1.9: positive
    exact = z / (np.abs(W).sum() if norm == "linf" else np.sqrt((W ** 2).sum()))
    r = probe(model, data, x, Goal("sigmoid"), "pgd", {"eps": 0.1, "norm": norm, "steps": 20, "step_size": None},
              tolerance=1e-3)
    m = r.minimal
    assert m.found and m.epsilon - m.lower <= 1e-3 + 1e-9
    assert m.lower - 1e-4 <= exact <= m.epsilon + 1e-4, (exact, m)
    assert r.prediction_before == 1 and not r.reached           # ε = 0.1 is far too small


def test_fgsm_on_a_linear_model_moves_each_feature_against_its_weight():
    data, model = linear_case()
    x = np.array([0.9, -0.2, 0.3], np.float32)
    r = probe(model, data, x, Goal("sigmoid"), "fgsm", {"eps": 0.5, "norm": "linf"}, minimal=False)
    np.testing.assert_allclose(r.perturbation, -0.5 * np.sign(W) * data.X.std(0), rtol=1e-4, atol=1e-5)
    r2 = probe(model, data, x, Goal("sigmoid"), "fgsm", {"eps": 0.5, "norm": "l2"}, minimal=False)
    np.testing.assert_allclose(r2.perturbation, -0.5 * W / np.linalg.norm(W), rtol=1e-4, atol=1e-5)


def test_minimal_epsilon_flips_there_and_not_clearly_below(service):
    tm = service._model("mnist-cnn")
    for i in tm.data.test_idx[:4]:
        r = service.robustness("mnist-cnn", "adversarial", int(i), attack="pgd", eps=0.05, steps=20)
        m = r.minimal
        assert m.found and 0 < m.epsilon - m.lower <= m.tolerance
        at = service.robustness("mnist-cnn", "adversarial", int(i), attack="pgd", eps=m.epsilon, steps=20,
                                minimal=False)
        assert at.reached and at.prediction_after != at.prediction_before
        below = service.robustness("mnist-cnn", "adversarial", int(i), attack="pgd", eps=0.9 * m.epsilon,
                                   steps=60, random_start=True, seed=3, minimal=False)
        assert not below.reached, (i, m)


def test_curve_starts_at_the_held_out_accuracy(service):
    for mid in ("breast-cancer-mlp", "seed-binary-mlp"):
        c = service.model_view(mid, "robustness", points=5)
        assert c.accuracy[0] == pytest.approx(service.model_info(mid).accuracy, abs=1e-12)
        assert c.epsilons[0] == 0 and len(c.epsilons) == 5 and c.flipped[0] == 0
        assert c.accuracy[-1] < c.accuracy[0]


def test_curve_by_hand_on_a_linear_model():
    """FGSM at ε moves z by −ε·Σ|w| for a positive row: the rows with z ≤ ε·Σ|w| flip."""
    data, model = linear_case()
    X = data.X[:200]
    z = X @ W + B
    y = (z > 0).astype(np.int64)
    c = robustness_curve(model, data, Head("logit"), X, y, "fgsm", "linf", 0.3, 4)
    for e, acc in zip(c.epsilons, c.accuracy):
        assert acc == pytest.approx(float((np.abs(z) > e * np.abs(W).sum()).mean()), abs=1 / 200)


@pytest.mark.parametrize("params, error", [
    ({"eps": -1}, ParameterError), ({"eps": "x"}, ParameterError), ({"norm": "l3"}, ParameterError),
    ({"attack": "cw"}, ParameterError), ({"steps": 0}, ParameterError), ({"bogus": 1}, ParameterError),
    ({"towards": 10}, TargetError), ({"delta": 3.0}, ParameterError), ({"eps": float("nan")}, ParameterError),
])
def test_bad_attack_settings_are_named(service, params, error):
    with pytest.raises(error):
        service.robustness("mnist-cnn", "adversarial", 0, **params)


def test_regression_attack_moves_the_prediction_by_delta(service):
    r = service.robustness("diabetes-mlp", "adversarial", 5, delta=-20.0, eps=1.0)
    assert r.task == "regression" and r.prediction_after < r.prediction_before
    assert r.minimal.found
    at = service.robustness("diabetes-mlp", "adversarial", 5, delta=-20.0, eps=r.minimal.epsilon, minimal=False)
    assert at.prediction_after <= at.prediction_before - 20.0 + 1e-4

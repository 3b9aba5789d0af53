"""Explanation quality (explain_core/quality): curves on a model whose answer is worked out by
hand, infidelity and max-sensitivity against Captum, the randomisation check, stability."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core.errors import ParameterError
from explain_core.methods.base import Attribution
from explain_core.methods.gradients import IntegratedGradients, Saliency
from explain_core.quality.curves import deletion_insertion, step_counts
from explain_core.quality.fidelity import (gaussian_perturbations, infidelity, sensitivity_max,
                                           uniform_perturbations)
from explain_core.quality.sanity import randomisation, spearman
from explain_core.quality.stability import stability_of


@pytest.fixture(scope="module")
def service(settings):
    from tests.quality_service import service_with
    return service_with(settings, ["mnist-cnn", "breast-cancer-mlp", "diabetes-mlp", "seed-binary-mlp"])


def linear_model(w: np.ndarray, b: float) -> nn.Module:
    """Class 1's score is w·x + b, class 0's is 0."""
    m = nn.Linear(len(w), 2)
    with torch.no_grad():
        m.weight.zero_()
        m.weight[1] = torch.as_tensor(w, dtype=torch.float32)
        m.bias.zero_()
        m.bias[1] = b
    return m


def test_curves_on_a_linear_model_equal_the_hand_computed_ones():
    rng = np.random.default_rng(0)
    w = rng.normal(size=8)
    x, mean = rng.normal(size=8).astype(np.float32), rng.normal(size=8).astype(np.float32)
    contrib = w * (x - mean)                      # the exact effect of replacing x_i by mean_i
    model = linear_model(w, 0.3)
    c = deletion_insertion(model, x, contrib, 1, mean, link="identity", step=0.02, image=False, quantity="value")
    order = np.argsort(-contrib)
    f_x = float(w @ x + 0.3)
    expected_del = f_x - np.concatenate([[0], np.cumsum(contrib[order])])
    expected_ins = float(w @ mean + 0.3) + np.concatenate([[0], np.cumsum(contrib[order])])
    assert np.array_equal(c.fractions, np.arange(9) / 8)       # 2% steps of 8 features: one feature a step
    np.testing.assert_allclose(c.deletion, expected_del, atol=1e-5)
    np.testing.assert_allclose(c.insertion, expected_ins, atol=1e-5)
    assert c.deletion_auc == pytest.approx(np.trapezoid(expected_del, np.arange(9) / 8), abs=1e-5)
    # the ideal order (by w·(x − mean)) has the smallest deletion and largest insertion area of any order
    for _ in range(30):
        shuffled = rng.permutation(contrib)
        other = deletion_insertion(model, x, shuffled, 1, mean, link="identity", image=False)
        assert c.deletion_auc <= other.deletion_auc + 1e-6
        assert c.insertion_auc >= other.insertion_auc - 1e-6


def test_step_counts():
    assert list(step_counts(784, 0.02)) == [round(784 * k / 50) for k in range(51)]
    assert list(step_counts(3, 0.05)) == [0, 1, 2, 3]


def held_out(service, model_id, n):
    data = service.dataset_for(model_id)
    return [int(i) for i in data.test_idx[:n]]


def test_random_maps_score_worse_than_ig_on_most_digits(service):
    model, data = service.torch_model("mnist-cnn"), service.dataset_for("mnist-cnn")
    rng = np.random.default_rng(1)
    wins = 0
    ids = held_out(service, "mnist-cnn", 12)
    for i in ids:
        x = data.X[i]
        ig = IntegratedGradients(model, n_steps=50).attribute(x)
        fill = np.zeros_like(x)
        good = deletion_insertion(model, x, ig.attribution, ig.target, fill)
        bad = deletion_insertion(model, x, rng.normal(size=x.shape), ig.target, fill)
        wins += good.deletion_auc < bad.deletion_auc and good.insertion_auc > bad.insertion_auc
    assert wins >= 0.75 * len(ids), wins


@pytest.mark.parametrize("method", ["saliency", "integrated_gradients"])
@pytest.mark.parametrize("normalize", [False, True])
def test_infidelity_equals_captums(service, method, normalize):
    from captum.metrics import infidelity as captum_infidelity

    model, data = service.torch_model("mnist-cnn"), service.dataset_for("mnist-cnn")
    for i in held_out(service, "mnist-cnn", 3):
        x = data.X[i]
        r = (Saliency(model, abs=False) if method == "saliency" else IntegratedGradients(model)).attribute(x)
        noise = gaussian_perturbations(x.shape, 50, 0.1, seed=i)
        ours = infidelity(model, x, r.attribution, r.target, noise, normalize=normalize)

        def perturb(inputs):
            I = torch.as_tensor(noise)
            return I, inputs - I
        theirs = captum_infidelity(model, perturb, torch.as_tensor(x)[None], torch.as_tensor(r.attribution)[None],
                                   target=r.target, n_perturb_samples=50, normalize=normalize)
        assert ours == pytest.approx(float(theirs[0]), rel=1e-4)


@pytest.mark.parametrize("model_id", ["mnist-cnn", "breast-cancer-mlp"])
def test_sensitivity_max_equals_captums(service, model_id):
    from captum.attr import IntegratedGradients as CaptumIG
    from captum.metrics import sensitivity_max as captum_sensitivity

    model, data = service.explained_model(model_id), service.dataset_for(model_id)
    for i in held_out(service, model_id, 2):
        x = data.X[i]
        ours_ig = IntegratedGradients(model, n_steps=50)
        r = ours_ig.attribute(x)
        U = uniform_perturbations(x.shape, 10, 0.02 * float(np.abs(x).max()), seed=i)
        ours = sensitivity_max(lambda X: ours_ig.attribute_batch(X, np.full(len(X), r.target)), x,
                               r.attribution, U)
        theirs = captum_sensitivity(CaptumIG(model).attribute, torch.as_tensor(x)[None],
                                    perturb_func=lambda inputs: inputs + torch.as_tensor(U),
                                    n_perturb_samples=10, target=r.target, n_steps=50)
        assert ours == pytest.approx(float(theirs[0]), rel=1e-4)


def test_randomisation_saliency_changes_and_the_input_itself_is_flagged(service):
    model, data = service.torch_model("mnist-cnn"), service.dataset_for("mnist-cnn")
    x = data.X[held_out(service, "mnist-cnn", 1)[0]]
    sal = Saliency(model, abs=True).attribute(x)
    r = randomisation(model, x, sal.target, lambda m: Saliency(m, abs=True).attribute(x, sal.target).attribution,
                      "saliency")
    assert r.layers == ("fc2", "fc1", "conv2", "conv1")
    assert r.final < 0.5 and not r.flagged
    ident = randomisation(model, x, sal.target, lambda m: x.copy(), "input itself")
    assert ident.flagged and np.allclose(ident.spearman, 1.0)
    # the original model's weights are untouched: the check ran on copies
    assert np.array_equal(Saliency(model, abs=True).attribute(x, sal.target).attribution, sal.attribution)


def test_spearman_matches_scipy():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    a, b = rng.normal(size=50), rng.normal(size=50)
    b[:10] = 0.0                                     # ties
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)


def test_lime_stability_matches_a_direct_recomputation(service):
    from explain_core.methods.registry import RUNNERS, normalise_params

    mid = "breast-cancer-mlp"
    i = held_out(service, mid, 1)[0]
    stab = service.quality("stability", mid, i, "lime", seeds=5)
    tm = service._model(mid)
    direct = []
    for s in range(5):
        p = normalise_params("lime", {"seed": s}, "tabular")
        direct.append(RUNNERS["lime"](tm.explained, tm.data, tm.data.X[i], stab.target, p))
    maps = np.stack([d.attribution for d in direct]).astype(np.float64)
    np.testing.assert_allclose(stab.std, maps.std(0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(stab.low, maps.min(0), rtol=1e-5, atol=1e-7)
    from scipy.stats import spearmanr
    assert stab.pairwise[0, 1] == pytest.approx(spearmanr(maps[0], maps[1]).statistic, abs=1e-6)
    assert stab.r2 == pytest.approx([d.extras["score"] for d in direct])
    assert stab.low_fit         # breast cancer's surrogate fits badly (R² about 0.1)


def test_stability_refuses_deterministic_methods_and_bad_seeds(service):
    with pytest.raises(ParameterError, match="same map every time"):
        service.quality("stability", "mnist-cnn", 0, "saliency")
    with pytest.raises(ParameterError, match="seeds"):
        service.quality("stability", "mnist-cnn", 0, "smoothgrad", seeds=1)
    with pytest.raises(ParameterError, match="seeds"):
        service.quality("stability", "mnist-cnn", 0, "smoothgrad", seeds="5")
    with pytest.raises(ParameterError, match="seeds"):
        service.quality("stability", "mnist-cnn", 0, "smoothgrad", seeds=10**6)     # refused, not cut to 20


@pytest.mark.parametrize("bad, match", [({"step": 0.5}, "step"), ({"n_perturb": 0}, "n_perturb"),
                                        ({"noise": float("nan")}, "noise"), ({"bogus": 1}, "Unknown quality")])
def test_bad_quality_settings_are_named(service, bad, match):
    with pytest.raises(ParameterError, match=match):
        service.quality("scores", "mnist-cnn", 0, "saliency", quality=bad)


def test_unknown_kind_and_method(service):
    with pytest.raises(ParameterError, match="Unknown quality check"):
        service.quality("nope", "mnist-cnn", 0, "saliency")
    with pytest.raises(ParameterError, match="Quality checks apply"):
        service.quality("scores", "mnist-cnn", 0, "tree")


@pytest.mark.parametrize("model_id", ["mnist-cnn", "breast-cancer-mlp", "diabetes-mlp", "seed-binary-mlp"])
def test_scores_are_cached_and_sane(service, model_id):
    i = held_out(service, model_id, 1)[0]
    r = service.quality("scores", model_id, i, "integrated_gradients")
    again = service.quality("scores", model_id, i, "integrated_gradients")
    assert again.seconds == r.seconds          # served from the cache (a recomputation times itself anew)
    assert np.isfinite([r.curves.deletion_auc, r.curves.insertion_auc, r.infidelity, r.sensitivity]).all()
    assert r.curves.quantity == ("value" if model_id == "diabetes-mlp" else "probability")
    if r.curves.quantity == "probability":
        assert 0 <= r.curves.deletion.min() and r.curves.insertion.max() <= 1


def test_stability_of_identical_maps():
    a = Attribution("smoothgrad", np.arange(6.0), np.zeros(6), 0, {})
    s = stability_of("smoothgrad", 0, range(3), [a, a, a])
    assert s.agreement == 1.0 and np.all(s.std == 0)


def test_adaptive_ig_reaches_one_percent_on_every_tested_digit_and_class(service):
    from explain_core.quality.adaptive_ig import AdaptiveIntegratedGradients

    model, data = service.torch_model("mnist-cnn"), service.dataset_for("mnist-cnn")
    used = []
    for i in held_out(service, "mnist-cnn", 6):
        x = torch.as_tensor(data.X[i])[None]
        with torch.no_grad():
            f = model(torch.cat([x, torch.zeros_like(x)]))
        pred = int(f[0].argmax())
        for t in (pred, (pred + 1) % 10, (pred + 5) % 10):
            r = AdaptiveIntegratedGradients(model, tolerance=0.01).attribute(data.X[i], target=t)
            diff = float(f[0, t] - f[1, t])
            error = abs(float(r.attribution.astype(np.float64).sum()) - diff)
            assert r.extras["reached"], (i, t, r.extras)
            assert error <= 0.01 * max(abs(diff), 0.1) + 1e-6, (i, t, error, diff)
            assert r.extras["steps_used"] == r.extras["steps_tried"][-1] and r.params["tolerance"] == 0.01
            used.append(r.extras["steps_used"])
    assert min(used) == 32 and max(used) <= 1024

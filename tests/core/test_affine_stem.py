"""Integrated gradients through a model's affine stem (explain_core.methods.gradients.
stem_path_gradients): the zoo's models declare model(x) == head(affine(x)); IG then runs
only the head per step and sends the summed gradients back through the stem once.

Oracle: the same integral computed in float64 through the whole model (the true value
up to float32 rounding of the inputs), next to the general per-step path and Captum.
"""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients as CaptumIG
from torch import nn

import explain_core.methods.gradients as gradients
import explain_core.methods.integrated as integrated
from explain_core.errors import TargetError
from explain_core.methods.gradients import IntegratedGradients, affine_stem, ig_rule
from explain_core.models.architectures import AffineStem

MODELS = ("mnist-cnn", "mnist-mlp", "breast-cancer-mlp")


def _held_out(service, model_id, n):
    data = service.dataset_for(model_id)
    return data, torch.as_tensor(data.X[data.test_idx[:n]])


def _float64_ig(model, X, base, targets, rule, n_steps) -> np.ndarray:
    md = copy.deepcopy(model).double()
    sizes, alphas = ig_rule(rule, n_steps)
    view = (-1,) + (1,) * (X.dim() - 1)
    b = torch.as_tensor(np.broadcast_to(np.asarray(base, np.float64), X.shape[1:]).copy())
    out = []
    for x, t in zip(X.double(), targets):
        pts = (b + torch.tensor(alphas).view(view) * (x - b)).requires_grad_(True)
        (g,) = torch.autograd.grad(md(pts)[:, int(t)].sum(), pts)
        out.append(((g * torch.tensor(sizes).view(view)).sum(0) * (x - b)).numpy())
    return np.stack(out)


def _rel_errors(A, B) -> np.ndarray:
    return np.array([np.abs(a - b).max() / np.abs(b).max() for a, b in zip(A, B)])


@pytest.mark.parametrize("model_id", MODELS)
def test_stem_and_head_are_the_model(service, model_id):
    model = service.torch_model(model_id)
    _, X = _held_out(service, model_id, 8)
    stem = affine_stem(model)
    assert isinstance(stem, AffineStem)
    with torch.no_grad():
        z = stem.affine(X)
        np.testing.assert_allclose(stem.head(z).numpy(), model(X).numpy(), rtol=1e-5, atol=1e-5)
        if stem.pool is not None:
            np.testing.assert_allclose(stem.pooled_head(stem.pool(z)).numpy(), model(X).numpy(), rtol=1e-5, atol=1e-5)
        # affine: f(a + b) - f(0) == (f(a) - f(0)) + (f(b) - f(0))
        zero = stem.affine(torch.zeros_like(X[:1]))
        np.testing.assert_allclose((stem.affine(X[:4] + X[4:]) - zero).numpy(),
                                   (stem.affine(X[:4]) - zero + stem.affine(X[4:]) - zero).numpy(), atol=1e-4)


@pytest.mark.parametrize("model_id", MODELS)
@pytest.mark.parametrize("baseline", ["zero", "mean"])
@pytest.mark.parametrize("rule,n_steps", [("gausslegendre", 32), ("riemann_trapezoid", 20), ("riemann_left", 12)])
def test_stem_ig_matches_float64_and_the_general_path(service, model_id, baseline, rule, n_steps, monkeypatch):
    model = service.torch_model(model_id)
    data, X = _held_out(service, model_id, 12)
    base = data.X_train.mean(0).astype(np.float32) if baseline == "mean" else 0.0
    with torch.no_grad():
        targets = model(X).argmax(1).numpy()
    ig = IntegratedGradients(model, n_steps=n_steps, rule=rule, baseline=base)
    stem_batch = ig.attribute_batch(X, targets)
    stem_single = np.stack([ig.attribute(x, int(t)).attribution for x, t in zip(X, targets)])
    monkeypatch.setattr(integrated, "affine_stem", lambda model: None)   # IG's own lookup (methods/integrated.py)
    general = ig.attribute_batch(X, targets)
    truth = _float64_ig(model, X, base, targets, rule, n_steps)
    stem_err, general_err = _rel_errors(stem_batch, truth), _rel_errors(general, truth)
    # float32 can flip a ReLU sitting within rounding of 0 at some step: allow that on a
    # sample or two, never more often than on the general path plus one
    assert np.median(stem_err) < 1e-5
    assert (stem_err > 1e-4).sum() <= (general_err > 1e-4).sum() + 1
    assert stem_err.max() < 2e-3
    assert np.median(_rel_errors(stem_single, stem_batch)) < 1e-5


def test_zero_baseline_cnn_steps_start_after_the_pool(service, monkeypatch):
    """Zero baseline: conv1's output there is its bias, flat on every pooling window, so the
    head is run from the pooled map (14x14); a mean baseline is not flat: full map (28x28)."""
    model = service.torch_model("mnist-cnn")
    data, X = _held_out(service, "mnist-cnn", 2)
    seen = []
    real = type(model).affine_stem

    def spying(self):
        s = real(self)
        return AffineStem(s.affine, lambda z: seen.append(("head", tuple(z.shape[1:]))) or s.head(z), s.pool,
                          lambda q: seen.append(("pooled", tuple(q.shape[1:]))) or s.pooled_head(q))

    monkeypatch.setattr(type(model), "affine_stem", spying)
    IntegratedGradients(model, n_steps=8).attribute_batch(X)
    assert seen and all(s == ("pooled", (16, 14, 14)) for s in seen)
    seen.clear()
    IntegratedGradients(model, n_steps=8, baseline=data.X_train.mean(0)).attribute_batch(X)
    assert seen and all(s == ("head", (16, 28, 28)) for s in seen)
    seen.clear()
    IntegratedGradients(model, n_steps=8, rule="riemann_left").attribute_batch(X)    # α = 0 is a step: no pool trick
    assert seen and all(s == ("head", (16, 28, 28)) for s in seen)


def test_stem_ig_agrees_with_captum_and_its_delta(service):
    model = service.torch_model("mnist-cnn")
    _, X = _held_out(service, "mnist-cnn", 4)
    for x in X:
        ours = IntegratedGradients(model, n_steps=50).attribute(x)
        ref, delta = CaptumIG(model).attribute(x[None], target=ours.target, n_steps=50, method="gausslegendre",
                                               return_convergence_delta=True)
        ref = ref[0].detach().numpy()
        assert np.abs(ours.attribution - ref).max() <= 1e-4 * np.abs(ref).max()
        assert ours.delta == pytest.approx(float(delta), abs=1e-4)
        with torch.no_grad():
            fx, f0 = model(x[None])[0, ours.target], model(torch.zeros_like(x)[None])[0, ours.target]
        assert ours.extras["output_difference"] == pytest.approx(float(fx - f0), rel=1e-5, abs=1e-5)


def test_chunking_does_not_change_the_result(service):
    """Rows per call smaller than one sample's steps (the steps of a sample span calls,
    targets read beforehand) and a few samples per call give the same maps."""
    model = service.torch_model("mnist-cnn")
    _, X = _held_out(service, "mnist-cnn", 5)
    ref, t_ref, ends_ref = IntegratedGradients(model, n_steps=24).attribute_batch(X, return_ends=True)
    for rows in (7, 26, 60, 4096):
        maps, t, ends = IntegratedGradients(model, n_steps=24, batch_size=rows).attribute_batch(X, return_ends=True)
        np.testing.assert_array_equal(t, t_ref)
        assert _rel_errors(maps, ref).max() < 1e-4
        np.testing.assert_allclose(ends, ends_ref, rtol=1e-5, atol=1e-5)


def test_stem_ig_targets(service):
    model = service.torch_model("mnist-mlp")
    _, X = _held_out(service, "mnist-mlp", 3)
    with torch.no_grad():
        pred = model(X).argmax(1).numpy()
    maps, t, _ = IntegratedGradients(model, n_steps=8).attribute_batch(X, return_ends=True)
    np.testing.assert_array_equal(t, pred)                 # default target: the prediction
    other = (pred + 1) % 10
    r = IntegratedGradients(model, n_steps=8).explain_batch(X, other)
    assert [a.target for a in r] == other.tolist()
    assert not np.allclose(r[0].attribution, maps[0])
    for bad in (10, -1, "3", True):
        with pytest.raises(TargetError):
            IntegratedGradients(model, n_steps=8).attribute(X[0], target=bad)


class HasStemAttribute(nn.Module):
    """A module with its own `affine_stem` attribute that is not ours (a submodule, as a
    ResNet-style network would have): the general path must be used."""

    def __init__(self):
        super().__init__()
        self.affine_stem = nn.Linear(3, 4)
        self.out = nn.Linear(4, 2)

    def forward(self, x):
        return self.out(torch.relu(self.affine_stem(x)))


def test_foreign_models_take_the_general_path():
    torch.manual_seed(0)
    model = HasStemAttribute().eval()
    assert affine_stem(model) is None
    x = torch.randn(3)
    r = IntegratedGradients(model, n_steps=16).attribute(x, target=1)
    ref = CaptumIG(model).attribute(x[None], target=1, n_steps=16, method="gausslegendre")[0].detach().numpy()
    np.testing.assert_allclose(r.attribution, ref, rtol=1e-5, atol=1e-7)
    scripted = torch.jit.script(copy.deepcopy(service_free_cnn()))
    assert affine_stem(scripted) is None


def service_free_cnn():
    from explain_core.models.architectures import MnistCNN

    torch.manual_seed(0)
    return MnistCNN().eval()


@pytest.mark.parametrize("model_id", MODELS)
def test_stem_smoothgrad_equals_the_general_path(service, model_id, monkeypatch):
    """SmoothGrad through the stem: affine(x + σn) = affine(x) + σ(affine(n) − affine(0)). Used where
    the stem narrows the input (the MNIST MLP); the others keep the general path, which it equals."""
    from explain_core.methods.gradients import SmoothGrad

    model = service.torch_model(model_id)
    _, X = _held_out(service, model_id, 10)
    sg = SmoothGrad(model, n_samples=12, seed=5, abs=False)
    through_stem = []
    real = gradients.stem_noise_gradients
    monkeypatch.setattr(gradients, "stem_noise_gradients", lambda *a, **k: through_stem.append(1) or real(*a, **k))
    stem_batch = sg.attribute_batch(X)
    assert bool(through_stem) == (model_id == "mnist-mlp")   # the stem narrows 784 -> 64; not 30 -> 32, not 16x28x28
    stem_single = [sg.attribute(x) for x in X[:3]]
    explicit = sg.attribute(X[0], target=1)
    monkeypatch.setattr(gradients, "affine_stem", lambda model: None)
    general = sg.attribute_batch(X)
    errors = _rel_errors(stem_batch, general)
    assert np.median(errors) < 1e-5 and errors.max() < 2e-3
    assert _rel_errors([r.attribution for r in stem_single], general[:3]).max() < 2e-3
    assert [r.target for r in stem_single] == [sg.attribute(x).target for x in X[:3]]
    assert explicit.target == 1
    assert _rel_errors([explicit.attribution], [sg.attribute(X[0], target=1).attribution]).max() < 2e-3

"""Integrated gradients' completeness: sum(attribution) ≈ f(x) - f(baseline) on real models."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explain_core.methods.gradients import IntegratedGradients

N_SAMPLES = 5
MIN_DIFFERENCE = 2.0   # logits; a relative delta of a near-zero difference says little


def held_out(service, model_id):
    """The first held-out samples whose target logit moves by at least MIN_DIFFERENCE
    between the zero baseline and the input (chosen before any IG is computed)."""
    model, data = service.torch_model(model_id), service.dataset_for(model_id)
    X = torch.as_tensor(data.X[data.test_idx[:40]])
    with torch.no_grad():
        logits = model(torch.cat([X, torch.zeros_like(X[:1])]))
    targets = logits[:-1].argmax(1)
    diff = (logits[:-1].gather(1, targets.view(-1, 1))[:, 0] - logits[-1, targets]).abs()
    ids = [int(i) for i, d in zip(data.test_idx[:40], diff) if d >= MIN_DIFFERENCE][:N_SAMPLES]
    assert len(ids) == N_SAMPLES
    return model, data, ids


@pytest.mark.parametrize("model_id", ["mnist-cnn", "mnist-mlp"])
def test_relative_delta_below_one_percent_at_64_steps(service, model_id):
    model, _, ids = held_out(service, model_id)
    for i in ids:
        x = service.input_tensor(model_id, i)
        r = IntegratedGradients(model, n_steps=64).attribute(x)
        with torch.no_grad():
            f = model(torch.cat([x, torch.zeros_like(x)]))[:, r.target]
        assert r.extras["output_difference"] == pytest.approx(float(f[0] - f[1]), rel=1e-5)
        assert r.delta == pytest.approx(float(r.attribution.astype(np.float64).sum()) - float(f[0] - f[1]),
                                        abs=1e-4)
        assert r.relative_delta <= 0.01, (model_id, i, r.relative_delta)


@pytest.mark.parametrize("model_id", ["mnist-cnn", "mnist-mlp"])
def test_relative_delta_shrinks_with_more_steps(service, model_id):
    """On a ReLU network the trapezoid rule's error is not monotone in the steps for every
    sample (a kink between two nodes can land better at 64 than at 256: a retrained MLP gave
    0.0049 at 64 and 0.0066 at 256 for one digit), but it falls from 8 steps, stays under 1%,
    and falls on average."""
    model, _, ids = held_out(service, model_id)
    rows = []
    for i in ids:
        x = service.input_tensor(model_id, i)
        deltas = [IntegratedGradients(model, n_steps=n, rule="riemann_trapezoid").attribute(x).relative_delta
                  for n in (8, 64, 256)]
        assert deltas[0] > max(deltas[1], deltas[2]), (model_id, i, deltas)
        assert deltas[2] < 0.01
        rows.append(deltas)
    means = np.mean(rows, axis=0)
    assert means[0] > means[1] > means[2], (model_id, means)


def test_completeness_with_a_mean_baseline_on_a_tabular_model(service):
    model, data = service.torch_model("breast-cancer-mlp"), service.dataset_for("breast-cancer-mlp")
    ids = data.test_idx[:N_SAMPLES]
    baseline = data.X_train.mean(0).astype(np.float32)
    for i in ids:
        r = IntegratedGradients(model, n_steps=64, baseline=baseline).attribute(data.X[i])
        with torch.no_grad():
            f = model(torch.as_tensor(np.stack([data.X[i], baseline])))[:, r.target]
        assert r.extras["output_difference"] == pytest.approx(float(f[0] - f[1]), rel=1e-5)
        assert r.relative_delta <= 0.01


def test_service_ig_reports_its_delta(service):
    _, _, ids = held_out(service, "mnist-mlp")
    r = service.explain("mnist-mlp", ids[0], "integrated_gradients", n_steps=64)
    assert r.method == "integrated_gradients" and r.attribution.shape == (1, 28, 28)
    assert r.params["n_steps"] == 64 and r.params["rule"] == "gausslegendre"
    assert r.relative_delta <= 0.01

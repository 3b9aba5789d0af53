"""Unit contributions: a hand-weighted network worked out on paper, the sum identity on the
zoo models (each head), and the top-activating samples against argmax."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core.errors import ParameterError, TargetError
from explain_core.methods.base import has_hooks
from explain_core.model_views.units import contributions, top_activating


def _hand_net() -> nn.Module:
    """x (2) -> Linear(2, 3) -> ReLU -> Linear(3, 2)."""
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2)).eval()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1., 0.], [0., 1.], [1., -1.]]))
        net[0].bias.copy_(torch.tensor([0., 0., -0.5]))
        net[2].weight.copy_(torch.tensor([[2., -1., 3.], [0.5, 1., -2.]]))
        net[2].bias.copy_(torch.tensor([0.25, -1.]))
    return net


def test_hand_weighted_network():
    """x = (3, 1): hidden = relu(3, 1, 3 − 1 − 0.5) = (3, 1, 1.5).
    Class 0: contributions (2·3, −1·1, 3·1.5) = (6, −1, 4.5), bias 0.25, logit 9.75.
    Class 1: (1.5, 1, −3), bias −1, logit −1.5."""
    net = _hand_net()
    x = np.array([3., 1.], np.float32)
    r = contributions(net, "logits", x, None)
    assert r.layer == "2" and r.target == 0                 # predicted: 9.75 > −1.5
    np.testing.assert_allclose(r.activations, [3, 1, 1.5])
    np.testing.assert_allclose(r.contributions, [6, -1, 4.5])
    assert r.bias == pytest.approx(0.25) and r.score == pytest.approx(9.75) and r.output == pytest.approx(9.75)
    assert r.contributions.sum() + r.bias == pytest.approx(r.score, abs=1e-9) and r.direct
    r1 = contributions(net, "logits", x, 1)
    np.testing.assert_allclose(r1.contributions, [1.5, 1, -3])
    assert r1.bias == pytest.approx(-1) and r1.score == pytest.approx(-1.5)
    with pytest.raises(TargetError):
        contributions(net, "logits", x, 2)
    assert not has_hooks(net)


def test_one_output_binary_flips_the_sign_for_the_negative_class():
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).eval()
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2))
        net[0].bias.zero_()
        net[2].weight.copy_(torch.tensor([[1., -2.]]))
        net[2].bias.fill_(0.5)
    x = np.array([4., 1.], np.float32)              # z = 4 − 2 + 0.5 = 2.5 -> positive class
    pos = contributions(net, "logit", x, None)
    assert pos.target == 1 and pos.score == pytest.approx(2.5)
    np.testing.assert_allclose(pos.contributions, [4, -2])
    neg = contributions(net, "logit", x, 0)
    np.testing.assert_allclose(neg.contributions, [-4, 2])
    assert neg.bias == pytest.approx(-0.5) and neg.score == pytest.approx(-2.5) == neg.output


def test_a_model_without_a_dense_layer_is_a_message():
    with pytest.raises(ParameterError, match="nn.Linear"):
        contributions(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), "logits", np.zeros((1, 5, 5), np.float32), 0)


@pytest.mark.parametrize("model_id", ["mnist-cnn", "mnist-mlp", "wine-mlp", "seed-binary-mlp", "diabetes-mlp"])
def test_contributions_sum_to_the_explained_score(service, model_id):
    """Through the service, for every head: Σ contributions + bias = the explained score the
    methods see (the logit, −z for a binary model's negative class, the predicted value)."""
    data = service.dataset_for(model_id)
    i = int(data.test_idx[4])
    r = service.model_view(model_id, "unit_contributions", sample=i, target=None)
    explained = service.explained_model(model_id)
    with torch.no_grad():
        scores = explained(torch.as_tensor(data.X[i])[None])[0].double().numpy()
    assert r.target == service.sample(model_id, i).prediction or model_id == "diabetes-mlp"
    # the layer computes in float32; the sum here is float64: equal to float32 rounding
    assert r.contributions.sum() + r.bias == pytest.approx(r.score, rel=1e-6, abs=1e-5)
    assert r.score == pytest.approx(scores[r.target], rel=1e-4, abs=1e-4) and r.direct
    if len(data.class_names) > 1:
        other = service.model_view(model_id, "unit_contributions", sample=i, target=(r.target + 1) % 2)
        assert other.score == pytest.approx(scores[other.target], rel=1e-4, abs=1e-4)
    assert not has_hooks(service.torch_model(model_id))


def test_bad_requests_are_messages(service):
    with pytest.raises(ParameterError, match="sample"):
        service.model_view("wine-mlp", "unit_contributions", sample=10 ** 6)
    with pytest.raises(ParameterError, match="sample"):
        service.model_view("wine-mlp", "unit_contributions", sample="3")
    with pytest.raises(TargetError):
        service.model_view("wine-mlp", "unit_contributions", sample=3, target=7)
    with pytest.raises(ParameterError, match="also"):
        service.model_view("wine-mlp", "unit_contributions", sample=3, layer="fc1")


def test_top_activating_is_the_argmax():
    acts = np.array([[0.1, 5.0], [0.9, 1.0], [0.3, 7.0], [0.9, -1.0]])
    ids = np.array([10, 11, 12, 13])
    top, values = top_activating(acts, ids, k=3)
    np.testing.assert_array_equal(top, [[11, 13, 12], [12, 10, 11]])      # the tie (0.9) keeps row order
    np.testing.assert_array_equal(values, [[0.9, 0.9, 0.3], [7.0, 5.0, 1.0]])


@pytest.mark.parametrize("model_id", ["mnist-cnn", "wine-mlp"])
def test_responses_come_from_the_shared_pass_and_are_its_argmax(service, model_id):
    from explain_core.model_views.run import context

    r = service.model_view(model_id, "unit_responses")
    p = context(service, model_id).held_out()
    assert r.source.startswith("held-out pass")              # no second forward over the held-out rows
    feeding = r.source[r.source.index("(") + 1:-1]
    acts = p.activations[feeding].reshape(len(p.act_ids), -1)
    np.testing.assert_array_equal(r.ids, p.act_ids)
    np.testing.assert_array_equal(r.top_ids[:, 0], p.act_ids[acts.argmax(0)])
    for unit in (0, acts.shape[1] - 1):
        np.testing.assert_allclose(r.top_values[unit], np.sort(acts[:, unit])[::-1][:r.top_ids.shape[1]], rtol=1e-6)
    one = service.model_view(model_id, "unit_contributions", sample=int(r.top_ids[0, 0]), target=None)
    assert one.activations[0] == pytest.approx(r.top_values[0, 0], rel=1e-4, abs=1e-5)

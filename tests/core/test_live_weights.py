"""A model changed in place after it was loaded (a notebook user fine-tuning it, nn.init,
load_state_dict, a replaced parameter) is explained as it is now, never from the cache
entries of its old weights; unchanged weights cost no rehash per request."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core import ExplanationService
from explain_core.methods.registry import RUNNERS, normalise_params
from explain_core.models import live_hash
from explain_core.models.store import content_hash
from explain_core.models.zoo import DEFAULT_SPECS

SPEC = next(s for s in DEFAULT_SPECS if s.model_id == "mnist-cnn")
SAMPLE = 13


@pytest.fixture
def private(service, settings):
    """A service of its own (its own module object and cache) over the stored weights, so
    changing the model here does not touch the session's."""
    service.ensure_models(model_ids=["mnist-cnn"])   # stored once by the session fixture
    return ExplanationService(settings, specs=(SPEC,))


def fresh_ig(svc) -> np.ndarray:
    """Integrated gradients computed directly on the module as it is now (no cache)."""
    data = svc.dataset_for("mnist-cnn")
    module = svc.torch_model("mnist-cnn")
    target = svc.sample("mnist-cnn", SAMPLE).prediction
    params = normalise_params("integrated_gradients", {}, "image", module)
    return RUNNERS["integrated_gradients"](module, data, data.X[SAMPLE], target, params).attribution


def reinit(module: nn.Module) -> None:
    torch.manual_seed(1)
    for m in module.modules():
        if hasattr(m, "reset_parameters"):
            m.reset_parameters()


def fine_tune(module: nn.Module) -> None:
    opt = torch.optim.SGD(module.parameters(), lr=0.5)
    x = torch.rand(8, 1, 28, 28)
    module.train()
    nn.functional.cross_entropy(module(x), torch.arange(8)).backward()
    opt.step()
    module.eval()


def replace_last_weight(module: nn.Module) -> None:
    name, layer = [(n, m) for n, m in module.named_modules() if isinstance(m, nn.Linear)][-1]
    layer.weight = nn.Parameter(torch.randn_like(layer.weight))


def load_other_weights(module: nn.Module) -> None:
    state = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in module.state_dict().items()}
    module.load_state_dict(state)


@pytest.mark.parametrize("change", [reinit, fine_tune, replace_last_weight, load_other_weights])
def test_in_place_change_gives_the_new_result(private, change):
    before = private.explain("mnist-cnn", SAMPLE, "integrated_gradients")
    hash_before = private.model_info("mnist-cnn").hash
    probs_before = private.samples("mnist-cnn").probabilities.copy()
    change(private.torch_model("mnist-cnn"))
    after = private.explain("mnist-cnn", SAMPLE, "integrated_gradients")
    assert not np.allclose(before.attribution, after.attribution), "the old map came back from the cache"
    assert private.model_info("mnist-cnn").hash != hash_before
    assert private.model_info("mnist-cnn").hash == content_hash(private.torch_model("mnist-cnn"))
    np.testing.assert_allclose(after.attribution, fresh_ig(private), rtol=1e-5, atol=1e-7)
    assert not np.allclose(private.samples("mnist-cnn").probabilities, probs_before), "stale sample table"
    assert private.explain("mnist-cnn", SAMPLE, "integrated_gradients") is not None


def test_tree_follows_the_weights(private):
    before = private.explain("mnist-cnn", SAMPLE, "tree", max_depth=2)
    reinit(private.torch_model("mnist-cnn"))
    after = private.explain("mnist-cnn", SAMPLE, "tree", max_depth=2)
    assert (before.fidelity, before.rules) != (after.fidelity, after.rules)


def test_unchanged_weights_are_not_rehashed(private, monkeypatch):
    private.explain("mnist-cnn", SAMPLE, "saliency")
    calls = []
    monkeypatch.setattr(live_hash, "content_hash", lambda m: calls.append(m) or content_hash(m))
    for _ in range(20):
        private.explain("mnist-cnn", SAMPLE, "saliency")
        private.samples("mnist-cnn")
    assert calls == []
    with torch.no_grad():
        next(private.torch_model("mnist-cnn").parameters()).mul_(1.5)
    private.explain("mnist-cnn", SAMPLE, "saliency")
    assert len(calls) == 1


def test_a_scripted_model_is_followed_too():
    module = torch.jit.script(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    hashes = live_hash.LiveHashes()
    first = hashes.hash(module)
    assert hashes.hash(module) == first
    with torch.no_grad():
        module[0].weight.add_(1.0)
    assert hashes.hash(module) == content_hash(module) != first

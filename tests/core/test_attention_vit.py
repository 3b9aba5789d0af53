"""The zoo's Vision Transformer: its accuracy floor, its attention read from real digits,
rollout recomputed from the captured maps, the quality scores of rollout, and models
without attention told so."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explain_core import ParameterError
from explain_core.methods.attention import AttentionMaps, attention_layers
from explain_core.methods.base import Attribution, has_hooks
from tests.quality_service import service_with

VIT = "mnist-vit"


@pytest.fixture(scope="module")
def svc(settings):
    return service_with(settings, (VIT, "mnist-cnn"))


@pytest.fixture(scope="module")
def digits(svc):
    return [int(i) for i in svc.dataset_for(VIT).test_idx[:12]]


def test_accuracy_floor(svc):
    assert svc.model_info(VIT).accuracy >= 0.95


def test_attention_layers_found_by_type(svc):
    module = svc.torch_model(VIT)
    assert attention_layers(module) == ["blocks.0.attn", "blocks.1.attn"]
    assert "7×7 patches (4×4 + class token), 2 layers × 4 heads" in svc.model_info(VIT).architecture


def test_attention_rows_sum_to_one_for_real_digits(svc, digits):
    for i in digits:
        maps = svc.explain(VIT, i, "attention")
        assert isinstance(maps, AttentionMaps)
        n_layers, n_heads, n_tokens, _ = maps.weights.shape
        assert (n_layers, n_heads, n_tokens) == (2, 4, 17)
        assert (maps.cls_index, maps.grid) == (0, (4, 4))
        assert (maps.weights >= 0).all()
        np.testing.assert_allclose(maps.weights.sum(axis=-1), 1.0, atol=1e-5)
        # not all uniform: a trained head looks somewhere
        assert maps.weights.max() > 2.0 / n_tokens
    assert not has_hooks(svc.torch_model(VIT))


def test_weights_equal_a_direct_recomputation_of_the_softmax(svc, digits):
    """The hook's weights are softmax(q kᵀ / √d) of the layer's own inputs, per head."""
    module = svc.torch_model(VIT)
    x = torch.as_tensor(svc.dataset_for(VIT).X[digits[0]]).unsqueeze(0)
    with torch.no_grad():
        t = module.tokens(x)
        block = module.blocks[0]
        y = block.norm1(t)
        attn = block.attn
        q, k, _ = torch.nn.functional.linear(y, attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        h, d = attn.num_heads, attn.head_dim
        q, k = (z.reshape(1, -1, h, d).transpose(1, 2) for z in (q, k))
        expected = torch.softmax(q @ k.transpose(-1, -2) / d ** 0.5, dim=-1)[0].numpy()
    np.testing.assert_allclose(svc.explain(VIT, digits[0], "attention").weights[0], expected, atol=1e-5)


def numpy_rollout(weights: np.ndarray, fusion: str = "mean") -> np.ndarray:
    """Abnar & Zuidema, written out again: fuse heads, + I, rows renormalised, last layer on the left."""
    out = np.eye(weights.shape[-1])
    for layer in weights.astype(np.float64):
        a = {"mean": layer.mean(0), "max": layer.max(0), "min": layer.min(0)}[fusion] + np.eye(len(out))
        out = (a / a.sum(1, keepdims=True)) @ out
    return out


@pytest.mark.parametrize("fusion", ["mean", "max", "min"])
def test_rollout_equals_a_numpy_recomputation_from_the_captured_maps(svc, digits, fusion):
    for i in digits[:4]:
        maps = svc.explain(VIT, i, "attention")
        result = svc.explain(VIT, i, "attention_rollout", head_fusion=fusion)
        assert isinstance(result, Attribution) and result.attribution.shape == (1, 28, 28)
        cls_row = numpy_rollout(maps.weights, fusion)[0, 1:].reshape(4, 4)
        np.testing.assert_allclose(result.extras["grid"], cls_row, rtol=1e-5, atol=1e-7)
        # each 7×7 patch holds its share spread evenly: the block sums are the grid
        blocks = result.attribution[0].reshape(4, 7, 4, 7).sum(axis=(1, 3))
        np.testing.assert_allclose(blocks, cls_row, rtol=1e-4, atol=1e-7)
        assert result.target == svc.sample(VIT, i).prediction


def test_attention_results_are_cached_per_sample_and_settings(svc, digits):
    i = digits[5]
    assert not svc.cached(VIT, i, "attention_rollout", head_fusion="min")
    first = svc.explain(VIT, i, "attention_rollout", head_fusion="min")
    assert svc.cached(VIT, i, "attention_rollout", head_fusion="min")
    assert not svc.cached(VIT, i, "attention_rollout", head_fusion="max")
    maps = svc.explain(VIT, i, "attention")
    assert svc.cached(VIT, i, "attention")
    hits = svc.stats["hits"]
    np.testing.assert_array_equal(svc.explain(VIT, i, "attention_rollout", head_fusion="min").attribution,
                                  first.attribution)
    np.testing.assert_array_equal(svc.explain(VIT, i, "attention").weights, maps.weights)
    assert svc.stats["hits"] == hits + 2


def test_rollout_is_the_same_for_every_class(svc, digits):
    a = svc.explain(VIT, digits[0], "attention_rollout", target=0).attribution
    b = svc.explain(VIT, digits[0], "attention_rollout", target=7).attribution
    np.testing.assert_array_equal(a, b)


def test_quality_scores_apply_to_rollout(svc, digits):
    rep = svc.quality("scores", VIT, digits[0], "attention_rollout")
    assert np.isfinite([rep.curves.deletion_auc, rep.curves.insertion_auc, rep.infidelity, rep.sensitivity]).all()
    sanity = svc.quality("sanity", VIT, digits[0], "attention_rollout")
    assert len(sanity.layers) >= 3 and np.isfinite(sanity.spearman).all()
    assert "attention_rollout" in svc.quality("table", VIT, digits[0]).ranks()


def test_models_without_attention_say_so(svc):
    for method in ("attention", "attention_rollout"):
        with pytest.raises(ParameterError, match="no attention layers"):
            svc.explain("mnist-cnn", 0, method)
    with pytest.raises(ParameterError, match="head_fusion"):
        svc.explain(VIT, 0, "attention_rollout", head_fusion="median")

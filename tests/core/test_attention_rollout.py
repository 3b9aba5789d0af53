"""Attention capture and rollout on hand-built attention stacks, answers worked out by hand."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core import ParameterError
from explain_core.methods.attention import (AttentionRollout, AttentionWeights, attention_layers, no_attention,
                                            rollout_matrix, spread_over_input, token_layout)
from explain_core.methods.base import has_hooks

# Layer 1: two heads, the class token (token 0) attends to patch 1 in one head and patch 2 in
# the other; the patches attend to themselves. Layer 2: both heads alike.
H1A = [[0, 1, 0], [0, 1, 0], [0, 0, 1]]
H1B = [[0, 0, 1], [0, 1, 0], [0, 0, 1]]
H2 = [[0, 1, 0], [1, 0, 0], [0, 1, 0]]
STACK = np.array([[H1A, H1B], [H2, H2]], dtype=np.float32)        # (layers, heads, tokens, tokens)
# By hand, mean over heads, + I, rows renormalised:
#   Â1 = [[.5, .25, .25], [0, 1, 0], [0, 0, 1]]     Â2 = [[.5, .5, 0], [.5, .5, 0], [0, .5, .5]]
#   rollout = Â2 · Â1: row 0 = .5·Â1[0] + .5·Â1[1] = [.25, .625, .125]
#   (the other order, Â1 · Â2, would give [.375, .5, .125])
ROLLOUT_ROW0 = [0.25, 0.625, 0.125]


def test_rollout_of_a_hand_built_two_layer_stack():
    roll = rollout_matrix(STACK)
    np.testing.assert_allclose(roll[0], ROLLOUT_ROW0, atol=1e-12)
    np.testing.assert_allclose(roll[2], [0.0, 0.5, 0.5], atol=1e-12)      # .5·Â1[1] + .5·Â1[2]
    np.testing.assert_allclose(roll.sum(axis=1), 1.0, atol=1e-12)


def test_head_fusion_max_renormalises():
    # max over layer 1's heads: [[0, 1, 1], ...] + I -> [1, 1, 1] / 3 for the class token;
    # layer 2 is as before: row 0 = .5·[1/3, 1/3, 1/3] + .5·[0, 1, 0] = [1/6, 2/3, 1/6]
    np.testing.assert_allclose(rollout_matrix(STACK, "max")[0], [1 / 6, 2 / 3, 1 / 6], atol=1e-12)
    with pytest.raises(ParameterError, match="head_fusion"):
        rollout_matrix(STACK, "median")


class FixedAttention(nn.Module):
    """Attention with hand-chosen probabilities: out = probs @ x; `probs` (an Identity) is the
    declared hook point whose output is the (batch, heads, T, T) weights."""

    def __init__(self, heads):
        super().__init__()
        self.weights = torch.tensor(np.array(heads, dtype=np.float32))
        self.probs = nn.Identity()

    def forward(self, x):
        p = self.probs(self.weights.unsqueeze(0).expand(len(x), -1, -1, -1))
        return x + (p.mean(1) @ x)


class HandStack(nn.Module):
    """A 1×2×4 image -> [class token, left patch, right patch] (each the patch's sum, width 1),
    two FixedAttention layers, the class token's state times (1, -1) as two logits."""

    glimpse_attention = ("layer1.probs", "layer2.probs")
    cls_index = 0
    patch_grid = (1, 2)

    def __init__(self):
        super().__init__()
        self.layer1 = FixedAttention([H1A, H1B])
        self.layer2 = FixedAttention([H2, H2])

    def forward(self, x):
        left, right = x[:, 0, :, :2].sum((1, 2)), x[:, 0, :, 2:].sum((1, 2))
        t = torch.stack([torch.zeros_like(left), left, right], dim=1).unsqueeze(-1)
        t = self.layer2(self.layer1(t))
        return torch.cat([t[:, 0], -t[:, 0]], dim=1)


def test_declared_hook_points_give_the_hand_chosen_weights_and_rollout():
    model = HandStack()
    assert attention_layers(model) == ["layer1.probs", "layer2.probs"]
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 4)
    maps = AttentionWeights(model).explain(x)
    np.testing.assert_array_equal(maps.weights, STACK)
    assert (maps.cls_index, maps.grid) == (0, (1, 2))
    result = AttentionRollout(model).attribute(x)
    np.testing.assert_allclose(result.extras["grid"], [[0.625, 0.125]], atol=1e-7)
    # each patch's share spread over its 2×2 pixels
    np.testing.assert_allclose(result.attribution, [[[0.15625] * 2 + [0.03125] * 2] * 2], atol=1e-7)
    assert result.attribution.shape == x.shape and not has_hooks(model)


def uniform_mha(width=4, heads=2):
    """Query and key projections zero: every score equal, every weight 1/tokens."""
    mha = nn.MultiheadAttention(width, heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight[:2 * width].zero_()
        mha.in_proj_bias.zero_()
    return mha


class QuietAttention(nn.Module):
    """nn.MultiheadAttention called without need_weights: the hook must ask again."""

    def __init__(self, cls_token=True):
        super().__init__()
        self.cls_token = cls_token
        self.embed = nn.Linear(1, 4)
        self.attn = uniform_mha()
        self.out = nn.Linear(4, 3)

    def forward(self, x):                      # x: (B, 1, 2, 2) -> 4 patch tokens + a class token
        t = self.embed(x.flatten(1).unsqueeze(-1))
        if self.cls_token:
            t = torch.cat([torch.zeros_like(t[:, :1]), t], dim=1)
        a, w = self.attn(t, t, t, need_weights=False)
        assert w is None
        return self.out(a[:, 0])


def test_multihead_attention_found_by_type_and_asked_again_for_its_heads():
    model = QuietAttention()
    assert attention_layers(model) == ["attn"]
    maps = AttentionWeights(model).explain(np.ones((1, 2, 2), np.float32))
    assert maps.weights.shape == (1, 2, 5, 5)
    np.testing.assert_allclose(maps.weights, 0.2, atol=1e-6)
    assert (maps.cls_index, maps.grid) == (0, (2, 2))           # guessed: 5 = 1 + 2×2
    # one uniform layer: Â = .5·U + .5·I, the class token's row over the patches is .1 each
    np.testing.assert_allclose(AttentionRollout(model).attribute(np.ones((1, 2, 2))).extras["grid"], 0.1, atol=1e-6)
    assert not has_hooks(model)


def test_a_model_without_attention_says_so():
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    assert attention_layers(model) == [] and "no attention layers" in no_attention(model)
    with pytest.raises(ParameterError, match="no attention layers"):
        AttentionWeights(model).explain(np.ones((1, 2, 2), np.float32))


def test_rollout_without_a_known_class_token_is_a_clear_error():
    model = QuietAttention(cls_token=False)            # 4 tokens: no class token to read a row of
    assert token_layout(model, 4) == (None, None)
    maps = AttentionWeights(model).explain(np.ones((1, 2, 2), np.float32))
    np.testing.assert_allclose(maps.weights.sum(-1), 1.0, atol=1e-6)       # the maps are still there
    with pytest.raises(ParameterError, match="class token"):
        AttentionRollout(model).attribute(np.ones((1, 2, 2), np.float32))


def test_spread_over_input_keeps_the_sum_for_uneven_patches():
    grid = np.array([[1.0, 2.0], [3.0, 4.0]])
    out = spread_over_input(grid, (1, 5, 5))      # rows/cols split 3 + 2
    assert out.shape == (1, 5, 5)
    np.testing.assert_allclose(out.sum(), grid.sum(), rtol=1e-6)
    np.testing.assert_allclose(out[0, 0, 0], 1 / 9)
    np.testing.assert_allclose(out[0, 4, 4], 4 / 4)

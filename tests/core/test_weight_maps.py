"""A dense layer that reads a flattened feature map keeps that map's shape (kind 'dense_map'):
found by one probe forward, only when the layer's input is the map flattened value for value."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from explain_core.methods.weights import FilterWeights, feature_maps


class ViewFlatten(nn.Module):
    """conv → pool, flattened with .view in forward (no nn.Flatten), then two Linears."""

    def __init__(self, channels_last: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.bn = nn.BatchNorm2d(3)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(3 * 4 * 4, 5)
        self.fc2 = nn.Linear(5, 2)
        self.channels_last = channels_last

    def forward(self, x):
        h = self.pool(torch.relu(self.bn(self.conv(x))))
        if self.channels_last:          # (N, H, W, C) flattened: not the C×H×W order
            h = h.permute(0, 2, 3, 1).contiguous()
        return self.fc2(torch.relu(self.fc1(h.view(h.shape[0], -1))))


def test_view_flatten_in_forward_is_found_and_rows_reshape_exactly():
    torch.manual_seed(0)
    m = ViewFlatten().eval()
    layers = {lw.name: lw for lw in FilterWeights(m, image_shape=(1, 8, 8)).explain().layers}
    fc1 = layers["fc1"]
    assert fc1.kind == "dense_map" and fc1.weights.shape == (5, 3, 4, 4)
    w = m.fc1.weight.detach().numpy()
    # unit 2's weight on channel 1 at (row 3, col 0) is flattened input 1*16 + 3*4 + 0
    assert fc1.weights[2, 1, 3, 0] == w[2, 1 * 16 + 3 * 4 + 0]
    np.testing.assert_array_equal(fc1.weights.reshape(5, -1), w)
    assert layers["fc2"].kind == "dense" and layers["fc2"].weights.shape == (2, 5)


def test_a_permuted_map_stays_a_plain_matrix():
    m = ViewFlatten(channels_last=True).eval()
    assert feature_maps(m, (1, 8, 8)) == {}
    kinds = {lw.name: lw.kind for lw in FilterWeights(m, image_shape=(1, 8, 8)).explain().layers}
    assert kinds["fc1"] == "dense"


def test_the_probe_leaves_no_hooks_modes_or_statistics_changed():
    m = ViewFlatten()
    m.train()
    m.bn.eval()             # a mixed state is restored as it was
    before = m.bn.running_mean.clone(), m.bn.num_batches_tracked.clone()
    assert feature_maps(m, (1, 8, 8)) == {"fc1": (3, 4, 4)}
    assert m.training and m.fc1.training and not m.bn.training
    assert torch.equal(m.bn.running_mean, before[0]) and torch.equal(m.bn.num_batches_tracked, before[1])
    assert all(not mod._forward_hooks for mod in m.modules())


def test_an_image_shape_the_model_cannot_take_finds_no_maps():
    m = ViewFlatten().eval()
    assert feature_maps(m, (1, 12, 12)) == {}    # 3×6×6 inputs reach a Linear that takes 48: the probe fails
    assert all(not mod._forward_hooks for mod in m.modules())

"""Gradient methods run image batches channels-last for speed; results must not change."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from explain_core.methods.gradients import IntegratedGradients, Saliency, SmoothGrad, _CHANNELS_LAST_FAILS


def _plain_gradient(model, x, target) -> np.ndarray:
    xt = torch.as_tensor(x)[None].clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(xt)[0, target], xt)
    return g[0].numpy()


class ViewNet(nn.Module):
    """Calls .view() on a conv output: impossible with channels-last input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 8 * 8, 3)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        return self.fc(h.view(h.size(0), -1))


def test_cnn_gradients_equal_plain_autograd(service):
    model = service.torch_model("mnist-cnn")
    x = service.dataset_for("mnist-cnn").X[11]
    r = Saliency(model, abs=False).attribute(x, target=4)
    np.testing.assert_allclose(r.attribution, _plain_gradient(model, x, 4), rtol=1e-4, atol=1e-6)
    assert r.attribution.flags.c_contiguous
    batch = Saliency(model, abs=False).attribute_batch(service.dataset_for("mnist-cnn").X[10:13], np.array([1, 4, 7]))
    np.testing.assert_allclose(batch[1], r.attribution, rtol=1e-4, atol=1e-6)


def test_model_that_needs_contiguous_input_falls_back():
    torch.manual_seed(0)
    model = ViewNet().eval()
    x = np.random.default_rng(0).random((2, 8, 8)).astype(np.float32)
    from captum.attr import IntegratedGradients as CaptumIG

    ig = IntegratedGradients(model, n_steps=40).attribute(x, target=2)   # 41+ rows: tries channels-last
    assert _CHANNELS_LAST_FAILS.get(model) is True
    ref = CaptumIG(model).attribute(torch.as_tensor(x)[None], target=2, n_steps=40, method="gausslegendre")
    np.testing.assert_allclose(ig.attribution, ref[0].detach().numpy(), rtol=1e-4, atol=1e-7)
    r = Saliency(model, abs=False).attribute(x, target=1)
    np.testing.assert_allclose(r.attribution, _plain_gradient(model, x, 1), rtol=1e-5, atol=1e-7)
    assert SmoothGrad(model, n_samples=4).attribute_batch(np.stack([x, x]), np.array([0, 0])).shape == (2, 2, 8, 8)

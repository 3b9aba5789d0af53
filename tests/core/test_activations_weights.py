"""Layer activations and filter weights against a manual forward and the modules' parameters."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core.methods.activations import LayerActivations
from explain_core.methods.base import has_hooks
from explain_core.methods.weights import FilterWeights


def sample(service, model_id):
    i = int(service.dataset_for(model_id).test_idx[0])
    return service.input_tensor(model_id, i)


def test_cnn_activations_shapes_kinds_and_values(service):
    model = service.torch_model("mnist-cnn")
    x = sample(service, "mnist-cnn")
    acts = LayerActivations(model).explain(x[0].numpy())
    assert [la.name for la in acts.layers] == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2",
                                               "flatten", "fc1", "relu3", "fc2"]
    shapes = {la.name: (la.kind, la.values.shape) for la in acts.layers}
    assert shapes["conv1"] == ("conv", (16, 28, 28))
    assert shapes["conv2"] == ("conv", (32, 14, 14))
    assert shapes["pool2"] == ("conv", (32, 7, 7))
    assert shapes["flatten"] == ("dense", (32 * 7 * 7,))
    assert shapes["fc1"] == ("dense", (64,)) and shapes["fc2"] == ("dense", (10,))
    with torch.no_grad():
        c1 = model.conv1(x)
        p1 = model.pool1(model.relu1(c1))
        c2 = model.conv2(p1)
        h = model.relu3(model.fc1(model.flatten(model.pool2(model.relu2(c2)))))
        logits = model.fc2(h)
    np.testing.assert_allclose(acts.layer("conv1").values, c1[0].numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(acts.layer("relu1").values, np.maximum(c1[0].numpy(), 0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(acts.layer("conv2").values, c2[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts.layer("relu3").values, h[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts.layer("fc2").values, logits[0].numpy(), rtol=1e-5, atol=1e-6)
    assert all(isinstance(la.values, np.ndarray) for la in acts.layers)
    np.testing.assert_array_equal(acts.inputs, x[0].numpy())
    assert not has_hooks(model)


def test_mlp_and_tabular_activations(service):
    model = service.torch_model("mnist-mlp")
    acts = LayerActivations(model).explain(sample(service, "mnist-mlp"))
    assert {la.name: la.values.shape for la in acts.layers} == {
        "flatten": (784,), "fc1": (64,), "relu1": (64,), "fc2": (64,), "relu2": (64,), "fc3": (10,)}
    assert all(la.kind == "dense" for la in acts.layers)
    tab = service.torch_model("wine-mlp")
    row = service.dataset_for("wine-mlp").X[0]
    acts = LayerActivations(tab).explain(row)
    with torch.no_grad():
        logits = tab(torch.as_tensor(row).unsqueeze(0))[0].numpy()
    np.testing.assert_allclose(acts.layer("out").values, logits, rtol=1e-5, atol=1e-6)
    assert acts.layer("fc1").values.shape == (32,)
    assert not has_hooks(model) and not has_hooks(tab)


def test_activation_hooks_removed_when_the_forward_raises():
    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc = nn.Linear(3, 2)

        def forward(self, x):
            return self.fc(self.conv(x))   # shape mismatch: raises after conv's hook ran

    m = Broken()
    with pytest.raises(RuntimeError):
        LayerActivations(m).explain(np.zeros((1, 8, 8), np.float32))
    assert not has_hooks(m)


def test_cnn_weights_equal_the_parameters(service):
    model = service.torch_model("mnist-cnn")
    w = FilterWeights(model).explain()
    assert [(lw.name, lw.kind, lw.weights.shape) for lw in w.layers] == [
        ("conv1", "conv", (16, 1, 3, 3)), ("conv2", "conv", (32, 16, 3, 3)),
        ("fc1", "dense_map", (64, 32, 7, 7)), ("fc2", "dense", (10, 64))]     # fc1 reads pool2's 32×7×7
    for lw in w.layers:
        module = dict(model.named_modules())[lw.name]
        np.testing.assert_array_equal(lw.weights.reshape(module.weight.shape), module.weight.detach().numpy())
        np.testing.assert_array_equal(lw.bias, module.bias.detach().numpy())
        assert isinstance(lw.weights, np.ndarray) and not lw.weights.flags.writeable


def test_weights_are_frozen_copies(service):
    model = service.torch_model("mnist-cnn")
    w = FilterWeights(model).explain().layers[0]
    assert not np.shares_memory(w.weights, model.conv1.weight.detach().numpy())
    with pytest.raises(ValueError):
        w.weights[0, 0, 0, 0] = 123.0


def test_mlp_first_layer_weights_as_images(service):
    model = service.torch_model("mnist-mlp")
    w = FilterWeights(model).explain()
    kinds = [(lw.name, lw.kind, lw.weights.shape) for lw in w.layers]
    assert kinds == [("fc1", "dense_image", (64, 1, 28, 28)), ("fc2", "dense", (64, 64)),
                     ("fc3", "dense", (10, 64))]
    fc1 = w.layers[0].weights
    # unit 5's template at pixel (row 3, col 17) is the weight on flattened input 3*28+17
    assert fc1[5, 0, 3, 17] == model.fc1.weight[5, 3 * 28 + 17].item()
    np.testing.assert_array_equal(fc1.reshape(64, 784), model.fc1.weight.detach().numpy())


def test_tabular_first_layer_carries_feature_names(service):
    model = service.torch_model("breast-cancer-mlp")
    names = service.dataset_for("breast-cancer-mlp").feature_names
    w = FilterWeights(model, feature_names=names).explain()
    first, *rest = w.layers
    assert first.name == "fc1" and first.kind == "dense" and first.input_names == tuple(names)
    assert first.weights.shape == (32, len(names))
    assert all(lw.input_names == () for lw in rest)
    np.testing.assert_array_equal(first.weights, model.fc1.weight.detach().numpy())

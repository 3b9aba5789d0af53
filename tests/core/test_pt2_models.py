"""torch.export (.pt2) models through the service: every view of the exported model is the
eager model's (layer activations, filter weights and Grad-CAM through torch.export.unflatten;
gradient maps to float rounding), a fixed-batch export runs on any batch, a restart restores
it, and files that do not fit their data give one clear message each."""
from __future__ import annotations

import numpy as np
import pytest
from torch import nn

from explain_core import ExplanationService, Settings
from explain_core.errors import ModelFileError
from explain_core.uploads import stored_upload_ids
from tests.model_files import edit_json, pt2_bytes, residual_cnn, rewrite

METHODS = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "occlusion")


def fresh(root, settings) -> ExplanationService:
    return ExplanationService(Settings(model_store=root / "m", cache_dir=settings.cache_dir, cache_type="simple"),
                              specs=())


@pytest.fixture(scope="module")
def pair(service, settings, tmp_path_factory):
    """(service with the .pt2 uploads, the same models registered as eager Python modules, root)."""
    root = tmp_path_factory.mktemp("pt2")
    svc = fresh(root, settings)
    data = service.dataset("image")
    eager = {"cnn": service.torch_model("mnist-cnn"), "resnet": residual_cnn()}
    ids = {}
    for name, model in eager.items():
        ids[name] = svc.add_model_file(pt2_bytes(model), title=f"{name}.pt2")
        svc.add_model(model, data, title=name, model_id=f"eager-{name}")
    return svc, ids, root


def test_an_exported_cnn_is_the_eager_cnn_in_every_view(pair, service):
    svc, ids, _ = pair
    mid = ids["cnn"]
    info, original = svc.model_info(mid), service.model_info("mnist-cnn")
    assert mid.startswith("pt2-") and info.source == "torch.export" and info.title == "cnn.pt2"
    assert info.layers == original.layers and info.conv_layers == ("conv1", "conv2")
    assert info.accuracy == pytest.approx(original.accuracy, abs=1e-12) and info.hash == original.hash
    assert info.architecture == "torch.export MnistCNN"
    for method in ("activations", "weights", "gradcam") + METHODS:
        got, want = svc.explain(mid, 7, method), service.explain("mnist-cnn", 7, method)
        if method in ("activations", "weights"):
            assert [la.name for la in got.layers] == [la.name for la in want.layers]
            for a, b in zip(got.layers, want.layers):
                np.testing.assert_allclose(a.values if method == "activations" else a.weights,
                                           b.values if method == "activations" else b.weights, atol=1e-5)
        else:
            assert got.target == want.target
            np.testing.assert_allclose(got.attribution, want.attribution, rtol=1e-4, atol=1e-5)


def test_a_residual_cnn_with_batchnorm_agrees_with_the_eager_model(pair):
    svc, ids, _ = pair
    mid = ids["resnet"]
    info = svc.model_info(mid)
    assert [n for n, _ in info.layers] == ["conv1", "block.0", "block.2", "fc"]
    assert dict(info.layers)["block.0"] == "Conv2d" and info.conv_layers == ("conv1", "block.0")
    for method in METHODS + ("activations",):
        got, want = svc.explain(mid, 11, method), svc.explain("eager-resnet", 11, method)
        if method == "activations":
            for a, b in zip(got.layers, want.layers, strict=True):
                assert a.name == b.name and a.kind == b.kind
                np.testing.assert_allclose(a.values, b.values, rtol=1e-4, atol=1e-5)
            continue
        assert got.attribution.shape == (1, 28, 28)
        np.testing.assert_allclose(got.attribution, want.attribution, rtol=1e-4, atol=1e-5)
    for layer in ("conv1", "block.0"):
        got = svc.explain(mid, 11, "gradcam", layer=layer)
        want = svc.explain("eager-resnet", 11, "gradcam", layer=layer)
        np.testing.assert_allclose(got.attribution, want.attribution, rtol=1e-4, atol=1e-6)
    ig = svc.explain(mid, 11, "integrated_gradients", n_steps=200)
    assert ig.relative_delta < 0.01                   # completeness holds through the exported graph


def test_a_restart_restores_the_upload_through_the_same_checks(pair, settings):
    svc, ids, root = pair
    again = fresh(root, settings)
    assert set(ids.values()) <= set(stored_upload_ids(again.store))
    mid = ids["resnet"]
    assert again.model_info(mid).hash == svc.model_info(mid).hash
    np.testing.assert_allclose(again.explain(mid, 3, "saliency").attribution,
                               svc.explain(mid, 3, "saliency").attribution, atol=1e-6)
    assert svc.add_model_file(pt2_bytes(residual_cnn()), title="again") == mid     # same bytes, same id


def test_a_fixed_batch_export_runs_on_any_batch(service, settings, tmp_path):
    svc = fresh(tmp_path, settings)
    cnn = service.torch_model("mnist-cnn")
    mid = svc.add_model_file(pt2_bytes(cnn, dynamic=False, batch=3), title="fixed")
    assert any("batch of 3" in n for n in svc.model_info(mid).notes)
    assert svc.model_info(mid).accuracy == pytest.approx(service.model_info("mnist-cnn").accuracy)
    got = svc.explain(mid, 5, "integrated_gradients")          # 50 steps in chunks of 3
    np.testing.assert_allclose(got.attribution, service.explain("mnist-cnn", 5, "integrated_gradients").attribution,
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(svc.explain(mid, 5, "gradcam").attribution,
                               service.explain("mnist-cnn", 5, "gradcam").attribution, atol=1e-5)


class Shifted(nn.Module):
    """Returns NaN: the issue's NaN-producing model."""

    def forward(self, x):
        return x.flatten(1)[:, :10] * float("nan")


def test_files_that_do_not_fit_give_one_clear_message(service, settings, tmp_path):
    svc = fresh(tmp_path, settings)
    cnn = service.torch_model("mnist-cnn")
    rgb = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 30 * 30, 10))
    with pytest.raises(ModelFileError, match=r"No images of shape 3×32×32|No data with input shape \(3, 32, 32\)"):
        svc.add_model_file(pt2_bytes(rgb, shape=(3, 32, 32)))
    with pytest.raises(ModelFileError, match=r"takes inputs of shape \(1, 28, 28\), not \(3, 28, 28\)"):
        svc.add_model_file(pt2_bytes(cnn), input_shape=(3, 28, 28))
    with pytest.raises(ModelFileError, match="returns NaN or infinite values"):
        svc.add_model_file(pt2_bytes(Shifted()))
    # a program that raises in forward: its view to 800 values no longer fits the tensor
    broken = rewrite(pt2_bytes(cnn), {"models/model.json": edit_json(_wrong_view)})
    with pytest.raises(ModelFileError, match=r"The model fails on inputs of shape \(2, 1, 28, 28\)"):
        svc.add_model_file(broken)
    three = nn.Sequential(nn.Flatten(), nn.Linear(784, 3))
    with pytest.raises(ModelFileError, match=r"returns shape \(2, 3\) for a batch of 2; expected \(2, 10\)"):
        svc.add_model_file(pt2_bytes(three))
    with pytest.raises(ModelFileError, match="You gave 2 class names, but the data 'mnist' has 10 classes"):
        svc.add_model_file(pt2_bytes(cnn), class_names=["a", "b"])
    assert stored_upload_ids(svc.store) == []


def _wrong_view(doc):
    node = next(n for n in doc["graph_module"]["graph"]["nodes"] if n["target"].startswith("torch.ops.aten.flatten"))
    node["target"] = "torch.ops.aten.view.default"
    node["inputs"] = [node["inputs"][0], {"name": "size", "arg": {"as_ints": [-1, 799]}, "kind": 1}]

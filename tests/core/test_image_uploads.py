"""TorchScript image models of shapes other than MNIST's: an upload that takes a built-in
image shape is explained on those images (3×28×28: the shortcut digits, 1×8×8: the 8×8
digits), after a restart too; another shape is a clear message naming the shapes there are."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from explain_core import ExplanationService, Settings
from explain_core.errors import ModelFileError
from explain_core.models.architectures import MnistCNN
from explain_core.models.zoo import DEFAULT_SPECS
from tests.api.image_models import rgb_resnet, tiny_cnn
from tests.conftest import test_home as glimpse_home   # not collected as a test

IMAGE_SPECS = tuple(s for s in DEFAULT_SPECS if s.model_id in ("shortcut-cnn", "digits-8x8-cnn"))


def scripted(module, shape) -> bytes:
    buf = io.BytesIO()
    torch.jit.save(torch.jit.trace(module.eval(), torch.rand(2, *shape)), buf)
    return buf.getvalue()


def fresh(tmp_path) -> ExplanationService:
    """Uploads in a temporary store; the built-in images from the test home's data cache."""
    return ExplanationService(Settings(model_store=tmp_path / "m", cache_dir=glimpse_home() / "cache"),
                              specs=IMAGE_SPECS)


@pytest.mark.parametrize("make, shape, data", [
    (lambda: MnistCNN(10, (3, 28, 28)), (3, 28, 28), "shortcut-digits"),
    (tiny_cnn, (1, 8, 8), "digits-8x8"),
])
def test_an_upload_of_a_built_in_image_shape_is_explained_on_those_images(tmp_path, make, shape, data):
    torch.manual_seed(0)
    svc = fresh(tmp_path)
    model_id = svc.add_torchscript_model(scripted(make(), shape), list(shape), title=f"{data}.pt")
    info = svc.model_info(model_id)
    assert info.source == "torchscript" and info.dataset == data and info.input_shape == shape
    assert 0 <= info.accuracy <= 1
    side = shape[-1]
    r = svc.explain(model_id, 3, "occlusion")
    assert r.attribution.shape == shape and r.params["window"] == max(2, round(side / 7))
    assert svc.explain(model_id, 3, "integrated_gradients").attribution.shape == shape
    again = fresh(tmp_path)                                  # a restart finds it and its images
    assert again.model_info(model_id).dataset == data


def test_an_upload_of_another_image_shape_names_the_shapes_there_are(tmp_path):
    svc = fresh(tmp_path)
    with pytest.raises(ModelFileError) as e:
        svc.add_torchscript_model(scripted(rgb_resnet(), (3, 32, 32)), [3, 32, 32])
    text = str(e.value)
    assert "No images of shape 3×32×32" in text
    assert "3×28×28 (shortcut-digits)" in text and "1×8×8 (digits-8x8)" in text and "glimpse.show" in text
    assert not np.any([p.name.startswith("ts-") for p in (tmp_path / "m").glob("uploads/*")])

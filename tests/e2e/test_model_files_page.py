"""Model files in a real browser: a torch.export (.pt2) residual CNN dropped on the upload
panel is added, selected, and its layer activations, filter weights and Grad-CAM render;
a crafted .pt2 gets its refusal in the panel and the current model stays."""
from __future__ import annotations

import shutil

import pytest

from dashboard import ids
from explain_core.uploads import uploads_root
from tests.model_files import pt2_bytes, residual_cnn, rewrite


def open_upload_panel(page):
    page.click(f"#{ids.UPLOAD_TOGGLE}")
    page.until(lambda: page.js("return document.getElementById(arguments[0]).style.display !== 'none'",
                               ids.UPLOAD_PANEL), 10, "the upload panel")


@pytest.fixture
def resnet_file(tmp_path, service):
    """A .pt2 of a residual CNN with BatchNorm; its upload is removed from the store afterwards."""
    path = tmp_path / "resnet.pt2"
    content = pt2_bytes(residual_cnn(seed=7))
    path.write_bytes(content)
    yield path
    for p in uploads_root(service.store).glob("pt2-*"):
        shutil.rmtree(p, ignore_errors=True)


def test_a_pt2_upload_gets_every_layer_view(glimpse, resnet_file, tmp_path):
    page, service = glimpse, glimpse.service
    page.open()
    open_upload_panel(page)

    # a crafted file first: the refusal shows in the panel, the current model stays
    model = page.model_label()
    bad = tmp_path / "crafted.pt2"
    bad.write_bytes(rewrite(resnet_file.read_bytes(), {"data/weights/model_weights_config.json": _pickled}))
    page.upload(ids.TS_UPLOAD, bad)
    page.click(f"#{ids.TS_ADD}")
    page.until(lambda: "is stored as a pickle" in page.text(ids.TS_MESSAGE), 60, "the refusal")
    assert page.model_label() == model

    page.upload(ids.TS_UPLOAD, resnet_file)
    page.until(lambda: "resnet.pt2" in page.text(ids.TS_FILENAME), 10, "the chosen file")
    page.click(f"#{ids.TS_ADD}")
    page.until(lambda: "Added resnet.pt2" in page.text(ids.TS_MESSAGE), 90, "the model added")
    page.until(lambda: page.model_label().startswith("resnet.pt2"), 30, "the new model selected")
    model_id = page.js("return new URLSearchParams(location.search).get('model')")   # other tests add .pt2s too
    assert model_id.startswith("pt2-")
    info = service.model_info(model_id)
    assert info.conv_layers == ("conv1", "block.0")

    page.tab("Layer activations")
    figs = page.wait_figures(ids.output(ids.TAB_ACTIVATIONS), lambda f: f[0]["title"].startswith("conv1"), 60)
    assert "8 feature maps" in figs[0]["title"]
    page.choose(ids.ACT_LAYER, "block.0 (Conv2d)")
    page.wait_figures(ids.output(ids.TAB_ACTIVATIONS), lambda f: f[0]["title"].startswith("block.0"))

    page.tab("Filter weights")
    page.choose(ids.WEIGHT_LAYER, "block.0 (Conv2d)")
    figs = page.wait_figures(ids.output(ids.TAB_WEIGHTS), lambda f: f[0]["title"].startswith("block.0"))
    assert "8×8 kernels (3×3)" in figs[0]["title"]

    out = ids.output(ids.TAB_GRADIENTS)
    page.tab("Gradient maps")
    page.wait_figures(out, lambda f: f[0]["title"].startswith("Integrated gradients"), 60)
    page.choose(ids.METHOD_A, "Grad-CAM")
    figs = page.wait_figures(out, lambda f: f[0]["title"].startswith("Grad-CAM"))
    assert "from layer block.0 (28×28 map" in figs[0]["subtitle"]
    page.assert_clean()


def _pickled(data: bytes) -> bytes:
    import json
    doc = json.loads(data)
    first = next(iter(doc["config"].values()))
    first["use_pickle"] = True
    return json.dumps(doc).encode()

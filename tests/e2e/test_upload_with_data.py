"""A model file dropped with the data to explain it on, in a real browser: a .pt2 ResNet-style
CNN on 3×32×32 images with an .npz, a TorchScript single-logit MLP with a CSV (binary:
negative / positive), a .pt2 regression MLP with a CSV of values ('largest errors'). Each
is added and selected and every tab renders; bad data files each show their message in
the panel and the current model stays."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from dashboard import ids
from dashboard.layout import TAB_LABELS
from tests.e2e.helpers import FIRST_TABS
from explain_core.staged_data import staged_root
from explain_core.uploads import uploads_root
from tests.api.image_models import rgb_images, rgb_resnet
from tests.e2e.test_model_files_page import open_upload_panel
from tests.model_files import pt2_bytes, script_bytes
from tests.upload_models import binary_csv, binary_mlp, npz_bytes, regression_csv, regression_mlp

SEED = 11          # weights no other test uploads: the ids are new, so the uploads run


@pytest.fixture
def files(tmp_path, service):
    """The model and data files on disk; the uploads and staged data leave the store afterwards."""
    before = {p.name for p in uploads_root(service.store).glob("*")}
    X = rgb_images(24, seed=SEED).numpy()
    made = {
        "resnet.pt2": pt2_bytes(rgb_resnet(seed=SEED), shape=(3, 32, 32)),
        "rgb.npz": npz_bytes(X=X, y=np.arange(24) % 10),
        "nan.npz": npz_bytes(X=np.where(X > 0.5, np.nan, X), y=np.arange(24) % 10),
        "objects.npz": npz_bytes(X=np.array([{"a": 1}], dtype=object)),
        "small.npz": npz_bytes(X=X[:, :, :28, :28], y=np.arange(24) % 10),
        "labels.npz": npz_bytes(X=X, y=np.arange(24)),
        "binary.pt": script_bytes(binary_mlp(seed=SEED), torch.zeros(1, 4)),
        "patients.csv": binary_csv(seed=SEED),
        "reg.pt2": pt2_bytes(regression_mlp(seed=SEED), shape=(4,)),
        "progression.csv": regression_csv(seed=SEED),
    }
    for name, content in made.items():
        (tmp_path / name).write_bytes(content)
    yield tmp_path
    for p in uploads_root(service.store).glob("*"):
        if p.name not in before:
            shutil.rmtree(p, ignore_errors=True)
    shutil.rmtree(staged_root(service.store), ignore_errors=True)


def drop_data(page, path, expect: str):
    page.upload(ids.TS_DATA_UPLOAD, path)
    page.until(lambda: expect in page.text(ids.TS_DATA_STATUS), 30, f"{path.name}: {expect!r}")


def add(page, model_path, expect: str, timeout=120):
    page.upload(ids.TS_UPLOAD, model_path)
    page.until(lambda: model_path.name in page.text(ids.TS_FILENAME), 10, "the chosen model file")
    page.click(f"#{ids.TS_ADD}")
    page.until(lambda: expect in page.text(ids.TS_MESSAGE), timeout, f"the answer {expect!r}")


def every_tab_renders(page, expect: dict):
    for tab in FIRST_TABS:
        page.tab(TAB_LABELS[tab])
        want = expect.get(tab, "")
        page.wait_figures(ids.output(tab), lambda f: any(want in g["title"] + " " + g["subtitle"] for g in f), 90,
                          f"the {tab} tab with {want!r}")
        page.idle(60)


def test_an_rgb_pt2_with_npz_data_and_bad_data_files(glimpse, files):
    page, service = glimpse, glimpse.service
    page.open()
    open_upload_panel(page)
    limit = page.js("return document.querySelector('#%s [data-max-bytes]').getAttribute('data-max-bytes')"
                    % ids.TS_DATA_UPLOAD)
    assert int(limit) > 0                          # the browser refuses files over the limit here too
    model = page.model_label()
    drop_data(page, files / "nan.npz", "holds NaN or infinite values")
    drop_data(page, files / "objects.npz", "Python objects are never unpickled")
    drop_data(page, files / "small.npz", "small.npz: 24 samples of 3×28×28 with labels y")
    add(page, files / "resnet.pt2", "takes inputs of shape 3×32×32, but the samples in small.npz have shape "
                                    "3×28×28")
    drop_data(page, files / "labels.npz", "labels.npz: 24 samples of 3×32×32")
    page.click(f"#{ids.TS_ADD}")
    page.until(lambda: "y holds class 10, but the model has 10 classes" in page.text(ids.TS_MESSAGE), 120,
               "the labels refused")
    assert page.model_label() == model

    drop_data(page, files / "rgb.npz", "rgb.npz: 24 samples of 3×32×32 with labels y (10 distinct values)")
    page.click(f"#{ids.TS_ADD}")
    page.until(lambda: "Added resnet.pt2 (rgb.npz): held-out accuracy" in page.text(ids.TS_MESSAGE), 120, "added")
    page.until(lambda: page.model_label().startswith("resnet.pt2"), 30, "the new model selected")
    mid = page.js("return new URLSearchParams(location.search).get('model')")
    assert service.model_info(mid).input_shape == (3, 32, 32)
    page.click(f"#{ids.UPLOAD_CLOSE}")
    every_tab_renders(page, {ids.TAB_ACTIVATIONS: "stem.0", ids.TAB_GRADIENTS: "Integrated gradients"})
    page.tab(TAB_LABELS[ids.TAB_GRADIENTS])
    page.choose(ids.METHOD_A, "Grad-CAM")
    figs = page.wait_figures(ids.output(ids.TAB_GRADIENTS), lambda f: f[0]["title"].startswith("Grad-CAM"), 60)
    assert "from layer" in figs[0]["subtitle"]
    page.assert_clean()


def test_binary_and_regression_files_with_csv_data(glimpse, files):
    page, service = glimpse, glimpse.service
    page.open()
    open_upload_panel(page)
    drop_data(page, files / "patients.csv", "patients.csv: 120 rows, 5 columns")
    page.until(lambda: page.dropdown_text(f"#{ids.TS_TARGET}").startswith("label"), 10, "the suggested target")
    add(page, files / "binary.pt", "Added binary.pt (patients.csv): held-out accuracy")
    page.until(lambda: page.model_label().startswith("binary.pt"), 30, "the binary model selected")
    page.until(lambda: "'positive' explains z" in page.text(ids.TARGET_NOTE), 30, "the binary target note")
    page.click(f"#{ids.UPLOAD_CLOSE}")
    every_tab_renders(page, {ids.TAB_GRADIENTS: "Integrated gradients for", ids.TAB_LIME: "LIME for"})
    page.tab(TAB_LABELS[ids.TAB_GRADIENTS])
    title = page.wait_figures(ids.output(ids.TAB_GRADIENTS))[0]["title"]
    assert "for positive (the output z)" in title or "for negative (−z)" in title, title

    open_upload_panel(page)
    page.click(f"#{ids.TS_DATA_CLEAR}")
    page.until(lambda: page.text(ids.TS_DATA_STATUS) == "", 10, "the data file removed")
    drop_data(page, files / "progression.csv", "progression.csv: 120 rows, 5 columns")
    page.until(lambda: page.dropdown_text(f"#{ids.TS_TARGET}").startswith("progression"), 10, "the target")
    add(page, files / "reg.pt2", "Added reg.pt2 (progression.csv): held-out R²")
    page.until(lambda: page.model_label().startswith("reg.pt2"), 30, "the regression model selected")
    mid = page.js("return new URLSearchParams(location.search).get('model')")
    assert service.model_info(mid).task == "regression"
    page.until(lambda: "largest errors first" in page.text(ids.FILTER_FLAGS), 20, "the regression's filter")
    page.click(f"#{ids.UPLOAD_CLOSE}")
    every_tab_renders(page, {ids.TAB_GRADIENTS: "Integrated gradients for the predicted progression",
                             ids.TAB_TREE: "Distilled regression tree"})
    page.assert_clean()

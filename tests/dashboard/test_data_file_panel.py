"""The upload panel's data file, its callbacks called as plain functions: a dropped file is
checked and staged at once (a CSV offers its target columns), a bad one says why, the
model file is added on the staged data, and GLIMPSE_UPLOADERS applies to the data too."""
from __future__ import annotations

import base64

import numpy as np
import pytest
import torch
from dash import no_update

from dashboard import data_file
from dashboard.upload import add_torchscript
from explain_core import ExplanationService, Settings
from explain_core.staged_data import staged_root
from tests.model_files import script_bytes
from tests.upload_models import binary_mlp, npz_bytes, regression_csv


def value(content: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(content).decode()


@pytest.fixture
def svc(tmp_path, settings):
    return ExplanationService(Settings(model_store=tmp_path / "m", cache_dir=settings.cache_dir,
                                       cache_type="simple"), specs=())


def text(component) -> str:
    return str(getattr(component, "children", component))


def test_a_dropped_csv_is_staged_with_its_targets(svc):
    status, key, options, target, target_style, clear_style = data_file.stage(svc, value(regression_csv()), "p.csv")
    assert text(status) == "Data: p.csv: 120 rows, 5 columns." and target == "progression"
    assert {"label": "progression (regression)", "value": "progression"} in options
    assert target_style == {} and clear_style == {}
    assert (staged_root(svc.store) / f"{key}.data").read_bytes() == regression_csv()
    message, model_id = add_torchscript(svc, value(script_bytes(torch.nn.Linear(4, 1).eval(), torch.zeros(1, 4))),
                                        "lin.pt", "1,28,28", "", None, key, "progression", "auto", None)
    assert "Added lin.pt (p.csv): held-out R²" in text(message)
    assert svc.model_info(model_id).task == "regression"


def test_a_staged_npz_gives_a_binary_model_its_classes(svc):
    X = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    status, key, options, *_ = data_file.stage(svc, value(npz_bytes(X=X, y=(X[:, 0] > 0).astype(int))), "t.npz")
    assert text(status) == "Data: t.npz: 30 rows of 4 features with labels y (2 distinct values)." and options == []
    message, model_id = add_torchscript(svc, value(script_bytes(binary_mlp(), torch.zeros(1, 4))), "b.pt", "",
                                        "no,yes", None, key, None, "classification", "a,b,c,d")
    info = svc.model_info(model_id)
    assert "Added b.pt (t.npz): held-out accuracy" in text(message)
    assert info.output == "logit" and info.class_names == ("no", "yes") and info.feature_names == ("a", "b", "c", "d")


@pytest.mark.parametrize("content, match", [
    (npz_bytes(X=np.array([[np.nan, 1.0]])), "holds NaN or infinite values"),
    (npz_bytes(X=np.array([{"a": 1}], dtype=object)), "Python objects are never unpickled"),
    (b"a,b\n1,2\n", "no column that can be a target"),
])
def test_a_bad_data_file_says_why_at_once(svc, content, match):
    status, key, options, target, target_style, clear_style = data_file.stage(svc, value(content), "bad.npz")
    assert match in text(status) and key is None and options == [] and target_style == {"display": "none"}
    assert clear_style == {}                         # it can be removed
    assert not list(staged_root(svc.store).glob("*.data"))


def test_hostile_values_and_removed_files(svc):
    assert data_file.stage(svc, None, None)[:2] == ("", None)          # the file was removed
    for bad in ("../../etc/passwd", "0" * 20, ["x"], 5):
        message, added = add_torchscript(svc, value(b"x"), "m.pt", "4", "", None, bad, None, None, None)
        assert added is no_update and ("drop it again" in text(message) or "must be text" in text(message))
    message, added = add_torchscript(svc, value(b"x"), "m.pt", "4", "", None, None, None, "sideways", None)
    assert "The task must be one of auto, classification, regression" in text(message) and added is no_update


def test_uploaders_may_not_stage_data_either(svc, monkeypatch):
    monkeypatch.setenv("GLIMPSE_UPLOADERS", "alice")
    status, key, *_ = data_file.stage(svc, value(regression_csv()), "p.csv")
    assert "limited to named users (GLIMPSE_UPLOADERS)" in text(status) and key is None
    assert not staged_root(svc.store).exists()

"""Uploaded models: a CSV trained into a model, a TorchScript file checked and registered,
both restored from disk by a second service; user bytes are never unpickled."""
from __future__ import annotations

import importlib.util
import io
import json
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import load_breast_cancer
from torch import nn

from explain_core import ExplanationService, Settings
from explain_core.errors import DataError, ModelFileError, UnknownIdError
from explain_core.models.architectures import TabularMLP
from explain_core.uploads import load_upload, stored_upload_ids, uploads_root

GRADIENTS = importlib.util.find_spec("explain_core.methods.gradients") is not None


def fresh(store, cache) -> ExplanationService:
    return ExplanationService(Settings(model_store=store, cache_dir=cache), specs=())


def breast_cancer_csv() -> bytes:
    bunch = load_breast_cancer()
    df = pd.DataFrame(bunch.data, columns=bunch.feature_names)
    df["diagnosis"] = np.asarray(bunch.target_names)[bunch.target]
    return df.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def csv_upload(tmp_path_factory):
    root = tmp_path_factory.mktemp("uploads")
    svc = fresh(root / "m", root / "c")
    events: list[dict] = []
    model_id = svc.add_csv_model(breast_cancer_csv(), "diagnosis", "breast.csv", events.append)
    return svc, model_id, events, root


# ------------------------------------------------------------------------------- CSV
def test_csv_model_trains_and_reports_progress(csv_upload):
    svc, model_id, events, _ = csv_upload
    assert model_id.startswith("csv-") and len(model_id) == 14
    training = [e for e in events if e["stage"] == "training"]
    assert training and [e["epoch"] for e in training] == list(range(1, training[0]["epochs"] + 1))
    assert set(training[0]) == {"model_id", "index", "total", "stage", "epoch", "epochs", "loss", "accuracy"}
    assert all(e["model_id"] == model_id and e["total"] == 1 for e in training)
    assert training[-1]["loss"] < training[0]["loss"]
    assert events[-1]["stage"] == "ready"
    info = svc.model_info(model_id)
    assert info.source == "csv" and info.kind == "tabular" and info.accuracy >= 0.9
    assert info.class_names == ("benign", "malignant") and len(info.feature_names) == 30
    assert info.title == "breast.csv → diagnosis" and info.n_test == 143
    assert model_id in svc.model_ids()


def test_csv_model_is_explained(csv_upload):
    svc, model_id, _, _ = csv_upload
    table = svc.samples(model_id)
    assert (table.predictions[table.is_test] == table.labels[table.is_test]).mean() >= 0.9
    if not GRADIENTS:
        pytest.skip("explain_core/methods/gradients.py does not exist yet")
    result = svc.explain(model_id, 0, "gradient_x_input")
    assert result.attribution.shape == (30,) and np.isfinite(result.attribution).all()
    np.testing.assert_allclose(result.inputs, svc.dataset_for(model_id).X[0])


def test_csv_model_is_restored_by_a_second_service_without_training(csv_upload):
    svc, model_id, _, root = csv_upload
    other = fresh(root / "m", root / "c")
    assert model_id in stored_upload_ids(other.store) and model_id in other.model_ids()
    info, first = other.model_info(model_id), svc.model_info(model_id)
    assert info.hash == first.hash and info.accuracy == first.accuracy
    assert info.feature_names == first.feature_names and info.class_names == first.class_names
    restored = other.dataset_for(model_id)
    original = svc.dataset_for(model_id)
    np.testing.assert_array_equal(restored.X, original.X)
    np.testing.assert_array_equal(restored.test_idx, original.test_idx)
    assert other._model(model_id).trained_now is False
    np.testing.assert_array_equal(other.samples(model_id).probabilities, svc.samples(model_id).probabilities)
    # uploading the same bytes again finds the stored model: no training
    events: list[dict] = []
    assert fresh(root / "m", root / "c").add_csv_model(breast_cancer_csv(), "diagnosis", "breast.csv",
                                                       events.append) == model_id
    assert [e["stage"] for e in events] == ["ready"]


def test_bad_csv_raises_data_error_and_stores_nothing(tmp_path):
    svc = fresh(tmp_path / "m", tmp_path / "c")
    with pytest.raises(DataError, match="no column 'Diagnosis'"):
        svc.add_csv_model(breast_cancer_csv(), "Diagnosis", "breast.csv")
    assert stored_upload_ids(svc.store) == [] and svc.model_ids() == []


def test_corrupt_stored_uploads_do_not_break_listing(csv_upload, tmp_path):
    svc, model_id, _, root = csv_upload
    store = tmp_path / "m"
    good = uploads_root(svc.store) / model_id
    target = store / "uploads"
    target.mkdir(parents=True)
    for name in ("csv-aaaaaaaaaa", "csv-bbbbbbbbbb", "ts-cccccccccc", "csv-dddddddddd"):
        (target / name).mkdir()
    (target / "csv-aaaaaaaaaa" / "meta.json").write_text("{not json")
    (target / "csv-bbbbbbbbbb" / "meta.json").write_text((good / "meta.json").read_text())  # no data, no weights
    (target / "ts-cccccccccc" / "meta.json").write_text(json.dumps({"source": "torchscript", "model_id": "x"}))
    (target / "ts-cccccccccc" / "model.pt").write_bytes(b"garbage")
    (target / "not-an-upload").mkdir()
    (target / "not-an-upload" / "meta.json").write_text("{}")
    svc2 = fresh(store, root / "c")
    assert stored_upload_ids(svc2.store) == ["csv-aaaaaaaaaa", "csv-bbbbbbbbbb", "ts-cccccccccc"]
    assert svc2.list_models() == []
    for bad in ("csv-aaaaaaaaaa", "csv-bbbbbbbbbb", "ts-cccccccccc", "csv-dddddddddd"):
        assert load_upload(svc2, bad) is None
        with pytest.raises(UnknownIdError):
            svc2.model_info(bad)


def test_crafted_ids_never_reach_the_file_system(csv_upload):
    svc, model_id, _, _ = csv_upload
    for bad in ("../m/uploads/" + model_id, model_id + "/..", "csv-../../x", "", None):
        assert load_upload(svc, bad) is None


# ------------------------------------------------------------------------ TorchScript
def script_bytes(module: nn.Module, trace_input: torch.Tensor | None = None) -> bytes:
    buf = io.BytesIO()
    scripted = torch.jit.trace(module, trace_input) if trace_input is not None else torch.jit.script(module)
    torch.jit.save(scripted, buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def ts_service(service, settings, tmp_path_factory):
    root = tmp_path_factory.mktemp("ts")
    return fresh(root / "m", settings.cache_dir), root


@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_mnist_cnn_matches_the_original(service, settings, ts_service, how):
    svc, root = ts_service
    cnn = service.torch_model("mnist-cnn")
    content = script_bytes(cnn, torch.zeros(1, 1, 28, 28) if how == "trace" else None)
    model_id = svc.add_torchscript_model(content, (1, 28, 28), title=f"CNN ({how})")
    assert model_id.startswith("ts-") and len(model_id) == 13
    info, original = svc.model_info(model_id), service.model_info("mnist-cnn")
    assert info.source == "torchscript" and info.title == f"CNN ({how})" and info.kind == "image"
    assert info.accuracy == pytest.approx(original.accuracy, abs=1e-12)
    assert info.hash == original.hash            # the same weights, whatever wraps them
    np.testing.assert_allclose(svc.samples(model_id).probabilities[:50],
                               service.samples("mnist-cnn").probabilities[:50], atol=1e-5)
    # a restart restores it from uploads/ with torch.jit.load
    again = fresh(root / "m", settings.cache_dir)
    assert model_id in again.model_ids()
    assert again.model_info(model_id).hash == info.hash and again.model_info(model_id).accuracy == info.accuracy
    if not GRADIENTS:
        pytest.skip("explain_core/methods/gradients.py does not exist yet")
    got = again.explain(model_id, 3, "gradient_x_input")
    want = service.explain("mnist-cnn", 3, "gradient_x_input")
    assert got.target == want.target
    np.testing.assert_allclose(got.attribution, want.attribution, atol=1e-5)
    # TorchScript refuses hooks, but this forward only calls its layers in turn: run from
    # Python one layer at a time (models/script_view.py), every layer view is the original's
    assert again.model_info(model_id).layers == original.layers
    assert again.model_info(model_id).conv_layers == ("conv1", "conv2")
    for method in ("activations", "weights", "gradcam"):
        got, want = again.explain(model_id, 3, method), service.explain("mnist-cnn", 3, method)
        if method == "gradcam":
            np.testing.assert_allclose(got.attribution, want.attribution, atol=1e-5)
            continue
        for a, b in zip(got.layers, want.layers, strict=True):
            assert a.name == b.name and a.kind == b.kind
            np.testing.assert_allclose(a.values if method == "activations" else a.weights,
                                       b.values if method == "activations" else b.weights, atol=1e-5)


def test_torchscript_class_names_rename_the_classes(service, ts_service):
    svc, _ = ts_service
    names = [f"digit {i}" for i in range(10)]
    cnn = service.torch_model("mnist-cnn")
    cnn_copy = type(cnn)()
    cnn_copy.load_state_dict(cnn.state_dict())
    cnn_copy.fc2.bias.data += 1e-4   # other bytes, so another id
    model_id = svc.add_torchscript_model(script_bytes(cnn_copy.eval()), (1, 28, 28), class_names=names)
    assert svc.model_info(model_id).class_names == tuple(names)
    with pytest.raises(ModelFileError, match="You gave 3 class names, but the data 'mnist' has 10 classes"):
        svc.add_torchscript_model(script_bytes(nn.Sequential(nn.Flatten(), nn.Linear(784, 10))), (1, 28, 28),
                                  class_names=["a", "b", "c"])


CALLS: list = []


def _trap(*args):
    CALLS.append(args)
    return nn.Linear(2, 2)


class Trap(nn.Module):
    """Unpickling this runs _trap: proof that nothing unpickled the user's file."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def __reduce_ex__(self, protocol):
        return (_trap, ("unpickled!",))


def test_pickled_files_are_refused_and_never_unpickled(tmp_path):
    svc = fresh(tmp_path / "m", tmp_path / "c")
    files = {}
    for name, kw in (("zip", {}), ("legacy", {"_use_new_zipfile_serialization": False})):
        buf = io.BytesIO()
        torch.save(Trap(), buf, **kw)
        files[name] = buf.getvalue()
    files["pickle"] = pickle.dumps(Trap())
    buf = io.BytesIO()
    torch.save(TabularMLP(30, 2).state_dict(), buf)
    files["state_dict"] = buf.getvalue()
    files["text"] = b"definitely not a model"
    files["empty"] = b""
    for name, content in files.items():
        with pytest.raises(ModelFileError, match="^Not a TorchScript model file: ") as e:
            svc.add_torchscript_model(content, (30,))
        if name in ("zip", "state_dict"):
            assert "torch.save checkpoint" in str(e.value)
    assert CALLS == []
    assert stored_upload_ids(svc.store) == []
    torch.load(io.BytesIO(files["zip"]), weights_only=False)   # the trap is armed: loading would run it
    assert CALLS == [("unpickled!",)]


def test_model_that_does_not_fit_the_data_is_refused(service, csv_upload):
    svc, csv_id, _, _ = csv_upload
    cnn = script_bytes(service.torch_model("mnist-cnn"))
    with pytest.raises(ModelFileError, match=r"fails on inputs of shape \(2, 30\) \(a batch of \(30,\)\)"):
        svc.add_torchscript_model(cnn, (30,), data_from=csv_id)
    three = TabularMLP(30, 3)
    with pytest.raises(ModelFileError, match=r"returns shape \(2, 3\) for a batch of 2; expected \(2, 2\)"):
        svc.add_torchscript_model(script_bytes(three, torch.zeros(1, 30)), (30,), data_from=csv_id)
    with pytest.raises(ModelFileError, match=r"data of 'csv-\w+' has input shape \(30,\), but the model takes \(7,\)"):
        svc.add_torchscript_model(script_bytes(TabularMLP(7, 2), torch.zeros(1, 7)), (7,), data_from=csv_id)
    with pytest.raises(ModelFileError, match=r"No data with input shape \(7,\) is available"):
        svc.add_torchscript_model(script_bytes(TabularMLP(7, 2), torch.zeros(1, 7)), (7,))

    class Pair(nn.Module):
        def forward(self, x):
            return x[:, :2], x[:, 2:4]
    with pytest.raises(ModelFileError, match="returns a tuple"):
        svc.add_torchscript_model(script_bytes(Pair()), (30,), data_from=csv_id)


def test_tabular_torchscript_uses_the_csv_data_it_matches(csv_upload):
    svc, csv_id, _, root = csv_upload
    twin = svc.torch_model(csv_id)
    # no data_from: the data is found by shape among the loaded models
    model_id = svc.add_torchscript_model(script_bytes(twin, torch.zeros(1, 30)), (30,))
    assert svc.dataset_for(model_id) is svc.dataset_for(csv_id)
    assert svc.model_info(model_id).accuracy == svc.model_info(csv_id).accuracy
    again = fresh(root / "m", root / "c")                              # restores both from disk
    assert again.model_info(model_id).accuracy == svc.model_info(csv_id).accuracy
    np.testing.assert_array_equal(again.dataset_for(model_id).X, svc.dataset_for(csv_id).X)

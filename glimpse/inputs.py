"""The caller's objects (numpy arrays, torch tensors, pandas frames and series, lists) as
the engine's numpy arrays, with the column names a frame carries."""
from __future__ import annotations

import numpy as np
import torch

from explain_core.errors import DataError


def _is_frame(X) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "to_numpy")


def _is_series(X) -> bool:
    return hasattr(X, "index") and hasattr(X, "dtype") and hasattr(X, "to_numpy") and not _is_frame(X)


def to_numpy(X, what: str = "X") -> tuple[np.ndarray, tuple[str, ...] | None]:
    """(float32 array, feature names or None). A DataFrame's columns or a Series' index (one
    row) become feature names; text columns are a DataError naming them. The array is
    writable (pandas 3 hands out read-only views, which torch warns about)."""
    X, names = _to_numpy(X, what)
    return (X if X.flags.writeable else X.copy()), names


def _to_numpy(X, what: str) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if X is None:
        raise DataError(f"{what} is missing.")
    if torch.is_tensor(X):
        return X.detach().cpu().float().numpy(), None
    if _is_frame(X):
        from pandas.api.types import is_numeric_dtype

        text = [str(c) for c, dt in X.dtypes.items() if not is_numeric_dtype(dt)]
        if text:
            raise DataError(f"{what} has columns that are not numbers: {', '.join(text[:5])}"
                            f"{' …' if len(text) > 5 else ''}. Encode them as numbers first.")
        return X.to_numpy(dtype=np.float32), tuple(str(c) for c in X.columns)
    if _is_series(X):
        return _numbers(X.to_numpy(), what), tuple(str(i) for i in X.index)
    return _numbers(X, what), None


def _numbers(X, what: str) -> np.ndarray:
    try:
        return np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise DataError(f"{what} must hold numbers only ({e}).") from None


def to_labels(y, what: str = "y") -> np.ndarray | None:
    """Labels as a 1-D numpy array (numbers or names), None when none were given."""
    if y is None:
        return None
    if torch.is_tensor(y):
        y = y.detach().cpu().numpy()
    elif _is_frame(y):
        if y.shape[1] != 1:
            raise DataError(f"{what} must be one column of labels; it has {y.shape[1]} columns.")
        y = y.iloc[:, 0].to_numpy()
    elif _is_series(y):
        y = y.to_numpy()
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[1:] == (1,) * (y.ndim - 1):
        y = y.reshape(-1)
    if y.ndim != 1:
        raise DataError(f"{what} must be one label per sample (1-D); it has shape {y.shape}.")
    return y

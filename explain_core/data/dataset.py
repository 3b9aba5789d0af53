"""The one shape every data set takes inside Glimpse."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


@dataclass(frozen=True, eq=False)
class Dataset:
    """All samples of a data set plus a fixed split.

    X is float32, shape (n, *input_shape): images are (n, 1, 28, 28) scaled to 0..1;
    tabular rows are (n, n_features) in raw units (models standardise themselves).
    Sample ids are row indices into X, so every row is a sample; train_idx/test_idx
    say which rows the models were trained and scored on.
    """

    name: str
    kind: str  # 'image' or 'tabular'
    X: np.ndarray
    y: np.ndarray
    train_idx: np.ndarray
    test_idx: np.ndarray
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    description: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. imputation report
    informative: tuple[int, ...] | None = None  # ground truth for synthetic sets
    task: str = "classification"  # or 'regression': y holds values, class_names the target's name

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.X.shape[1:])

    @property
    def n_classes(self) -> int:
        """Classes, or 1 for regression (one target: the predicted value)."""
        return len(self.class_names)

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    @property
    def X_train(self) -> np.ndarray:
        return rows_of(self.X, self.train_idx)

    @property
    def y_train(self) -> np.ndarray:
        return rows_of(self.y, self.train_idx)

    @property
    def X_test(self) -> np.ndarray:
        return rows_of(self.X, self.test_idx)

    @property
    def y_test(self) -> np.ndarray:
        return rows_of(self.y, self.test_idx)

    def subsample(self, split: str, n: int) -> np.ndarray:
        """Row ids of at most n samples of a split ('train' or 'test'): all of them when
        there are no more than n, else a fixed draw (seed 0), in id order. For statistics a
        sample estimates well (the distilled tree, LIME's feature scales) on large data."""
        idx = self.train_idx if split == "train" else self.test_idx
        if len(idx) <= n:
            return np.asarray(idx)
        return np.sort(np.random.default_rng(0).choice(idx, size=n, replace=False))

    @cached_property
    def train_mean(self) -> np.ndarray:
        """The mean training sample (float32, one input's shape), computed once."""
        mean = self.X_train.mean(axis=0).astype(np.float32)
        mean.setflags(write=False)
        return mean

    def fingerprint(self) -> str:
        # arrays are hashed through the buffer protocol: no copy of X (220 MB for 70,000 digits)
        h = hashlib.sha1()
        h.update(self.name.encode())
        for a in (self.X, self.y, self.train_idx):
            h.update(np.ascontiguousarray(a))
        return h.hexdigest()[:16]


def rows_of(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """a[idx]; a view, not a copy, when idx is a run of consecutive ids (glimpse.show's
    samples and training rows are: 70,000 digits need not be copied for every statistic)."""
    idx = np.asarray(idx)
    if len(idx) > 1 and idx[-1] - idx[0] == len(idx) - 1 and bool((np.diff(idx) == 1).all()):
        return a[int(idx[0]):int(idx[-1]) + 1]
    return a[idx]


def stratified_split(y: np.ndarray, test_size, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # imported here: sklearn.model_selection pulls in scipy.stats (~2 s of start-up)
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_size, random_state=seed, stratify=y)
    return np.sort(train), np.sort(test)


def pixel_feature_names(shape: tuple[int, ...]) -> tuple[str, ...]:
    """Names for image pixels: 'px(row,col)' in row-major order (channel dropped if 1)."""
    c, h, w = shape
    names = []
    for ch in range(c):
        for r in range(h):
            for col in range(w):
                names.append(f"px({r},{col})" if c == 1 else f"px({ch},{r},{col})")
    return tuple(names)

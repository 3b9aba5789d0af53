"""Tabular data sets bundled with scikit-learn, plus a synthetic known-truth set.

sklearn.datasets is imported where it is used: importing it costs ~2 s of start-up
that a warm start (models stored, MNIST first) does not need.
"""
from __future__ import annotations

import numpy as np

from .dataset import Dataset, stratified_split


def _from_sklearn(name: str, bunch, seed: int, description: str) -> Dataset:
    X = np.asarray(bunch.data, dtype=np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    train, test = stratified_split(y, test_size=0.25, seed=seed)
    return Dataset(
        name=name, kind="tabular", X=X, y=y, train_idx=train, test_idx=test,
        class_names=tuple(str(c) for c in bunch.target_names),
        feature_names=tuple(str(f) for f in bunch.feature_names),
        description=description,
    )


def breast_cancer(seed: int = 0) -> Dataset:
    from sklearn.datasets import load_breast_cancer

    return _from_sklearn("breast-cancer", load_breast_cancer(), seed,
                         "Wisconsin breast cancer (scikit-learn), 569 rows, 30 features")


def wine(seed: int = 0) -> Dataset:
    from sklearn.datasets import load_wine

    return _from_sklearn("wine", load_wine(), seed, "Wine recognition (scikit-learn), 178 rows, 13 features")


KNOWN_TRUTH_INFORMATIVE = 5


def known_truth(seed: int = 0, n_samples: int = 2000) -> Dataset:
    """20 features, exactly 5 informative, none redundant: ground truth for attributions.

    make_classification with shuffle=False puts the informative features first; we
    then permute columns with a fixed seed so "first five" is not a shortcut, and record
    which columns are informative.
    """
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_samples, n_features=20, n_informative=KNOWN_TRUTH_INFORMATIVE,
        n_redundant=0, n_repeated=0, n_classes=2, n_clusters_per_class=2,
        class_sep=1.5, flip_y=0.01, shuffle=False, random_state=seed,
    )
    perm = np.random.default_rng(seed).permutation(20)
    X = X[:, perm]
    informative = tuple(sorted(int(np.where(perm == i)[0][0]) for i in range(KNOWN_TRUTH_INFORMATIVE)))
    train, test = stratified_split(y, test_size=0.25, seed=seed)
    return Dataset(
        name="known-truth", kind="tabular", X=X.astype(np.float32), y=y.astype(np.int64),
        train_idx=train, test_idx=test, class_names=("class 0", "class 1"),
        feature_names=tuple(f"f{i:02d}" + ("*" if i in informative else "") for i in range(20)),
        description="Synthetic known truth: 20 features, exactly 5 informative (marked *)",
        informative=informative,
    )


SEED_INFORMATIVE = 5


def seed_binary(seed: int = 0) -> Dataset:
    """The seed example's table, exactly: make_classification(n_samples=1000, n_features=100,
    n_informative=5, n_redundant=0, random_state=42), shuffled columns and all.

    make_classification does not say where the shuffle put the informative features; the
    same call with shuffle=False puts them first, and each of those columns holds the
    same values (in another row order) as exactly one column of the shuffled table."""
    from sklearn.datasets import make_classification

    kw = dict(n_samples=1000, n_features=100, n_informative=SEED_INFORMATIVE, n_redundant=0, random_state=42)
    X, y = make_classification(**kw)
    X0, _ = make_classification(shuffle=False, **kw)
    sorted_cols = np.sort(X, axis=0)
    informative = tuple(sorted(int(np.flatnonzero((sorted_cols == np.sort(X0[:, j])[:, None]).all(axis=0))[0])
                               for j in range(SEED_INFORMATIVE)))
    train, test = stratified_split(y, test_size=0.25, seed=seed)
    return Dataset(
        name="seed-binary", kind="tabular", X=X.astype(np.float32), y=y.astype(np.int64),
        train_idx=train, test_idx=test, class_names=("negative", "positive"),
        feature_names=tuple(f"x{i:02d}" + ("*" if i in informative else "") for i in range(X.shape[1])),
        description="The seed's table: make_classification, 1,000 rows, 100 features, 5 informative (marked *)",
        informative=informative,
    )


def diabetes(seed: int = 0) -> Dataset:
    """scikit-learn's diabetes set: 442 patients, 10 features, a continuous target (disease
    progression one year on). A random 75/25 split (a continuous target has no strata)."""
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    bunch = load_diabetes()
    y = np.asarray(bunch.target, dtype=np.float32)
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, random_state=seed)
    return Dataset(
        name="diabetes", kind="tabular", X=np.asarray(bunch.data, dtype=np.float32), y=y,
        train_idx=np.sort(train), test_idx=np.sort(test), class_names=("progression",),
        feature_names=tuple(str(f) for f in bunch.feature_names),
        description="Diabetes (scikit-learn), 442 rows, 10 features, target: disease progression after one year "
                    "(regression)",
        task="regression",
    )

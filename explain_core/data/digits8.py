"""scikit-learn's 8×8 digits (load_digits, bundled: no download) as 1×8×8 images in 0..1."""
from __future__ import annotations

import numpy as np

from .dataset import Dataset, pixel_feature_names, stratified_split
from .mnist import DIGITS


def digits_8x8(seed: int = 0) -> Dataset:
    # imported here: sklearn.datasets costs start-up time a warm start does not need
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = (np.asarray(bunch.images, dtype=np.float32) / 16.0)[:, None]     # 0..16 grey levels -> 0..1
    y = np.asarray(bunch.target, dtype=np.int64)
    train, test = stratified_split(y, test_size=0.25, seed=seed)
    return Dataset(
        name="digits-8x8", kind="image", X=np.ascontiguousarray(X), y=y, train_idx=train, test_idx=test,
        class_names=DIGITS, feature_names=pixel_feature_names(X.shape[1:]),
        description=f"scikit-learn's 8×8 digits, {len(X):,} images ({len(train):,} train / {len(test):,} held out)",
    )

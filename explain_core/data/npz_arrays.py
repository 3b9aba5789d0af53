"""Arrays from a .npz file nobody has checked: numbers (and text labels) only, within size
limits, read with allow_pickle=False.

A .npz is a zip of .npy files. numpy allocates an array from its header's shape before it
reads the data, so a file of a few bytes can ask for terabytes, and a compressed entry can
inflate far beyond the file. Here every wanted array's header is read first and its size
checked against the entry's size in the zip's directory (which bounds what reading it can
yield) and against the limits; only then does np.load read it. Other arrays are not read.

Limits (environment, read when a file is read): GLIMPSE_MAX_DATA_MB (default 512: all
wanted arrays together, counted as float32 where they are smaller) and
GLIMPSE_MAX_DATA_SAMPLES (default 100,000 rows of X).
"""
from __future__ import annotations

import io
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError

NUMBERS = "biuf"          # bool, signed and unsigned integers, floats
TEXT = "US"               # text labels (numpy's fixed-width strings; no Python objects)
ARRAYS = ("X", "y", "X_train", "y_train")
LABELS = ("y", "y_train")


@dataclass(frozen=True)
class DataLimits:
    max_mb: float = 512
    max_samples: int = 100_000

    ENV = {"max_mb": "GLIMPSE_MAX_DATA_MB", "max_samples": "GLIMPSE_MAX_DATA_SAMPLES"}

    @classmethod
    def from_env(cls, env=None) -> "DataLimits":
        env = os.environ if env is None else env
        kw = {}
        for name, var in cls.ENV.items():
            raw = env.get(var)
            if raw:
                value = float(raw)
                if not (value > 0 and math.isfinite(value)):
                    raise ValueError(f"{var} must be a positive number, not {raw!r}")
                kw[name] = int(value) if name == "max_samples" else value
        return cls(**kw)


def read_npz(source: bytes | Path, name: str, wanted=ARRAYS, limits: DataLimits | None = None) -> dict:
    """{array name: array} for the `wanted` arrays the file holds (X must be there), or a
    DataError that names the file, the array and what is wrong with it."""
    limits = limits or DataLimits.from_env()
    raw = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        with zipfile.ZipFile(raw) as z:
            entries = {i.filename[:-4]: i for i in z.infolist() if i.filename.endswith(".npy")}
            if "X" not in entries:
                held = ", ".join(sorted(entries)) or "none"
                raise DataError(f"{name} has no array named X (it has {held}). Save the samples as "
                                "numpy.savez(path, X=X, y=y).")
            present = [k for k in wanted if k in entries]
            total = sum(_checked_header(z, entries[k], k, name) for k in present)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise DataError(f"{name} is not a .npz file (a zip of .npy arrays, as numpy.savez writes): {e}.") from None
    if total > limits.max_mb * 2**20:
        raise DataError(f"{name} holds {total / 2**20:,.0f} MB of arrays (as float32); the limit is "
                        f"{limits.max_mb:g} MB (GLIMPSE_MAX_DATA_MB).")
    if isinstance(raw, io.BytesIO):
        raw.seek(0)
    try:
        with np.load(raw, allow_pickle=False) as z:
            arrays = {k: z[k] for k in present}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"Cannot read {name} as .npz arrays of numbers ({e}); Python objects are never "
                        "unpickled.") from None
    _check_rows(arrays, name, limits)
    return arrays


def _checked_header(z: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, name: str) -> int:
    """The array's size in bytes as float32 (at least), after its header passes."""
    what = f"{name}: array {key}"
    with z.open(info) as f:
        try:
            version = np.lib.format.read_magic(f)
            read = {(1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read is None:
                raise DataError(f"{what} is in .npy format {version}, which Glimpse does not read (save it with "
                                "numpy.savez).")
            shape, _, dtype = read(f)
        except (ValueError, EOFError) as e:
            raise DataError(f"{what} is not a readable .npy array ({e}).") from None
        header = f.tell()
    if dtype.hasobject:
        raise DataError(f"{what} holds Python objects (dtype object): save numbers (labels may be text); "
                        "Python objects are never unpickled.")
    allowed = NUMBERS + (TEXT if key in LABELS else "")
    if dtype.fields is not None or dtype.kind not in allowed:
        kinds = "numbers or text" if key in LABELS else "numbers"
        raise DataError(f"{what} has dtype {dtype}; it must hold {kinds}.")
    values = math.prod(shape)
    if header + values * dtype.itemsize != info.file_size:
        raise DataError(f"{what} is damaged: its header says shape {tuple(shape)} of {dtype}, which does not "
                        "match the data stored.")
    return values * max(dtype.itemsize, 4)


def _check_rows(arrays: dict, name: str, limits: DataLimits) -> None:
    X = arrays["X"]
    if X.ndim < 2 or len(X) == 0:
        raise DataError(f"{name}: X has shape {X.shape}; it must be (samples, features) or (samples, channels, "
                        "height, width) with at least one sample.")
    rows = len(X) + (len(arrays["X_train"]) if "X_train" in arrays else 0)
    if rows > limits.max_samples:
        raise DataError(f"{name} holds {rows:,} samples; the limit is {limits.max_samples:,} "
                        "(GLIMPSE_MAX_DATA_SAMPLES).")
    for key in ("y", "X_train", "y_train"):
        if key in arrays and arrays[key].ndim == 0:
            raise DataError(f"{name}: {key} is a single value; give one per sample.")

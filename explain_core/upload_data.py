"""The data an uploaded model file is explained on, and what the model's outputs mean on it.

Three kinds of data, one shape of answer (a `Candidate`): every sample (X), two of them for
the first forward in a child process, the output widths that fit, and, once the model's
outputs for every sample are known, the Dataset and the Head (models/heads.py):

- Known: a Dataset already here (built-in images of the model's shape, another model's
  table). Its task and classes are the data's; one output over two classes is binary.
- CsvData: a CSV with a target column (data/csv_upload.py checks it). A column that can be
  either (numbers with a few values) becomes what the output width says.
- ArrayData: a .npz with X and optionally y, X_train, y_train (data/npz_arrays.py checks
  them). Task and classes come from the output width and the labels, as in glimpse.show.
"""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np

from .data.arrays import as_samples, check_shown_shape, check_training_rows, kind_of
from .data.csv_upload import parse_csv, to_dataset
from .data.dataset import Dataset
from .data.npz_arrays import read_npz
from .errors import DataError, ModelFileError
from .model_facts import answers
from .model_list_data import Arrays, all_rows, dataset_from_arrays, rename_features
from .models.heads import Head
from .models.inprocess import class_names_for, infer_head, infer_task
from .uploads import output_widths, with_class_names

NPZ_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
NPY_MAGIC = b"\x93NUMPY"


@dataclasses.dataclass(frozen=True)
class DataFile:
    """A data file's bytes as uploaded; `target`: a CSV's label column (default: the column
    the CSV parser suggests)."""
    content: bytes
    filename: str = "data.npz"
    target: str | None = None

    @property
    def kind(self) -> str:
        """'npz' or 'csv', told from the content (a zip is a .npz)."""
        if self.content.startswith(NPY_MAGIC):
            raise DataError(f"{self.name} is a single .npy array; save the samples and their labels together with "
                            "numpy.savez('data.npz', X=X, y=y).")
        return "npz" if self.content.startswith(NPZ_MAGIC) else "csv"

    @property
    def name(self) -> str:
        return Path(self.filename or "data").name

    def digest(self) -> bytes:
        return hashlib.sha1(self.content).digest() + (self.target or "").encode()


def read_arrays(f: DataFile) -> Arrays:
    """The checked arrays of a .npz: numbers, finite, one label per sample."""
    arrays = read_npz(f.content, f.name)
    X = as_samples(arrays["X"], f"{f.name}: X")
    X_train = as_samples(arrays["X_train"], f"{f.name}: X_train") if "X_train" in arrays else None
    check_training_rows(X, X_train)
    y = _labels(arrays.get("y"), len(X), f"{f.name}: y")
    y_train = _labels(arrays.get("y_train"), len(X_train) if X_train is not None else 0, f"{f.name}: y_train")
    if y_train is not None and X_train is None:
        raise DataError(f"{f.name} has y_train but no X_train.")
    return Arrays(X, y, X_train, y_train, f.name)


def describe(f: DataFile) -> tuple[str, tuple[str, ...], dict, str | None]:
    """(one line on the file, CSV target columns, their tasks, the suggested one), checking it."""
    if f.kind == "csv":
        table = parse_csv(f.content, filename=f.name)
        if not table.candidate_targets:
            raise DataError(f"{f.name} has no column that can be a target (the labels or values to explain).")
        return (f"{f.name}: {table.n_rows:,} rows, {table.n_cols} columns", table.candidate_targets,
                dict(table.target_tasks), table.suggested_target)
    a = read_arrays(f)
    shape = a.X.shape[1:]
    rows = f"rows of {shape[0]} features" if len(shape) == 1 else f"samples of {'×'.join(map(str, shape))}"
    labels = "without labels" if a.y is None else f"with labels y ({len(np.unique(a.y)):,} distinct values)"
    extra = "" if a.X_train is None else f", and {len(a.X_train):,} training samples"
    return f"{f.name}: {len(a.X):,} {rows} {labels}{extra}", (), {}, None


# ----------------------------------------------------------------------- candidates
class Known:
    """A Dataset already here; `ref` says how a restart finds it again (None: stored with the
    upload)."""

    labelled = True

    def __init__(self, data: Dataset, ref: dict | None = None):
        self.data, self.ref = data, ref

    @property
    def X(self) -> np.ndarray:
        return self.data.X

    @property
    def name(self) -> str:
        return self.data.name

    def probe(self) -> np.ndarray:
        return self.data.X[self.data.test_idx[:2]]

    def widths(self, task: str | None):
        if task is not None and task != self.data.task:
            raise DataError(f"The data {self.name!r} is for {self.data.task}: its labels are "
                            f"{'values' if self.data.regression else 'classes'}, so the model cannot be a {task}.")
        return output_widths(self.data)

    def finish(self, logits: np.ndarray, task, class_names, feature_names) -> tuple[Dataset, Head]:
        head = infer_head(logits, self.data.task)
        data, _ = with_class_names(self.data, class_names)
        if head.binary and not class_names and data.class_names == ("0", "1"):
            data = dataclasses.replace(data, class_names=("negative", "positive"))
        return (rename_features(data, feature_names) if feature_names else data), head


class CsvData(Known):
    """A CSV with a target column: classification or regression, as the task or the model's
    output width says."""

    def __init__(self, f: DataFile, seed: int, task: str | None):
        self.table = parse_csv(f.content, filename=f.name)
        self.target = f.target or self.table.suggested_target
        if not self.target:
            raise DataError(f"{f.name} has no column that can be a target; name the target column.")
        self.seed, self.file = seed, f
        offered = self.table.target_tasks.get(self.target, ())
        self.tasks = [task] if task else (list(offered) or ["classification"])
        self._by_task: dict[str, Dataset] = {}
        super().__init__(self._dataset(self.tasks[0]))

    def _dataset(self, task: str) -> Dataset:
        if task not in self._by_task:
            self._by_task[task] = to_dataset(self.table, self.target, seed=self.seed, name=self.file.name, task=task)
        return self._by_task[task]

    def widths(self, task):
        return tuple(sorted({w for t in self.tasks for w in output_widths(self._dataset(t))}))

    def finish(self, logits, task, class_names, feature_names):
        width = logits.shape[1]
        fits = [t for t in self.tasks if width in output_widths(self._dataset(t))]
        self.data = self._dataset((fits or self.tasks)[0])
        return super().finish(logits, None, class_names, feature_names)


class ArrayData:
    """Arrays from a .npz; labels optional (the model's answers stand in)."""

    ref = None

    def __init__(self, f: DataFile):
        self.arrays = read_arrays(f)
        self.name = f.name
        self.X = all_rows(self.arrays)
        self.labelled = self.arrays.y is not None

    def probe(self) -> np.ndarray:
        return self.arrays.X[:2]

    def widths(self, task):
        return (1,) if task == "regression" else None

    def finish(self, logits, task, class_names, feature_names) -> tuple[Dataset, Head]:
        a, width = self.arrays, logits.shape[1]
        head = infer_head(logits, infer_task(width, a.y, task))
        want = 1 if head.task == "regression" else (2 if head.binary else width)
        classes = class_names_for(class_names or _text_classes(a.y, want), head, width)
        predicted = answers(head, logits)[0]
        data = dataset_from_arrays(a, classes, head.task, predicted, feature_names)
        return data, head


def data_candidate(f: DataFile, input_shape, seed: int, task: str | None):
    """The candidate of an uploaded data file, its samples' shape checked against the
    model's (`input_shape`, None for a TorchScript file: then the data says it)."""
    cand = CsvData(f, seed, task) if f.kind == "csv" else ArrayData(f)
    shape = tuple(cand.X.shape[1:])
    if input_shape is not None and tuple(input_shape) != shape:
        raise ModelFileError(f"The model takes inputs of shape {'×'.join(map(str, input_shape))}, but the samples "
                             f"in {f.name} have shape {'×'.join(map(str, shape))}"
                             + (" (after one-hot encoding its text columns)" if f.kind == "csv" else "") + ".")
    kind_of(shape)
    check_shown_shape(shape)
    return cand


def _labels(y, rows: int, what: str):
    if y is None:
        return None
    if y.ndim > 1 and y.shape[1:] == (1,) * (y.ndim - 1):
        y = y.reshape(-1)
    if y.ndim != 1 or len(y) != rows:
        raise DataError(f"{what} has shape {y.shape}, but there are {rows:,} samples: give one label per sample.")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        bad = np.flatnonzero(~np.isfinite(y))
        raise DataError(f"{what} holds NaN or infinite values ({len(bad)} of them, the first at sample {bad[0]}).")
    return y


def _text_classes(y, want: int):
    """Text labels as the class names (sorted) when there are as many as the model's classes."""
    if y is None or y.dtype.kind not in "US":
        return None
    names = tuple(sorted({str(v) for v in y}))
    return names if len(names) == want else None

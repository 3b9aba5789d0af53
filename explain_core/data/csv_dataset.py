"""A checked CsvTable to a Dataset (to_dataset): the target and its task (task_for),
the split, and each feature column imputed and encoded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .csv_table import TASKS, CsvTable
from .csv_words import count_of, fmt, list_lines
from .dataset import Dataset


def train_test_split(*args, **kw):
    """scikit-learn's, imported on first use: sklearn.model_selection (with scipy) costs
    about 1.3 s, and every start imports this module (the model list names CSV models)."""
    from sklearn.model_selection import train_test_split as split

    return split(*args, **kw)


def task_for(table: CsvTable, target: str, task: str | None = None) -> str:
    """The task to train for `target`: `task` when given (checked), else the column's default."""
    if task is not None and task not in TASKS:
        raise DataError(f"The task must be 'classification' or 'regression', not {task!r}.")
    if target not in table.frame.columns:
        cols = ", ".join(repr(c) for c in table.frame.columns[:20])
        raise DataError(f"There is no column {target!r} in {table.filename}. Columns: {cols}.")
    offered = table.target_tasks.get(target, ())
    if task is None:
        return offered[0] if offered else "classification"
    if task == "regression" and "regression" not in offered:
        info = table.column(target)
        why = "it is text" if info.kind == "categorical" else table.not_targets.get(target) or \
            f"it has only {info.n_unique} distinct values"
        raise DataError(f"The column {target!r} cannot be a regression target: {why}. A regression needs a numeric "
                        "column with at least 3 distinct values.")
    return task


def to_dataset(table: CsvTable, target: str, seed: int = 0, name: str | None = None,
               task: str | None = None) -> Dataset:
    """Features, labels and a 75/25 split from a checked table (see module doc): stratified
    by class for classification, random for regression (task: default the column's first)."""
    limits, frame, notes = table.limits, table.frame, []
    task = task_for(table, target, task)
    y, class_names, keep = _target(table, target) if task == "classification" else _values(table, target)
    if not keep.all():
        dropped = table.line_numbers[~keep]
        notes.append(f"Dropped {len(dropped)} row{'s' if len(dropped) > 1 else ''} whose target {target!r} "
                     f"is missing (line{'s' if len(dropped) > 1 else ''} {list_lines(dropped)}).")
    if task == "regression":
        tr, te = train_test_split(np.arange(len(y)), test_size=0.25, random_state=seed, shuffle=True)
        train, test, split_note = np.sort(tr), np.sort(te), ""
    else:
        train, test, split_note = _split(y, class_names, seed)
    if split_note:
        notes.append(split_note)
    blocks, names, skipped = [], [], []
    for info in table.columns:
        if info.name == target:
            continue
        col = frame[info.name].to_numpy()[keep]
        if info.kind == "rejected":
            skipped.append(f"{info.name!r} ({info.reason})")
            continue
        block, block_names, note = (_numeric if info.kind == "numeric" else _categorical)(info.name, col, train)
        if block is None:
            skipped.append(f"{info.name!r} ({note})")
            continue
        blocks.append(block)
        names += block_names
        if info.reason:
            notes.append(f"Treated {info.name!r} as categories: {info.reason.split(', so')[0]}.")
        if note:
            notes.append(note)
    if not blocks:
        why = "; ".join(skipped) if skipped else "the target is the only column"
        raise DataError(f"No usable feature columns besides the target {target!r}: {why}.")
    notes += [f"Ignored column {s}." for s in skipped]
    if len(names) > limits.max_features:
        raise DataError(f"One-hot encoding gives {len(names)} feature columns; the limit is {limits.max_features}. "
                        "Remove some text columns with many categories.")
    X = np.concatenate(blocks, axis=1).astype(np.float32)
    _check_finite(X, names)
    title = name or Path(table.filename).name
    what = (f"regression, values {fmt(float(y.min()))} to {fmt(float(y.max()))}" if task == "regression"
            else f"{len(class_names)} classes")
    return Dataset(
        name=title, kind="tabular", X=X, y=y, train_idx=train, test_idx=test,
        class_names=class_names, feature_names=tuple(names),
        description=f"Uploaded CSV {Path(table.filename).name}: {len(y):,} rows, {len(names)} features, "
                    f"target {target!r} ({what})",
        notes=tuple(notes), task=task,
    )


def _values(table: CsvTable, target: str):
    """A regression target: (values float32, (target,), rows that have one)."""
    col = table.frame[target]
    keep = col.notna().to_numpy()
    y = np.asarray(col[keep], dtype=np.float64)
    if not np.isfinite(y).all() or np.abs(y).max() > 3.4e38:
        raise DataError(f"The target column {target!r} has values too large to use (beyond ±3.4e38).")
    return y.astype(np.float32), (target,), keep


def _target(table: CsvTable, target: str):
    col = table.frame[target]
    keep = col.notna().to_numpy()
    if not keep.any():
        raise DataError(f"The target column {target!r} has no values: every row is missing.")
    values = col[keep]
    numeric = pd.api.types.is_float_dtype(col)
    uniq = sorted(pd.unique(values.astype(float) if numeric else values.astype(str)))
    if len(uniq) < 2:
        raise DataError(f"The target column {target!r} has only one value ({fmt(uniq[0])!r}): "
                        "a classifier needs at least two classes.")
    if len(uniq) > table.limits.max_classes:
        hint = " Choose regression to predict its value." if numeric else ""
        raise DataError(f"The target column {target!r} has {len(uniq):,} distinct values; a classification target "
                        f"may have at most {table.limits.max_classes} classes.{hint}")
    lookup = {v: i for i, v in enumerate(uniq)}
    y = np.array([lookup[v] for v in (values.astype(float) if numeric else values.astype(str))], np.int64)
    return y, tuple(fmt(v) for v in uniq), keep


def _split(y: np.ndarray, class_names, seed: int):
    idx = np.arange(len(y))
    try:
        tr, te = train_test_split(idx, test_size=0.25, random_state=seed, stratify=y)
        return np.sort(tr), np.sort(te), ""
    except ValueError:
        pass
    counts = np.bincount(y, minlength=len(class_names))
    small = [class_names[i] for i in np.flatnonzero(counts < 2)]
    if small:
        why = (f"class{'es' if len(small) > 1 else ''} {', '.join(repr(s) for s in small)} "
               f"{'have' if len(small) > 1 else 'has'} a single row")
    else:
        why = f"the held-out quarter ({int(np.ceil(len(y) * 0.25))} rows) is smaller than the number of classes"
    tr, te = train_test_split(idx, test_size=0.25, random_state=seed, shuffle=True)
    return np.sort(tr), np.sort(te), f"The 75/25 split is random, not stratified by class: {why}."


def _numeric(name: str, col: np.ndarray, train: np.ndarray):
    col = col.astype(float)
    miss = np.isnan(col)
    if miss.all():
        return None, [], "no values in the rows that have a target"
    if len(pd.unique(col[~miss])) < 2:
        return None, [], "it has the same value in every row"
    note = ""
    if miss.any():
        ref = col[train][~np.isnan(col[train])]
        fill = float(np.median(ref if len(ref) else col[~miss]))
        col = np.where(miss, fill, col)
        note = (f"Filled {count_of(int(miss.sum()), 'missing value')} in {name!r} with the median {fmt(fill)} "
                "(of the training rows).")
    return col[:, None], [name], note


def _categorical(name: str, col: np.ndarray, train: np.ndarray):
    s = pd.Series(col, dtype=object)
    miss = s.isna().to_numpy()
    if miss.all():
        return None, [], "no values in the rows that have a target"
    note = ""
    if miss.any():
        ref = s.iloc[train].dropna()
        ref = ref if len(ref) else s.dropna()
        counts = ref.value_counts()
        fill = sorted(counts.index[counts == counts.max()])[0]
        s = s.where(~miss, fill)
        note = (f"Filled {count_of(int(miss.sum()), 'missing value')} in {name!r} with the most frequent value "
                f"{fill!r} (in the training rows).")
    cats = sorted(pd.unique(s))
    if len(cats) < 2:
        return None, [], "it has the same value in every row"
    block = (s.to_numpy()[:, None] == np.array(cats, dtype=object)[None, :]).astype(np.float32)
    return block, [f"{name}={c}" for c in cats], note


def _check_finite(X: np.ndarray, names: list[str]) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        raise DataError(f"Column {names[j]!r} has values too large to use (beyond ±3.4e38).")

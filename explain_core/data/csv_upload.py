"""A user's CSV: parse and check it (parse_csv), then turn it into a Dataset (to_dataset).

Every problem is a DataError whose message names the line, column or value at fault.
Decisions a user may ask about:

- Encoding: UTF-8 only (a byte-order mark is fine). Other encodings are refused with
  the line of the first bad byte instead of being guessed: a wrong guess would quietly
  turn category names into mojibake.
- Separator: ',' unless the header line has more ';' or tab characters.
- Missing values: empty cells and NA, N/A, NaN, null, None, ? (any case).
- Line numbers are the file's own (the header is line 1), as a text editor shows them.
- Columns are typed one by one: numeric; categorical (text, or numbers mixed with text,
  with at most max_categories distinct values; one-hot encoded); or rejected (all
  missing, free text, a row-number column, numbers with a few stray words). Rejected
  and constant columns are left out of the features with a note saying why; a table
  left with no feature at all is an error.
- Imputation (numeric median, categorical most frequent value) uses the training rows
  only, so the held-out rows tell the truth; every fill is reported in Dataset.notes.
- Targets (target_tasks): text with 2..max_classes values is a classification target;
  numbers with 2 values too; numbers with 3..max_classes values either (classification
  by default, the user may choose regression); numbers with more values a regression
  target. Every other column says why it is not offered (not_targets).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ..errors import DataError
from .dataset import Dataset

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "<na>"})
PREVIEW_ROWS = 10
TARGET_NAMES = ("target", "label", "class", "y", "outcome", "diagnosis")
TASKS = ("classification", "regression")


def upload_limit_bytes(env=None) -> int:
    """GLIMPSE_MAX_UPLOAD_MB (default 20), the page's upload limit, as the CSV's size limit."""
    import math
    import os

    raw = (os.environ if env is None else env).get("GLIMPSE_MAX_UPLOAD_MB", "20")
    try:
        mb = float(raw)
    except ValueError:
        mb = math.nan
    return int(mb * 2**20) if math.isfinite(mb) and mb > 0 else 20 * 2**20


@dataclass(frozen=True)
class CsvLimits:
    max_bytes: int = field(default_factory=lambda: upload_limit_bytes())
    max_rows: int = 100_000
    max_cols: int = 500
    max_categories: int = 20
    max_classes: int = 20
    max_features: int = 2000   # after one-hot encoding


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    kind: str            # 'numeric', 'categorical' or 'rejected'
    n_missing: int
    n_unique: int        # distinct non-missing values
    reason: str = ""     # why rejected, or a remark (e.g. numbers mixed with text)


@dataclass(frozen=True, eq=False)
class CsvTable:
    """A parsed, checked CSV. `frame` holds numeric columns as float64 (NaN = missing) and
    the others as stripped strings (None = missing); `line_numbers[i]` is row i's file line."""

    filename: str
    frame: pd.DataFrame
    columns: tuple[ColumnInfo, ...]
    line_numbers: np.ndarray
    preview: tuple[dict, ...]           # first rows as the file spells them (None = missing)
    candidate_targets: tuple[str, ...]  # columns offered as the target (target_tasks says for what)
    limits: CsvLimits = field(default_factory=CsvLimits)
    notes: tuple[str, ...] = ()
    target_tasks: dict = field(default_factory=dict)   # offered column -> its tasks, the default first
    not_targets: dict = field(default_factory=dict)    # other column -> why it is not offered

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def n_cols(self) -> int:
        return len(self.columns)

    @property
    def column_types(self) -> dict[str, str]:
        return {c.name: c.kind for c in self.columns}

    @property
    def missing(self) -> dict[str, int]:
        return {c.name: c.n_missing for c in self.columns}

    @property
    def rejected(self) -> dict[str, str]:
        return {c.name: c.reason for c in self.columns if c.kind == "rejected"}

    @property
    def suggested_target(self) -> str | None:
        """A candidate named like a target, else the last candidate (targets usually come last)."""
        for c in self.candidate_targets:
            if c.strip().lower() in TARGET_NAMES:
                return c
        return self.candidate_targets[-1] if self.candidate_targets else None

    def column(self, name: str) -> ColumnInfo:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# --------------------------------------------------------------------------- parsing
def parse_csv(content: bytes, filename: str = "upload.csv", limits: CsvLimits = CsvLimits()) -> CsvTable:
    text = _decode(content, filename, limits).lstrip()
    sep = _separator(text.split("\n", 1)[0])
    header, lines, keep, preview_rows = _check_structure(text, sep, filename, limits)
    raw = _read_frame(text, sep, header, keep)
    notes = [f"Columns are separated by {'tabs' if sep == chr(9) else repr(sep)}."] if sep != "," else []
    empty = ~keep | raw.isna().all(axis=1).to_numpy()   # blank lines, or every cell missing
    if empty.all():
        raise DataError(f"{filename} has a header line but no data rows.")
    if empty.any():
        notes.append(f"Skipped {_count(int(empty.sum()), 'empty row')} (line{'s' if empty.sum() > 1 else ''} "
                     f"{_list_lines(lines[empty])}).")
        raw, lines = raw[~empty].reset_index(drop=True), lines[~empty]
    frame, infos = {}, []
    for name in header:
        values, info = _type_column(name, raw[name], lines, limits)
        frame[name] = values
        infos.append(info)
    preview = tuple({h: _none_if_missing(v) for h, v in zip(header, r)} for r in preview_rows)
    tasks, why_not = {}, {}
    for info in infos:
        offered = target_tasks(info, limits)
        if isinstance(offered, str):
            why_not[info.name] = offered
        else:
            tasks[info.name] = offered
    return CsvTable(filename, pd.DataFrame(frame), tuple(infos), lines, preview, tuple(tasks), limits, tuple(notes),
                    tasks, why_not)


def target_tasks(info: ColumnInfo, limits: CsvLimits) -> tuple[str, ...] | str:
    """What a column can be the target of (the default first), or why it cannot be one."""
    if info.kind == "rejected":
        return info.reason
    if info.n_unique < 2:
        return "it has a single value: nothing to predict"
    if info.kind == "numeric":
        if info.n_unique == 2:
            return ("classification",)
        return ("classification", "regression") if info.n_unique <= limits.max_classes else ("regression",)
    if info.n_unique > limits.max_classes:
        return f"text with {info.n_unique} distinct values: more classes than the limit ({limits.max_classes})"
    return ("classification",)


def _decode(content: bytes, filename: str, limits: CsvLimits) -> str:
    if not content or not content.strip():
        raise DataError(f"{filename} is empty.")
    if len(content) > limits.max_bytes:
        raise DataError(f"{filename} is {_size(len(content))}; the limit is {_size(limits.max_bytes)}.")
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DataError(f"{filename} is UTF-16 text. Save it as UTF-8 CSV (in Excel: 'CSV UTF-8') and upload again.")
    if content[:4] == b"PK\x03\x04" or content[:4] == b"\xd0\xcf\x11\xe0":
        raise DataError(f"{filename} is an Excel workbook or a zip archive, not a CSV file. "
                        "Export the sheet as CSV UTF-8 and upload that.")
    if b"\x00" in content:
        raise DataError(f"{filename} is a binary file (it contains NUL bytes), not CSV text.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = content[:e.start].count(b"\n") + 1
        raise DataError(f"{filename} is not UTF-8 text (byte 0x{content[e.start]:02x} on line {line}). "
                        "Glimpse reads UTF-8 only: save the file as 'CSV UTF-8' and upload again.") from None


def _separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: (counts[s], s == ","))
    return best if counts[best] else ","


def _check_structure(text: str, sep: str, filename: str, limits: CsvLimits):
    """One pass with the csv module: header checks, field counts, row limit, line numbers.

    Returns the header, each record's last line number, which records may hold data (an
    empty or whitespace-only line does not) and the first rows for a preview.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    header: list[str] | None = None
    lines, keep, preview, n_data = [], [], [], 0
    try:
        for fields in reader:
            if header is None:
                header = _check_header(fields, filename, limits)
                continue
            blank = not fields or (len(fields) == 1 and not fields[0].strip())
            if not blank and len(fields) != len(header):
                raise DataError(
                    f"Line {reader.line_num} of {filename} has {len(fields)} fields, but the header has "
                    f"{len(header)} columns. Check that line for a missing or extra '{sep}' "
                    "(a value containing the separator must be in double quotes).")
            lines.append(reader.line_num)
            keep.append(not blank)
            n_data += not blank
            if not blank and len(preview) < PREVIEW_ROWS and any(map(_none_if_missing, fields)):
                preview.append(fields)
            if n_data > limits.max_rows:
                raise DataError(f"{filename} has more than {limits.max_rows:,} data rows; "
                                f"the limit is {limits.max_rows:,}. Upload a sample of the rows.")
    except csv.Error as e:
        raise DataError(f"Line {reader.line_num} of {filename} cannot be read as CSV ({e}). "
                        "Check its double quotes.") from None
    if header is None:
        raise DataError(f"{filename} is empty.")
    keep = np.asarray(keep, bool)
    if not keep.any():
        raise DataError(f"{filename} has a header line but no data rows.")
    return header, np.asarray(lines), keep, preview


def _read_frame(text: str, sep: str, header: list[str], keep: np.ndarray) -> pd.DataFrame:
    """pandas' C parser for speed (clean numeric columns arrive as floats). Blank lines are
    kept as rows, so records line up one to one with the csv pass and its line numbers.
    Where the two parsers disagree on an odd file, the csv module's reading wins."""
    na = sorted({v for t in MISSING_TOKENS for v in (t, t.upper(), t.capitalize())})
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sep, header=0, dtype=None, na_values=na,
                          keep_default_na=False, skip_blank_lines=False, low_memory=False)
    except (pd.errors.ParserError, ValueError):
        raw = None
    if raw is None or raw.shape != (len(keep), len(header)):
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))[1:]
        raw = pd.DataFrame([r if len(r) == len(header) else [""] * len(header) for r in rows], dtype=object)
        raw = raw.mask(raw.isin(na))
    raw.columns = header
    return raw


def _check_header(fields: list[str], filename: str, limits: CsvLimits) -> list[str]:
    names = [f.strip() for f in fields]
    if len(names) > limits.max_cols:
        raise DataError(f"{filename} has {len(names)} columns; the limit is {limits.max_cols}.")
    if len(names) < 2:
        raise DataError(f"{filename} has only one column ({names[0]!r}): a table needs a target column "
                        "and at least one feature column, separated by commas.")
    if all(_is_number(n) for n in names if n) and any(names):
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        raise DataError(f"The first line of {filename} ({shown}) looks like data, not column names. "
                        "Add a header line naming each column.")
    names = [n or f"column {j + 1}" for j, n in enumerate(names)]
    seen: dict[str, list[int]] = {}
    for j, n in enumerate(names, start=1):
        seen.setdefault(n, []).append(j)
    dups = {n: js for n, js in seen.items() if len(js) > 1}
    if dups:
        desc = "; ".join(f"{n!r} (columns {', '.join(map(str, js))})" for n, js in dups.items())
        raise DataError(f"Column names in {filename} must be unique; repeated: {desc}.")
    return names


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _none_if_missing(v: str):
    s = v.strip()
    return None if s.lower() in MISSING_TOKENS else s


def _type_column(name: str, col: pd.Series, lines: np.ndarray, limits: CsvLimits):
    """(values, ColumnInfo): values are float64 (NaN = missing) for numeric-looking columns,
    else stripped strings with None for missing."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        values = col.to_numpy(dtype=float, na_value=np.nan)
        return values, _numeric_info(name, values, lines, limits)
    s = col.astype(object)
    present = np.array(s.notna(), dtype=bool)
    s = s.where(~present, s[present].map(lambda v: str(v).strip()))
    present &= ~np.array(s.map(lambda v: isinstance(v, str) and v.lower() in MISSING_TOKENS), dtype=bool)
    s = pd.Series(np.where(present, s, None), dtype=object)
    n_missing = int((~present).sum())
    if not present.any():
        return s, ColumnInfo(name, "rejected", n_missing, 0, "every value is missing")
    num = pd.to_numeric(s[present], errors="coerce").astype(float).to_numpy()
    bad = ~np.isfinite(num)
    if not bad.any():
        values = np.full(len(s), np.nan)
        values[present] = num
        return values, _numeric_info(name, values, lines, limits)
    texts = s[present]
    n_unique = int(texts.nunique())
    first = int(np.flatnonzero(bad)[0])
    example = f"{texts.iloc[first]!r} on line {lines[texts.index[first]]}"
    if not bad.all():
        others = int(bad.sum()) - 1
        more = f" and {others} other non-number{'s' if others > 1 else ''}" if others else ""
        if n_unique <= limits.max_categories:
            return s, ColumnInfo(name, "categorical", n_missing, n_unique,
                                 f"numbers mixed with text ({example}{more}), so treated as categories")
        return s, ColumnInfo(name, "rejected", n_missing, n_unique,
                             f"numbers except for {example}{more}: fix or blank those cells")
    if n_unique <= limits.max_categories:
        return s, ColumnInfo(name, "categorical", n_missing, n_unique)
    what = "every value is different (an identifier?)" if n_unique == len(texts) else \
        f"free text with {n_unique} distinct values (categories allow at most {limits.max_categories})"
    return s, ColumnInfo(name, "rejected", n_missing, n_unique, what)


def _numeric_info(name: str, values: np.ndarray, lines: np.ndarray, limits: CsvLimits) -> ColumnInfo:
    miss = np.isnan(values)
    n_missing, n_unique = int(miss.sum()), int(pd.unique(values[~miss]).size)
    if miss.all():
        return ColumnInfo(name, "rejected", n_missing, 0, "every value is missing")
    inf = np.isinf(values)
    if inf.any():
        return ColumnInfo(name, "rejected", n_missing, n_unique,
                          f"an infinite or out-of-range number on line {lines[np.flatnonzero(inf)[0]]}")
    if _is_row_number(values, limits):
        return ColumnInfo(name, "rejected", n_missing, n_unique,
                          "it counts the rows (0, 1, 2, … or 1, 2, 3, …): an index, not a feature")
    return ColumnInfo(name, "numeric", n_missing, n_unique)


def _is_row_number(values: np.ndarray, limits: CsvLimits) -> bool:
    n = len(values)
    if n <= limits.max_categories or np.isnan(values).any():
        return False
    return bool(np.array_equal(values, np.arange(n)) or np.array_equal(values, np.arange(1, n + 1)))


# ----------------------------------------------------------------------- to a Dataset
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
                     f"is missing (line{'s' if len(dropped) > 1 else ''} {_list_lines(dropped)}).")
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
    what = (f"regression, values {_fmt(float(y.min()))} to {_fmt(float(y.max()))}" if task == "regression"
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
        raise DataError(f"The target column {target!r} has only one value ({_fmt(uniq[0])!r}): "
                        "a classifier needs at least two classes.")
    if len(uniq) > table.limits.max_classes:
        hint = " Choose regression to predict its value." if numeric else ""
        raise DataError(f"The target column {target!r} has {len(uniq):,} distinct values; a classification target "
                        f"may have at most {table.limits.max_classes} classes.{hint}")
    lookup = {v: i for i, v in enumerate(uniq)}
    y = np.array([lookup[v] for v in (values.astype(float) if numeric else values.astype(str))], np.int64)
    return y, tuple(_fmt(v) for v in uniq), keep


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
        note = (f"Filled {_count(int(miss.sum()), 'missing value')} in {name!r} with the median {_fmt(fill)} "
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
        note = (f"Filled {_count(int(miss.sum()), 'missing value')} in {name!r} with the most frequent value "
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


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{float(v):.6g}"
    return str(v)


def _size(n: int) -> str:
    return f"{n / 2**20:.3g} MB" if n >= 2**20 else f"{n:,} bytes"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _list_lines(lines: np.ndarray, most: int = 5) -> str:
    shown = ", ".join(str(int(x)) for x in lines[:most])
    return shown + (f" and {len(lines) - most} more" if len(lines) > most else "")

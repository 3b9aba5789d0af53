"""Typing one CSV column: numeric, categorical or rejected (with the reason), and what
it can be the target of (target_tasks)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .csv_table import MISSING_TOKENS, ColumnInfo, CsvLimits


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


def type_column(name: str, col: pd.Series, lines: np.ndarray, limits: CsvLimits):
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

"""What a checked CSV is: its limits (CsvLimits), each column's type (ColumnInfo) and
the table (CsvTable), with the missing-value tokens and target names they use."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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

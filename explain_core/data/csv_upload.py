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

The work is split by job: csv_table (the types and limits), csv_parse (bytes to a
checked table), csv_columns (typing a column, target_tasks), csv_dataset (table to a
Dataset) and csv_words (how messages word things); this module is their public face.
"""
from __future__ import annotations

from .csv_columns import target_tasks
from .csv_dataset import task_for, to_dataset
from .csv_parse import parse_csv
from .csv_table import MISSING_TOKENS, PREVIEW_ROWS, TARGET_NAMES, TASKS, ColumnInfo, CsvLimits, CsvTable, \
    upload_limit_bytes

__all__ = ["MISSING_TOKENS", "PREVIEW_ROWS", "TARGET_NAMES", "TASKS", "ColumnInfo", "CsvLimits", "CsvTable",
           "parse_csv", "target_tasks", "task_for", "to_dataset", "upload_limit_bytes"]

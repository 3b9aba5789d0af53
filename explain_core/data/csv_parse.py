"""Reading a CSV's bytes into a checked CsvTable (parse_csv): encoding, separator,
structure, header, then each column typed (csv_columns)."""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from ..errors import DataError
from .csv_columns import target_tasks, type_column
from .csv_table import MISSING_TOKENS, PREVIEW_ROWS, CsvLimits, CsvTable
from .csv_words import count_of, list_lines, size_text


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
        notes.append(f"Skipped {count_of(int(empty.sum()), 'empty row')} (line{'s' if empty.sum() > 1 else ''} "
                     f"{list_lines(lines[empty])}).")
        raw, lines = raw[~empty].reset_index(drop=True), lines[~empty]
    frame, infos = {}, []
    for name in header:
        values, info = type_column(name, raw[name], lines, limits)
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


def _decode(content: bytes, filename: str, limits: CsvLimits) -> str:
    if not content or not content.strip():
        raise DataError(f"{filename} is empty.")
    if len(content) > limits.max_bytes:
        raise DataError(f"{filename} is {size_text(len(content))}; the limit is {size_text(limits.max_bytes)}.")
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

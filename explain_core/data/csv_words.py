"""How the CSV checks word numbers, sizes, counts and line lists in their messages."""
from __future__ import annotations

import numpy as np


def fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{float(v):.6g}"
    return str(v)


def size_text(n: int) -> str:
    return f"{n / 2**20:.3g} MB" if n >= 2**20 else f"{n:,} bytes"


def count_of(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def list_lines(lines: np.ndarray, most: int = 5) -> str:
    shown = ", ".join(str(int(x)) for x in lines[:most])
    return shown + (f" and {len(lines) - most} more" if len(lines) > most else "")

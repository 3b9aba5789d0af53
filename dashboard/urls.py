"""Deep links: ?model=mnist-cnn&sample=42&tab=gradients&method=integrated_gradients.

parse_search never raises: a link someone typed by hand is read as far as it makes
sense; what it names is checked against the service when it is applied.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from . import ids


@dataclass(frozen=True)
class Link:
    model: str | None = None
    sample: int | None = None
    tab: str | None = None
    method: str | None = None
    compare: str | None = None


def parse_search(search: str | None, method_names=()) -> Link:
    """Read a location.search string; unknown tabs/methods and non-numeric samples become None."""
    text = search if isinstance(search, str) else ""
    q = parse_qs(text.lstrip("?"), keep_blank_values=False)

    def first(key):
        values = q.get(key)
        return values[0].strip() if values else None

    sample = first("sample")
    try:
        sample = int(sample) if sample is not None else None
    except ValueError:
        sample = None
    if sample is not None and sample < 0:
        sample = None
    tab = first("tab")
    methods = set(method_names)
    method, compare = first("method"), first("compare")
    return Link(
        model=first("model") or None,
        sample=sample,
        tab=tab if tab in ids.TAB_NAMES else None,
        method=method if method in methods else None,
        compare=compare if compare in methods else None,
    )


def format_search(model: str, sample: int, tab: str | None = None, method: str | None = None,
                  compare: str | None = None) -> str:
    """The search string for a view; the methods only when the gradients tab shows them."""
    q: dict = {"model": model, "sample": int(sample)}
    if tab:
        q["tab"] = tab
    if tab == ids.TAB_GRADIENTS:
        if method:
            q["method"] = method
        if compare and compare != ids.NO_METHOD:
            q["compare"] = compare
    return "?" + urlencode(q)

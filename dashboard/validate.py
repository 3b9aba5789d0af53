"""Checks for what a callback receives, at its boundary.

The page sends well-formed values, but anyone can POST any JSON to
/_dash-update-component. Each callback checks its inputs here first; a bad one becomes a
GlimpseError naming the input (shown in the page by dashboard/errors.py, or as the tab's
own alert), never a crash and never a computation with a default put in its place.
Numbers follow the engine's rules (explain_core.methods.base.as_whole): booleans, text,
NaN and ±inf are not numbers.
"""
from __future__ import annotations

from explain_core.errors import ParameterError, TargetError, UnknownIdError
from explain_core.methods.base import as_whole, shown

from . import ids

MAX_ID = 200          # longest model id, layer or method name taken
MAX_TEXT = 4000       # longest free text (a link's query string)


def model_id(value, what: str = "model") -> str:
    """A model id's form (a short, non-empty name); whether it exists the service says
    (UnknownIdError), or `selection` and the callbacks check through it."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        raise UnknownIdError(f"Unknown {what} {shown(value)}: a model id is a name such as 'mnist-cnn'")
    return value


def optional_model_id(value, what: str = "model") -> str | None:
    return None if value in (None, "") else model_id(value, what)


def sample_id(value, n_samples: int | None = None) -> int:
    i = as_whole(value)
    if i is None or i < 0 or (n_samples is not None and i >= n_samples):
        limit = f" 0..{n_samples - 1}" if n_samples is not None else ""
        raise UnknownIdError(f"Unknown sample {shown(value)}: sample ids are row numbers{limit}")
    return i


def whole(value, what: str, lo: int = 0, hi: int | None = None, default=None):
    """A whole number in lo..hi, `default` for None."""
    if value is None:
        return default
    v = as_whole(value)
    if v is None or v < lo or (hi is not None and v > hi):
        span = f" from {lo} to {hi}" if hi is not None else f" of at least {lo}"
        raise ParameterError(f"{what} must be a whole number{span}, got {shown(value)}")
    return v


def clicks(value, what: str = "n_clicks"):
    return whole(value, what)


def text(value, what: str, max_len: int = MAX_TEXT, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise ParameterError(f"{what} must be text (at most {max_len:,} characters), got {shown(value)}")
    return value


def name(value, what: str) -> str | None:
    """An optional short name: a layer, a method."""
    return text(value, what, MAX_ID)


def choice(value, allowed, what: str, optional: bool = True):
    """One of `allowed` (None too when optional)."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(f"{what} must be one of {', '.join(map(str, allowed))}; got {shown(value)}")
    return value


def names(value, what: str, allowed=None) -> list[str]:
    """A list of names (a checklist's value); None is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= MAX_ID for v in value):
        raise ParameterError(f"{what} must be a list of names, got {shown(value)}")
    bad = [v for v in value if allowed is not None and v not in allowed]
    if bad:
        raise ParameterError(f"{what}: unknown value(s) {', '.join(map(repr, bad[:5]))}")
    return value


def class_filter(value, what: str, n_classes: int | None = None):
    """A class-filter dropdown: None (all) or a class index (below n_classes when given)."""
    return None if value in (None, "", "all") else whole(value, what, 0, None if n_classes is None else n_classes - 1)


MAX_PAGE = 10**9      # no data set has more pages; a bigger number is not a page


def page(value, what: str = "The browser page", first: int = 0, default=None):
    """A page number from the page (counted from `first`: 0 for the browser's store and the
    table's page_current, 1 for the page a user types), as a 0-based page; past the last
    page is fine (the browser shows its last page)."""
    p = whole(value, what, first, MAX_PAGE, default=default)
    return p if p is None else p - first


def flags(value) -> list[str]:
    return names(value, "The sample filter flags", (ids.MISCLASSIFIED, ids.HELD_OUT))


def sort_by(value) -> list[dict]:
    """A DataTable's sort_by: [] or [{"column_id": name, "direction": "asc" | "desc"}] (the
    table sorts by one column at a time; whether the column exists the browser checks)."""
    if value is None:
        return []
    ok = isinstance(value, list) and len(value) <= 1 and all(
        isinstance(s, dict) and isinstance(s.get("column_id"), str) and len(s["column_id"]) <= MAX_ID
        and s.get("direction", "asc") in ("asc", "desc") for s in value)
    if not ok:
        raise ParameterError("The table's sort order must be [] or [{column_id, direction}] (one column), "
                             f"got {shown(value)}")
    return value


def target(value):
    """The target picker: the predicted class (ids.PREDICTED, None) or a class index; the
    service checks the index against the model's classes."""
    if value in (None, "", ids.PREDICTED):
        return value
    t = as_whole(value)
    if t is None or t < 0:
        raise TargetError(f"The target class must be '{ids.PREDICTED}' or a class number, got {shown(value)}")
    return t


def selection(service, value, keys=("model", "sample"), what: str = "selection") -> dict:
    """A selection or a tab's view ({"model", "sample", "target"} as far as `keys` go):
    the model exists, the sample is one of its rows, the target is a class number."""
    if not isinstance(value, dict):
        raise ParameterError(f"The {what} must be an object with {', '.join(keys)}; got {shown(value)}")
    out = dict(value)
    info = service.model_info(model_id(value.get("model")))
    if "sample" in keys:
        out["sample"] = sample_id(value.get("sample"), info.n_samples)
    if "target" in keys:
        out["target"] = target(value.get("target"))
        if isinstance(out["target"], int) and out["target"] >= len(info.class_names):
            raise TargetError(f"Target class {out['target']} is out of range: {info.model_id} has "
                              f"{len(info.class_names)} classes (0..{len(info.class_names) - 1})")
    return out


def param_controls(control_ids, values, what: str) -> tuple[list, list]:
    """A method's parameter controls (pattern-matched ids and their values) as two lists of
    the same length; the engine checks each value against its parameter."""
    control_ids, values = control_ids or [], values or []
    ok = (isinstance(control_ids, list) and isinstance(values, list) and len(control_ids) == len(values)
          and all(isinstance(c, dict) for c in control_ids))
    if not ok:
        raise ParameterError(f"The {what} parameter controls do not match their values")
    return control_ids, values


TASKS = ("classification", "regression")


def task_map(value) -> dict:
    """An uploaded CSV's target tasks as the page sends them back: {column: [task, ...]}."""
    if value is None:
        return {}
    ok = isinstance(value, dict) and len(value) <= 10_000 and all(
        isinstance(k, str) and len(k) <= MAX_TEXT and isinstance(v, list) and all(t in TASKS for t in v)
        for k, v in value.items())
    if not ok:
        raise ParameterError(f"The CSV's target tasks must map column names to lists of tasks, got {shown(value)}")
    return value

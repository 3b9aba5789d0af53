"""The model-level analyses by name: what each computes, for which kinds of model."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ParameterError, UnknownIdError


@dataclass(frozen=True)
class ModelAnalysis:
    name: str
    fn: Callable[..., Any]                     # fn(ctx, **params) -> a frozen result
    title: str
    kinds: tuple[str, ...] = ("image", "tabular")
    tasks: tuple[str, ...] = ("classification", "regression")
    params: Callable[[dict, Any], dict] | None = None   # normalise(params, ctx) -> params; None: no params
    notes: dict = field(default_factory=dict)


ANALYSES: dict[str, ModelAnalysis] = {}


def register(name: str, fn: Callable[..., Any], title: str, kinds=("image", "tabular"),
             tasks=("classification", "regression"), params: Callable[[dict, Any], dict] | None = None) -> None:
    """Add a model-level analysis. `params(raw, ctx)` checks and normalises its parameters
    (raising ParameterError with a message for the page); without it the analysis takes none."""
    ANALYSES[name] = ModelAnalysis(name, fn, title, tuple(kinds), tuple(tasks), params)


def analysis(name) -> ModelAnalysis:
    if not isinstance(name, str) or name not in ANALYSES:
        known = ", ".join(sorted(ANALYSES)) or "none"
        raise UnknownIdError(f"Unknown model view {name!r}; known: {known}")
    return ANALYSES[name]


def applies(a: ModelAnalysis, kind: str, task: str) -> bool:
    return kind in a.kinds and task in a.tasks


def normalised(a: ModelAnalysis, params: dict, ctx) -> dict:
    if a.params is not None:
        return a.params(dict(params), ctx)
    if params:
        raise ParameterError(f"The model view {a.title!r} takes no settings (got {', '.join(sorted(params))})")
    return {}

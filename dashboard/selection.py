"""Which model and sample the page shows: from the deep link on load, then from clicks.

The selection lives in one dcc.Store ({"model": id, "sample": int}) written by one
callback, so the header, browser, sample panel and tabs all follow the same value.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import ids, validate
from .components import alert
from .samples import Filters, first_held_out, ordered_ids, step
from .urls import parse_search

DEFAULT_MODEL = "mnist-cnn"


@dataclass(frozen=True)
class Selection:
    """What a trigger changes. None means 'leave as it is'."""

    state: dict | None = None
    tab: str | None = None
    method: str | None = None
    compare: str | None = None
    message: object = None


def default_model(service) -> str:
    ids_ = service.model_ids()
    return DEFAULT_MODEL if DEFAULT_MODEL in ids_ else ids_[0]


def start_of(service, model_id: str) -> dict:
    """A model's opening view: its first held-out sample."""
    return {"model": model_id, "sample": first_held_out(service, model_id)}


def from_link(service, search: str | None) -> Selection:
    """The view a deep link asks for; what it names wrongly is replaced by the default
    and said in a message (a shared link may name an upload this server does not have)."""
    link = parse_search(search, service.methods())
    problems = []
    model = link.model
    if model is not None and model not in service.model_ids():
        problems.append(f"The link names a model {model!r} that this server does not have.")
        model = None
    model = model or default_model(service)
    state = start_of(service, model)
    if link.sample is not None and not problems:   # a sample number means nothing on another model
        n = service.model_info(model).n_samples
        if link.sample < n:
            state = {"model": model, "sample": link.sample}
        else:
            problems.append(f"The link names sample {link.sample}, but {model} has samples 0..{n - 1}.")
    message = alert(" ".join(problems) + f" Showing {service.model_info(model).title}'s first held-out sample "
                    f"(#{state['sample']}) instead.", "warning") if problems else None
    return Selection(state, link.tab, link.method, link.compare, message)


def after_click(service, trigger, value, state: dict, filters: Filters, sort_by=None) -> dict | None:
    """The new selection after a user action on the server's side (model picker, prev/next,
    an upload), or None when nothing changes. Thumbnail and table clicks need no server:
    assets/clientside.js `pick` handles them.

    trigger: the id of the component that fired;
    value:   what it carries (model id, n_clicks, new model id).
    """
    model, sample = state["model"], state["sample"]
    if trigger == ids.MODEL_SELECT or trigger in (ids.CSV_ADDED, ids.TS_ADDED):
        value = validate.optional_model_id(value)
        if not value or value == model:
            return None
        return start_of(service, value)
    if trigger not in (ids.SAMPLE_PREV, ids.SAMPLE_NEXT) or not validate.clicks(value, "prev/next clicks"):
        return None
    listed = ordered_ids(service, model, filters, sort_by)
    new = step(listed, sample, -1 if trigger == ids.SAMPLE_PREV else 1)
    return None if new is None or new == sample else {"model": model, "sample": new}

"""Which columns of an uploaded CSV can be the target, for what, and why the others cannot
(explain_core.data.csv_upload.target_tasks decides; this says it in the upload panel)."""
from __future__ import annotations

from dash import html

from . import validate
from .components import alert

TASKS = validate.TASKS
TASK_LABELS = {"classification": "classification (predict the class)",
               "regression": "regression (predict the number)"}


def target_options(table) -> list[dict]:
    """Dropdown options: each offered column with what it can be the target of."""
    return [{"label": f"{name} ({' or '.join(tasks)})", "value": name} for name, tasks in table.target_tasks.items()]


def tasks_data(table) -> dict:
    """{column: [tasks, the default first]} for the task picker (kept in a dcc.Store)."""
    return {name: list(tasks) for name, tasks in table.target_tasks.items()}


def not_offered(table):
    """The columns that are not offered as the target, each with its reason; an alert when
    none is."""
    if not table.target_tasks:
        return alert("No column can be the target. " + "; ".join(f"{n!r}: {why}" for n, why in
                                                                 table.not_targets.items()) + ".")
    if not table.not_targets:
        return None
    return html.Details(className="types-box", children=[
        html.Summary(f"{len(table.not_targets)} column{'s' if len(table.not_targets) > 1 else ''} not offered as "
                     "the target"),
        html.Ul([html.Li([html.B(name), f": {why}"]) for name, why in table.not_targets.items()], className="notes"),
    ])


def task_choice(target, tasks) -> tuple[list[dict], str | None, str]:
    """(task options, the chosen task, a hint) for the chosen target column. Both tasks are
    offered where both make sense (a numeric column with a few distinct values)."""
    target = validate.text(target, "The target column")
    tasks = validate.task_map(tasks)
    allowed = tasks.get(target, []) if target else []
    options = [{"label": TASK_LABELS[t], "value": t, "disabled": t not in allowed} for t in TASKS]
    if not allowed:
        return options, None, ""
    if allowed == ["regression"]:
        hint = "A number with many distinct values: Glimpse trains a regression MLP."
    elif len(allowed) == 2:
        hint = "A number with few distinct values: train a classifier (each value a class) or a regression."
    else:
        hint = "Classes: Glimpse trains a classifier."
    return options, allowed[0], hint


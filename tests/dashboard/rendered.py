"""Helpers for tests of rendered Dash components: walk a component tree, pick out its
figures, alerts, texts and ids, and build an upload's value. Plain functions, no browser."""
from __future__ import annotations

import base64

import plotly.graph_objects as go
from dash import dcc, html

from dashboard.tabs import gradients


def walk(component):
    yield component
    children = getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for c in children:
            yield from walk(c)
    elif isinstance(children, str):
        yield children
    elif children is not None and not isinstance(children, (int, float)):
        yield from walk(children)


def figures(children) -> list[go.Figure]:
    roots = children if isinstance(children, (list, tuple)) else [children]
    return [c.figure for r in roots for c in walk(r) if isinstance(c, dcc.Graph)]


def alerts(children, kinds=("alert",)) -> list[str]:
    """The texts of the alerts in a rendered tab; kinds=("alert-error",): its errors only (a
    warning, such as LIME's bad-fit one, is the tab working as meant)."""
    roots = children if isinstance(children, (list, tuple)) else [children]
    return [text(c) for r in roots for c in walk(r)
            if isinstance(c, html.Div) and any(k in (getattr(c, "className", "") or "").split() for k in kinds)]


def text(component) -> str:
    return " ".join(c for c in walk(component) if isinstance(c, str)) if not isinstance(component, str) else component


def by_id(children, cid):
    roots = children if isinstance(children, (list, tuple)) else [children]
    return next(c for r in roots for c in walk(r) if getattr(c, "id", None) == cid)


def upload_value(content: bytes, mime="text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode()


def gradient_methods(service, model_id):
    return [o["value"] for o in gradients.method_options(service, service.model_info(model_id))]

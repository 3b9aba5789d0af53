"""What a tab's spinner says while it computes: the method and how much work it is
('Computing LIME: 1,000 model calls…'), following the tab's controls."""
from __future__ import annotations

from dash import ALL, Input, Output

from . import ids
from .figures.common import METHOD_TITLES
from .tabs import busy_spinner


def _count(v, default) -> str:
    """A count for the words; anything that is not a finite number (a forged or half-typed
    value: the engine names it) reads as the default."""
    try:
        return f"{int(float(v)):,}"
    except (TypeError, ValueError, OverflowError):
        return f"{default:,}"


# method -> (words, the parameter that counts the work, its default)
GRADIENT_WORDS = {
    "integrated_gradients": ("Computing integrated gradients: {n} steps from the baseline…", "n_steps", 50),
    "smoothgrad": ("Computing SmoothGrad: gradients of {n} noisy copies…", "n_samples", 25),
    "occlusion": ("Computing occlusion: hiding each window in turn and running the model…", None, 0),
}


# what the engine does when the request leaves n_steps out (an emptied field): its default, 'auto'
_DEFAULT_STEPS = "auto"


def gradient_words(method: str | None, params: dict) -> str:
    words, count, default = GRADIENT_WORDS.get(method or "", (None, None, 0))
    if words is None:
        return f"Computing {METHOD_TITLES.get(method or '', 'the map')}…"
    if count == "n_steps" and str(params.get(count, _DEFAULT_STEPS)).strip().lower() == "auto":
        return "Computing integrated gradients: as many steps as this sample needs for 1% accuracy…"
    return words.format(n=_count(params.get(count), default) if count else "")


def lime_words(n_samples) -> str:
    return f"Computing LIME: {_count(n_samples, 1000)} model calls on perturbed copies, then a linear fit…"


def tree_words(depth) -> str:
    return f"Fitting a decision tree (depth {_count(depth, 4)}) to the network's answers on the training samples…"


def _params(control_ids, values, method) -> dict:
    return {c.get("name"): v for c, v in zip(control_ids or (), values or ()) if c.get("method") == method}


def register_callbacks(app):
    pattern = {"type": ids.PARAM, "slot": "a", "method": ALL, "name": ALL}

    @app.callback(Output(ids.loading(ids.TAB_GRADIENTS), "custom_spinner"), Input(ids.METHOD_A, "value"),
                  Input(pattern, "value"), Input(pattern, "id"), prevent_initial_call=True)
    def _gradients(method, values, control_ids):
        return busy_spinner(gradient_words(method if isinstance(method, str) else None,
                                           _params(control_ids, values, method)))

    @app.callback(Output(ids.loading(ids.TAB_LIME), "custom_spinner"), Input(ids.LIME_SAMPLES, "value"),
                  prevent_initial_call=True)
    def _lime(n):
        return busy_spinner(lime_words(n))

    @app.callback(Output(ids.loading(ids.TAB_TREE), "custom_spinner"), Input(ids.TREE_DEPTH, "value"),
                  prevent_initial_call=True)
    def _tree(depth):
        return busy_spinner(tree_words(depth))

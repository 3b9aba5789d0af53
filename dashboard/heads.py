"""What the page says about a model's head (explain_core/models/heads.py): which class or
value a map explains, how to read its colours, the words the sample panel, the browser
and the target picker use. Multi-class models read as they always did."""
from __future__ import annotations

import math

TOWARDS_CLASS = "red pushes towards the class, blue away"
TOWARDS_VALUE = "red raises the predicted value, blue lowers it"


def regression(info) -> bool:
    return getattr(info, "task", "classification") == "regression"


def binary(info) -> bool:
    return getattr(info, "output", "logits") in ("logit", "probability")


def target_name(info) -> str:
    """Regression: the target's name ('progression'); the class names' first otherwise."""
    return str(info.class_names[0]) if info.class_names else "value"


def fmt(v) -> str:
    """A value as the page prints it: 4 significant digits, no exponent for usual sizes."""
    v = float(v)
    if not math.isfinite(v):
        return "–"
    return f"{v:.4g}" if abs(v) < 1e6 else f"{v:.3e}"


def explained(info, target: int, plain: bool = False) -> str:
    """What a result with this target explains: 'class 7', 'positive (the output z)',
    'negative (−z)', 'the predicted progression'. plain: a binary class by its name alone
    (LIME fits its probability, not the output)."""
    if regression(info):
        return f"the predicted {target_name(info)}"
    names = info.class_names
    name = str(names[target]) if 0 <= target < len(names) else str(target)
    if binary(info) and not plain:
        sign = {"logit": ("−z", "the output z"), "probability": ("1 − p", "the output p")}[info.output]
        return f"{name} ({sign[target == 1]})"
    return name if binary(info) else f"class {name}"


def output_short(info) -> str:
    """The model card's line on a binary model's single output."""
    pos = info.class_names[1] if len(info.class_names) == 2 else "positive"
    if info.output == "logit":
        return f"one logit z, p({pos}) = sigmoid(z)"
    return f"one probability p({pos}) (the model applies the sigmoid)"


def heading(method_title: str, info, target: int, plain: bool = False) -> str:
    return f"{method_title} for {explained(info, target, plain)}"


def score_words(info, target: int | None = None) -> str:
    """What a map's numbers are changes of, in words (figures/legend.py)."""
    if regression(info):
        return "the predicted value"
    if binary(info):
        names = info.class_names
        t = 1 if target is None else int(target)
        name = names[t] if 0 <= t < len(names) else str(t)
        out = {"logit": ("−z", "z"), "probability": ("1 − p", "p")}[info.output][t == 1]
        return f"the score for {name} ({out})"
    return "the class score (logit)"


def towards(info) -> str:
    return TOWARDS_VALUE if regression(info) else TOWARDS_CLASS


def target_note(info) -> str:
    """The line beside the target picker."""
    if regression(info):
        return (f"Every tab explains the predicted value of {target_name(info)!r}; activations and weights do not "
                "depend on it.")
    if binary(info):
        neg, pos = info.class_names[:2]
        out = "z" if info.output == "logit" else "p"
        return (f"One output {out}: '{pos}' explains {out} (towards {pos}), '{neg}' explains "
                f"{'−z' if out == 'z' else '1 − p'}, the same maps with their signs flipped.")
    return "Every tab explains this class; activations and weights do not depend on it."


def reword(fig, info, method_title: str, target: int, replace: dict[str, str], plain: bool = False):
    """A figure builder's wording for classes, said for a binary or regression head: the
    title names what is explained, the subtitle's phrases are replaced. Multi-class figures
    are left as they are."""
    if not (regression(info) or binary(info)):
        return fig
    return relabel(fig, heading(method_title, info, target, plain), replace)


def relabel(fig, title: str, replace: dict[str, str]):
    """fig with `title` and its subtitle's phrases replaced."""
    fig.layout.title.text = title
    sub = fig.layout.title.subtitle.text if fig.layout.title.subtitle else None
    if sub:
        for old, new in replace.items():
            sub = sub.replace(old, new)
        fig.layout.title.subtitle.text = sub
    return fig


def attribution_words(info) -> dict[str, str]:
    return {TOWARDS_CLASS: TOWARDS_VALUE} if regression(info) else {}


def lime_words(info) -> dict[str, str]:
    """LIME's figure speaks of p(class): for regression it fits the predicted value."""
    if not regression(info):
        return {}
    return {"change in p(class)": "change in the predicted value", "red raises p, blue lowers it":
            "red raises it, blue lowers it", "raise p(class)": "raise the predicted value",
            "p(class) model": "prediction: model"}

"""The bodies of the callback requests the page sends, built from the server's own
/_dash-dependencies and /_dash-layout, so they keep fitting when a callback gains an input.

An input or state is filled from the overrides given ("id.property", or for a pattern id
with ALL the slot's list of (component id, value)), else from the component's value in
the layout (what a freshly loaded page sends), else None.
"""
from __future__ import annotations

import json

from dashboard import ids

GRADIENT_PARAMS = {"integrated_gradients": {"n_steps": 50, "baseline": "zero", "rule": "gausslegendre"},
                   "saliency": {"abs": ["on"]}}


def layout_values(node, out: dict | None = None) -> dict:
    """{"id.property": value} of every component with a string id in a /_dash-layout tree."""
    out = {} if out is None else out
    if isinstance(node, list):
        for child in node:
            layout_values(child, out)
    elif isinstance(node, dict) and "props" in node:
        props = node["props"]
        if isinstance(props.get("id"), str):
            out.update({f"{props['id']}.{k}": v for k, v in props.items() if k != "children"})
        layout_values(props.get("children"), out)
    return out


class Page:
    """What the page knows of its callbacks: their dependencies and the layout's values."""

    def __init__(self, dependencies: list[dict], layout: dict):
        self.callbacks = {d["output"]: d for d in dependencies}
        self.defaults = layout_values(layout)

    @classmethod
    def fetch(cls, get) -> "Page":
        """get(path) -> parsed JSON: e.g. lambda p: requests.get(url + p).json(), or a
        Flask test client's lambda p: client.get(p).get_json()."""
        return cls(get("/_dash-dependencies"), get("/_dash-layout"))

    def _value(self, dep: dict, overrides: dict, patterns: dict):
        cid, prop = dep["id"], dep["property"]
        if cid.startswith("{"):
            slot = json.loads(cid).get("slot")
            return [{"id": c, "property": prop, "value": c if prop == "id" else v} for c, v in patterns.get(slot, ())]
        key = f"{cid}.{prop}"
        value = overrides[key] if key in overrides else self.defaults.get(key)
        return {"id": cid, "property": prop, "value": value}

    def body(self, output: str, overrides: dict, patterns: dict | None = None, changed=()) -> dict:
        dep = self.callbacks[output]
        patterns = patterns or {}
        outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in output.strip(".").split("...")]
        return {"output": output, "outputs": outputs,
                "inputs": [self._value(d, overrides, patterns) for d in dep["inputs"]],
                "state": [self._value(d, overrides, patterns) for d in dep["state"]],
                "changedPropIds": list(changed)}

    def _tab_body(self, tab: str, model: str, sample: int, overrides: dict, patterns=None) -> dict:
        view = f"{ids.view(tab)}.data"
        return self.body(f"..{ids.output(tab)}.children...{ids.drawn(tab)}.data..",
                         {view: {"model": model, "sample": sample, "target": None}, f"{ids.TABS}.value": tab,
                          f"{ids.drawn(tab)}.data": None, **overrides}, patterns, changed=[view])

    def gradient(self, model: str, sample: int, method: str) -> dict:
        """A thumbnail click on the gradient-maps tab showing `method` (default parameters)."""
        controls = [({"type": ids.PARAM, "slot": "a", "method": method, "name": k}, v)
                    for k, v in GRADIENT_PARAMS[method].items()]
        return self._tab_body(ids.TAB_GRADIENTS, model, sample,
                              {f"{ids.METHOD_A}.value": method, f"{ids.METHOD_B}.value": ids.NO_METHOD},
                              {"a": controls})

    def lime(self, model: str, sample: int, n_samples: int) -> dict:
        """A thumbnail click on the LIME tab with `n_samples` perturbed samples."""
        return self._tab_body(ids.TAB_LIME, model, sample, {f"{ids.LIME_SAMPLES}.value": n_samples})

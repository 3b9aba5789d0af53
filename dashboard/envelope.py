"""Is a POST to /_dash-update-component shaped like a request for one of this page's
callbacks? Dash trusts the shape (the renderer builds it) and answers a forged one with
a KeyError or CallbackException, a bare 500; `problem` names what is wrong so that the
request gets a 400 instead. What the values are is each callback's own business
(dashboard/validate.py)."""
from __future__ import annotations

import json

WILDCARDS = (["ALL"], ["ALLSMALLER"], ["MATCH"])


def problem(callback_map: dict, body) -> str | None:
    """None when `body` fits a server-side callback of `callback_map`, else what does not."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    output = body.get("output")
    cb = callback_map.get(output) if isinstance(output, str) else None
    if not cb or "callback" not in cb:
        return f"it names no callback of this page (output {str(output)[:80]!r})"
    for key in ("inputs", "state"):
        bad = _deps_problem(key, cb.get(key, []), body.get(key, []))
        if bad:
            return bad
    bad = _outputs_problem(output, body.get("outputs"))
    if bad:
        return bad
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds is not a list of strings"
    return None


def _deps_problem(key: str, declared: list, sent) -> str | None:
    if not isinstance(sent, list) or len(sent) != len(declared):
        return f"its {key} do not match the callback (expected {len(declared)})"
    for dep, item in zip(declared, sent):
        if not _fits(_parse_id(dep["id"]), dep["property"], item):
            return f"its {key} entry for {dep['id']}.{dep['property']} does not match the callback"
    return None


def _outputs_problem(output: str, sent) -> str | None:
    declared = _split(output)
    if not isinstance(declared, list):
        declared, sent = [declared], [sent]
    if not isinstance(sent, list) or len(sent) != len(declared):
        return "its outputs do not match the callback"
    for dep, item in zip(declared, sent):
        if not _fits(_parse_id(dep["id"]), dep["property"].split("@")[0], item):
            return f"its output {dep['id']}.{dep['property']} does not match the callback"
    return None


def _split(output: str):
    """Dash's callback id ('..a.x...b.y..' or 'a.x') as {id, property} dicts (dash._utils.split_callback_id)."""
    if output.startswith(".."):
        return [_split(part) for part in output[2:-2].split("...")]
    id_, prop = output.rsplit(".", 1)
    return {"id": id_, "property": prop}


def _parse_id(id_: str):
    if id_.startswith("{"):
        try:
            return json.loads(id_)
        except ValueError:
            return id_
    return id_


def _fits(declared_id, prop: str, item) -> bool:
    """An entry for a plain id is one {id, property, value}; for a pattern with ALL, a list
    of them whose ids agree with the pattern's fixed keys."""
    if isinstance(declared_id, dict) and any(v in WILDCARDS[:2] for v in declared_id.values()):
        return isinstance(item, list) and all(_entry_fits(declared_id, prop, e) for e in item)
    return _entry_fits(declared_id, prop, item)


def _entry_fits(declared_id, prop: str, entry) -> bool:
    sent_prop = entry.get("property") if isinstance(entry, dict) else None
    if not isinstance(sent_prop, str) or sent_prop.split("@")[0] != prop:   # '@hash': allow_duplicate
        return False
    sent = entry.get("id")
    if isinstance(declared_id, dict):
        return isinstance(sent, dict) and set(sent) == set(declared_id) and all(
            v in WILDCARDS or sent[k] == v for k, v in declared_id.items()) and all(
            isinstance(v, (str, int, float, bool)) for v in sent.values())
    return sent == declared_id

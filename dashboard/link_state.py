"""Everything that defines the view, in the address: the explained class, each tab's own
controls (layer, LIME's numbers, the tree's depth, the map's channel view) and the two
methods' parameters, beside urls.py's model, sample, tab and methods.

Writing: a clientside callback (assets/link.js `extras`) turns the controls into a dict the
page's `sync` (assets/clientside.js) adds to the address. Reading: the address the page was
opened with is kept (LINK_INITIAL), read here once into what it asks for (LINK_TODO), and
each control is set when it exists for the linked model (a layer picker gets its options
with the model; a method's parameter controls are built after the method is chosen), once
(each part marks itself done in its own store, so two parts never overwrite one another).
"""
from __future__ import annotations

from urllib.parse import parse_qs

from dash import ALL, ClientsideFunction, Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

from explain_core.errors import ParameterError

from . import ids, validate

# address key -> the control it sets (the parameters of the methods: "a.<name>", "b.<name>")
SIMPLE = {"lime_samples": ids.LIME_SAMPLES, "lime_kernel": ids.LIME_KERNEL, "lime_patch": ids.LIME_PATCH,
          "depth": ids.TREE_DEPTH, "wview": ids.WEIGHT_VIEW, "wunit": ids.WEIGHT_UNIT}
PARTS = ("target", "layer", "wlayer", "simple", "a", "b")
MAX_VALUE = 200       # characters of one value read from an address


def done_id(part: str) -> str:
    return f"link-done-{part}"


def stores() -> list:
    """The page's stores for this module (dashboard/layout.py)."""
    return [dcc.Store(id=ids.LINK_INITIAL), dcc.Store(id=ids.LINK_TODO), dcc.Store(id=ids.LINK_EXTRAS),
            dcc.Store(id=ids.LINK_DEFAULTS)] + [
        dcc.Store(id=done_id(p), data=False) for p in PARTS]


def parse_extras(search: str | None, service=None) -> dict:
    """What an address asks for beyond urls.parse_search, as plain values: {"model", "target"
    (int), "layer", "wlayer", "channels" (bool), "lime_samples"… (numbers), "a": {param: value},
    "b": {...}, "method", "compare"}. What it names wrongly is left out (the control then
    keeps its default); method parameters are converted to their kind."""
    text = search if isinstance(search, str) else ""
    q = {k: v[0].strip()[:MAX_VALUE] for k, v in parse_qs(text.lstrip("?")).items() if v}
    out: dict = {"model": q.get("model"), "method": q.get("method"), "compare": q.get("compare"), "a": {}, "b": {}}
    target = q.get("target")
    if target is not None and target.isdigit():
        out["target"] = int(target)
    for key in ("layer", "wlayer"):
        if q.get(key):
            out[key] = q[key]
    if "channels" in q:
        out["channels"] = q["channels"] == "each"
    for key in SIMPLE:
        if key in q:
            out[key] = _number(q[key])
    if not isinstance(out.get("depth", 1), int):    # a slider holds a number only (the engine checks its range)
        out.pop("depth")
    specs = service.methods() if service is not None else {}
    for slot, method in (("a", out["method"]), ("b", out["compare"])):
        spec = specs.get(method)
        if spec is None:
            continue
        kinds = {p.name: p.kind for p in spec.params}
        for key, raw in q.items():
            if key.startswith(slot + ".") and key[2:] in kinds:
                out[slot][key[2:]] = _typed(raw, kinds[key[2:]])
    return out


def _number(raw: str):
    """A number as the field shows it; anything else as it is (the engine then names the problem)."""
    try:
        v = float(raw)
    except ValueError:
        return raw
    return int(v) if v.is_integer() and "." not in raw and "e" not in raw.lower() else v


def _typed(raw: str, kind):
    if kind is bool:
        return raw in ("1", "true", "on")
    if kind in (int, float):
        return _number(raw)
    return raw


def control_value(value, control_id: dict, spec) -> object:
    """A linked parameter as its control holds it: a checklist's ['on'] / [] for booleans."""
    kinds = {p.name: p.kind for p in spec.params}
    if kinds.get(control_id.get("name")) is bool:
        return ["on"] if value else []
    return value


def param_values(todo: dict, slot: str, method: str, control_ids: list, current: list, service) -> list:
    """The values of a slot's parameter controls with the link's put in (the others as they are)."""
    spec = service.methods().get(method)
    linked = (todo or {}).get(slot) or {}
    if spec is None:
        return list(current)
    return [control_value(linked[c["name"]], c, spec) if c.get("method") == method and c["name"] in linked else v
            for c, v in zip(control_ids, current)]


def defaults(service, model_id: str) -> dict:
    """What each control shows when the address does not say (left out of the address, which
    then stays short): {"params": {method: {name: value as the address writes it}}, "layer",
    "wlayer", "lime_samples", "depth"}."""
    from .params import default_of
    from .tabs import activations, lime, tree, weights

    info = service.model_info(model_id)
    image = info.kind == "image"
    params = {name: {p.name: _written(default_of(p, image)) for p in spec.params_for(info.kind, info.input_shape)}
              for name, spec in service.methods().items()}
    wl = weights.layer_options(info)
    return {"params": params, "layer": activations.default_layer(info), "wlayer": wl[0]["value"] if wl else None,
            "lime_samples": str(lime.DEFAULT_SAMPLES), "depth": str(tree.DEFAULT_DEPTH),
            "wview": weights.TOP, "wunit": "0"}


def _written(value):
    """A value as assets/link.js writes it into the address."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return None if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


def _pending(todo, done, model) -> bool:
    return bool(_mapping(todo, "The link's settings")) and not done and todo.get("model") == model


def _mapping(value, what: str) -> dict:
    """A store the page wrote as a dict (or nothing); anything else was forged."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ParameterError(f"{what} must be a mapping, not {type(value).__name__}")
    return value


def _offered(options) -> set:
    """The values of a dropdown's options, checked."""
    if not isinstance(options, list) or not all(isinstance(o, dict) and "value" in o for o in options):
        raise ParameterError("A picker's options must be a list of {label, value}")
    return {o["value"] for o in options}


def register_callbacks(app, service):
    # the address the page was opened with, before the page rewrites it
    app.clientside_callback("function (p) { return window.location.search || ''; }",
                            Output(ids.LINK_INITIAL, "data"), Input(ids.URL, "pathname"))
    app.clientside_callback(ClientsideFunction(namespace="glimpse_link", function_name="extras"),
                            Output(ids.LINK_EXTRAS, "data"),
                            Input(ids.TABS, "value"), Input(ids.TARGET, "value"),
                            Input(ids.METHOD_A, "value"), Input(ids.METHOD_B, "value"),
                            Input(_pattern("a"), "value"), Input(_pattern("b"), "value"),
                            Input(ids.GRAD_CHANNELS, "value"), Input(ids.ACT_LAYER, "value"),
                            Input(ids.WEIGHT_LAYER, "value"), *[Input(c, "value") for c in SIMPLE.values()],
                            Input(ids.LINK_DEFAULTS, "data"), State(_pattern("a"), "id"), State(_pattern("b"), "id"))

    @app.callback(Output(ids.LINK_DEFAULTS, "data"), Input(ids.MODEL, "data"), prevent_initial_call=True)
    def _defaults(model_id):
        return defaults(service, validate.model_id(model_id))

    @app.callback(Output(ids.LINK_TODO, "data"), Input(ids.LINK_INITIAL, "data"), prevent_initial_call=True)
    def _todo(search):
        search = validate.text(search, "The page address")
        extras = parse_extras(search, service)
        if not extras.get("model"):
            from .selection import default_model     # a link without a model opens the default one
            extras["model"] = default_model(service)
        return extras

    @app.callback(Output(ids.TARGET, "value", allow_duplicate=True), Output(done_id("target"), "data"),
                  Input(ids.TARGET, "options"), Input(ids.LINK_TODO, "data"),
                  State(done_id("target"), "data"), State(ids.MODEL, "data"), prevent_initial_call=True)
    def _target(options, todo, done, model):
        if not _pending(todo, done, model) or not options or len(options) < 2:
            raise PreventUpdate        # not the linked model's classes yet
        target = todo.get("target")
        return (target if _hashable(target) and target in _offered(options) else no_update), True

    for part, picker in (("layer", ids.ACT_LAYER), ("wlayer", ids.WEIGHT_LAYER)):
        @app.callback(Output(picker, "value", allow_duplicate=True), Output(done_id(part), "data"),
                      Input(picker, "options"), Input(ids.LINK_TODO, "data"),
                      State(done_id(part), "data"), State(ids.MODEL, "data"), prevent_initial_call=True)
        def _layer(options, todo, done, model, part=part):
            if not _pending(todo, done, model) or not options:
                raise PreventUpdate
            wanted = todo.get(part)
            return (wanted if _hashable(wanted) and wanted in _offered(options) else no_update), True

    @app.callback(*[Output(c, "value", allow_duplicate=True) for c in SIMPLE.values()],
                  Output(ids.GRAD_CHANNELS, "value", allow_duplicate=True), Output(done_id("simple"), "data"),
                  Input(ids.LINK_TODO, "data"), State(done_id("simple"), "data"), prevent_initial_call=True)
    def _simple(todo, done):
        if not _mapping(todo, "The link's settings") or done:
            raise PreventUpdate
        values = [todo[k] if k in todo else no_update for k in SIMPLE]
        channels = no_update if "channels" not in todo else (["each"] if todo["channels"] else [])
        return (*values, channels, True)

    for slot, method_id, params_id in (("a", ids.METHOD_A, ids.PARAMS_A), ("b", ids.METHOD_B, ids.PARAMS_B)):
        @app.callback(Output(_pattern(slot), "value", allow_duplicate=True), Output(done_id(slot), "data"),
                      Input(params_id, "children"), Input(ids.LINK_TODO, "data"),
                      State(method_id, "value"), State(_pattern(slot), "id"), State(_pattern(slot), "value"),
                      State(done_id(slot), "data"), State(ids.MODEL, "data"), prevent_initial_call=True)
        def _params(_children, todo, method, control_ids, current, done, model, slot=slot):
            if not _pending(todo, done, model) or not todo.get(slot):
                raise PreventUpdate
            wanted = todo.get("method" if slot == "a" else "compare")
            _mapping(todo.get(slot), "The link's method settings")
            if not isinstance(control_ids, list) or not all(isinstance(c, dict) for c in control_ids):
                raise ParameterError("The method's controls must be a list of ids")
            if method != wanted or not any(c.get("method") == method for c in control_ids or ()):
                raise PreventUpdate    # the linked method's controls are not built yet
            return param_values(todo, slot, method, control_ids, current or [], service), True


def _hashable(value) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _pattern(slot):
    return {"type": ids.PARAM, "slot": slot, "method": ALL, "name": ALL}

"""service.model_view: resolve, cache and compute a model-level analysis."""
from __future__ import annotations

from ..cache import result_key
from ..errors import ParameterError
from .context import ModelContext
from .held_out import HeldOutPass, PassCache, rows
from .registry import ANALYSES, analysis, applies, normalised

PASSES = PassCache()


def context(service, model_id: str) -> ModelContext:
    tm = service._model(model_id)
    digest = service.weights_hash(model_id)
    lock = service._compute_lock(model_id)

    def held_out(train: bool = False) -> HeldOutPass:
        def build():
            ids, subset = rows(tm.data, bool(train), service.settings.seed)
            return HeldOutPass(tm, ids, lock, subset)
        return PASSES.get((id(service), digest, bool(train)), build)

    return ModelContext(model_id, tm.module, tm.explained, tm.data, tm.head, digest, service.settings.seed,
                        tm.source, service.store, held_out, lock)


def model_view(service, model_id: str, name: str, params: dict):
    a = analysis(name)
    ctx = context(service, model_id)
    if not applies(a, ctx.data.kind, ctx.head.task):
        what = "a regression model" if ctx.head.task == "regression" else ("an image model" if ctx.data.kind == "image" else "a tabular model")
        raise ParameterError(f"{a.title} does not apply to {what}")
    params = normalised(a, params, ctx)
    key = result_key(ctx.hash, "-", f"model:{name}", params)
    hit = service.cache.get(key)
    if hit is not None:
        return hit
    with service.compute.same_key(key):
        hit = service.cache.get(key)
        if hit is not None:
            return hit
        result = a.fn(ctx, **params)
        service.cache.set(key, result)
    return result


def model_views(service, model_id: str) -> list[tuple[str, str]]:
    """(name, title) of the analyses that apply to this model, in registration order."""
    tm = service._model(model_id)
    return [(n, a.title) for n, a in ANALYSES.items() if applies(a, tm.data.kind, tm.head.task)]

"""The service's quality requests: validated, computed on the model's explained view and
cached in the service's shared cache keyed by (model hash, sample, method, params, target,
quality settings). ExplanationService.quality delegates here."""
from __future__ import annotations

import time


from ..cache import result_key
from ..errors import ParameterError
from ..methods.base import check_param
from ..methods.registry import RUNNERS, METHODS, normalise_params
from .report import MethodTable, best_of, quality_params, quality_report
from .sanity import randomisation, randomised_copy
from .stability import stability_of, stochastic
from .table import _quantity, method_scores, rankable_methods, table_quality

KINDS = ("scores", "sanity", "stability", "table", "ig-accuracy")
MAX_SEEDS = 20


def table_methods(service, model_id: str) -> tuple[str, ...]:
    """The methods the which-method table ranks for this model (quality/table.py)."""
    tm = service._model(model_id)
    return tuple(m for m, _ in rankable_methods(tm.data.kind, tm.module, tm.data.input_shape))


def _cached(service, key: str, compute):
    """The cached result under key, or compute() once (other threads asking meanwhile wait for it)."""
    with service.compute.same_key(key):
        result = service.cache.get(key)
        if result is None:
            result = compute()
            service.cache.set(key, result)
    return result


def run(service, kind: str, model_id: str, sample_id, method: str | None = None, target=None,
        quality: dict | None = None, seeds=5, **params):
    if kind not in KINDS:
        raise ParameterError(f"Unknown quality check {kind!r}; known: {', '.join(KINDS)}")
    tm, i, _, _ = service._request(model_id, sample_id, method or "saliency", target, {})
    q = quality_params(quality)
    if kind == "table":
        t = service._target(tm, i, None if target is None else int(target))
        key = result_key(service._hash(tm), service._sample_key(tm, i), "quality-table", q) + f":{t}"
        return _cached(service, key, lambda: _table(service, model_id, i, t, q))
    if method not in (ranked := table_methods(service, model_id)):
        raise ParameterError(f"Quality checks apply to the maps of a class: "
                             f"{', '.join(METHODS[m].title for m in ranked)}; got {method!r}")
    if kind == "stability":
        return _stability(service, model_id, i, method, target, seeds, params)
    result = service.explain(model_id, i, method, target=target, **params)
    _, _, norm, _ = service._request(model_id, i, method, result.target, params)
    key = result_key(service._hash(tm), service._sample_key(tm, i), f"quality-{kind}:{method}",
                     {**norm, **q}) + f":{result.target}"
    if kind == "ig-accuracy":
        if method != "integrated_gradients":
            raise ParameterError("The step count to a stated accuracy applies to integrated gradients")
        return _cached(service, key, lambda: _adaptive_ig(tm, i, norm, result.target))
    if kind == "scores":
        return _cached(service, key, lambda: quality_report(
            tm.explained, tm.data, tm.head.link, _quantity(tm), tm.data.X[i], result.attribution, result.target,
            method, norm, q))
    return _cached(service, key, lambda: randomisation(
        tm.explained, tm.data.X[i], result.target, _explainer(tm, i, method, norm, result.target), method,
        original=result.attribution, seed=q["seed"]))


def _adaptive_ig(tm, i: int, params: dict, target: int):
    """IG with as many steps as this sample needs for a 1% completeness error (at most 1,024;
    with n_steps 'auto' the map itself is that run: methods/auto_ig.py)."""
    from ..methods.registry import _baseline
    from .adaptive_ig import AdaptiveIntegratedGradients

    if params["n_steps"] == "auto":
        from ..methods.auto_ig import AutoIntegratedGradients
        return AutoIntegratedGradients(tm.explained, baseline=_baseline(tm.data, params["baseline"])).attribute(
            tm.data.X[i], target=target)
    return AdaptiveIntegratedGradients(tm.explained, rule=params["rule"], baseline=_baseline(tm.data, params["baseline"])
                                       ).attribute(tm.data.X[i], target=target)


def _explainer(tm, i: int, method: str, params: dict, target: int):
    run_method = RUNNERS[method]
    return lambda module: run_method(module, tm.data, tm.data.X[i], target, params).attribution


def _stability(service, model_id, i, method, target, seeds, params):
    if method not in stochastic():
        raise ParameterError(f"{METHODS[method].title} gives the same map every time: stability applies to "
                             f"{', '.join(METHODS[m].title for m in stochastic())}")
    k = check_param("seeds", seeds, 2, MAX_SEEDS, int)
    params = {n: v for n, v in params.items() if n != "seed"}
    results = [service.explain(model_id, i, method, target=target, seed=s, **params) for s in range(k)]
    return stability_of(method, results[0].target, range(k), results)


def _table(service, model_id: str, i: int, target: int, q: dict) -> MethodTable:
    tm = service._model(model_id)
    start = time.perf_counter()
    random_model = randomised_copy(tm.explained, q["seed"])
    rows = []
    for m, norm in rankable_methods(tm.data.kind, tm.module, tm.data.input_shape):
        result = service.explain(model_id, i, m, target=target)
        mq = table_quality(q, norm)
        rep = run(service, "scores", model_id, i, m, target, mq)
        rows.append(method_scores(tm, i, m, norm, target, mq, result.attribution, rep, random_model))
    return MethodTable(int(target), _quantity(tm), tuple(rows), best_of(rows), time.perf_counter() - start)


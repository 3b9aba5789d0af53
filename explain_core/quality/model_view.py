"""The which-method table over the model's held-out samples: each method's deletion and
insertion areas, infidelity, max-sensitivity and randomisation ρ as mean ± standard
deviation over n samples (each explaining its predicted class), so a user can say "on this
model, IG is the most faithful". A model-level view (explain_core/model_views)."""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..methods.base import check_param
from ..methods.registry import RUNNERS
from .report import COLUMNS, quality_params
from .sanity import randomised_copy
from .table import method_scores, rankable_methods, table_quality

DEFAULT_SAMPLES = 10
NAME = "method-ranking"
_progress = threading.local()     # where the ranking computed in this thread reports (see progress_to)


@dataclass(frozen=True)
class MethodRanking:
    methods: tuple[str, ...]
    columns: tuple[str, ...]          # COLUMNS' keys
    mean: np.ndarray                  # (methods, columns)
    std: np.ndarray
    flagged: np.ndarray               # (methods,) share of samples whose map barely changed when random
    samples: tuple[int, ...]
    best: dict                        # column -> method with the best mean
    draws: tuple[int, ...] = ()       # each method's max-sensitivity draws (quality/table.py)

    def ranks(self) -> dict:
        """method -> mean rank over the columns (1 = best everywhere), from the means."""
        out = {m: [] for m in self.methods}
        for c, (_, _, better) in enumerate(COLUMNS):
            order = np.argsort(self.mean[:, c] if better == "low" else -self.mean[:, c], kind="stable")
            for rank, k in enumerate(order, 1):
                out[self.methods[k]].append(rank)
        return {m: float(np.mean(v)) for m, v in out.items()}


def ranking_params(raw: dict, ctx) -> dict:
    unknown = set(raw) - {"n_samples"}
    if unknown:
        raise ParameterError(f"Unknown setting(s) for the method ranking: {', '.join(sorted(map(str, unknown)))}")
    n = check_param("n_samples", raw.get("n_samples", DEFAULT_SAMPLES), 1, 200, int)
    return {"n_samples": min(n, len(ctx.data.test_idx))}


@contextlib.contextmanager
def progress_to(report):
    """Rankings computed in this thread call report({'done', 'total'}) after each sample."""
    previous, _progress.report = getattr(_progress, "report", None), report
    try:
        yield
    finally:
        _progress.report = previous


def cached_ranking(service, model_id: str, n_samples) -> MethodRanking | None:
    """The ranking if it is in the service's cache already (None: not computed yet)."""
    from ..cache import result_key
    from ..model_views.run import context

    ctx = context(service, model_id)
    return service.cache.get(result_key(ctx.hash, "-", f"model:{NAME}", ranking_params({"n_samples": n_samples},
                                                                                         ctx)))


def method_ranking(ctx, n_samples: int = DEFAULT_SAMPLES) -> MethodRanking:
    progress = getattr(_progress, "report", None)
    data = ctx.data
    ids = [int(i) for i in data.test_idx[:n_samples]]
    held = ctx.held_out()
    preds = dict(zip((int(i) for i in held.ids), held.predictions))
    regression = ctx.head.task == "regression"
    q = quality_params({})
    methods = rankable_methods(data.kind, ctx.model, data.input_shape)
    random_model = randomised_copy(ctx.explained, q["seed"])
    scores = np.zeros((len(methods), len(ids), len(COLUMNS)))
    flagged = np.zeros((len(methods), len(ids)), bool)
    for k, i in enumerate(ids):
        target = 0 if regression else int(preds[i])
        for j, (m, params) in enumerate(methods):
            attribution = RUNNERS[m](ctx.explained, data, data.X[i], target, params).attribution
            row = method_scores(ctx, i, m, params, target, table_quality(q, params), attribution,
                                random_model=random_model)
            scores[j, k] = [getattr(row, key) for key, _, _ in COLUMNS]
            flagged[j, k] = row.flagged
        if progress:
            progress({"done": k + 1, "total": len(ids)})
    mean, std = scores.mean(1), scores.std(1)
    names = tuple(m for m, _ in methods)
    best = {key: names[int(np.argmin(mean[:, c]) if better == "low" else np.argmax(mean[:, c]))]
            for c, (key, _, better) in enumerate(COLUMNS)}
    draws = tuple(table_quality(q, p)["n_draws"] for _, p in methods)
    return MethodRanking(names, tuple(k for k, _, _ in COLUMNS), mean, std, flagged.mean(1), tuple(ids), best, draws)


from ..model_views.registry import register  # noqa: E402  (explain_core/model_views imports this module)

register(NAME, method_ranking, title="Which method to trust on this model", params=ranking_params)

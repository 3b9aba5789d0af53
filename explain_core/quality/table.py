"""Every method ranked for one sample (the which-method table), and which methods it ranks.

Which methods: every per-sample method the registry lists that maps the input for an
explained class, as normalise_params accepts it for this model (Grad-CAM only with a
convolution layer, attention rollout only with attention layers): no list is kept here.

Cost: max-sensitivity explains the sample again under each of `n_draws` small moves. A
method that runs the model on many copies for one map (LIME and KernelSHAP: 1,000 each)
takes fewer draws in the table, so that no method's sensitivity costs more than about
SENSITIVITY_ROWS model rows (never fewer than MIN_DRAWS draws); each row carries its count
and the page states it. Every method is compared on one fully randomised copy of the
model, made once per table.
"""
from __future__ import annotations

from ..errors import ParameterError
from ..methods.registry import METHODS, RUNNERS, normalise_params
from .report import MethodScores, quality_report
from .sanity import FLAG_AT, map_correlation, randomised_copy

SENSITIVITY_ROWS = 3000
MIN_DRAWS = 3


def rankable_methods(kind: str, model, input_shape) -> list[tuple[str, dict]]:
    """(method, its default parameters for this model) for every method the table ranks."""
    out = []
    for name, spec in METHODS.items():
        if not (spec.per_sample and spec.needs_target) or kind not in spec.kinds or name not in RUNNERS:
            continue
        try:
            out.append((name, normalise_params(name, {}, kind, model, input_shape)))
        except ParameterError:      # e.g. Grad-CAM without a convolution layer
            continue
    return out


AUTO_ROWS = 16      # IG with steps "auto": most digits stop at 7 or 15 points (bench/dataset_ig.py)


def rows_per_map(params: dict) -> int:
    """Model rows one map costs, as its settings say (perturbed copies, noise draws or path
    steps); 1 when it has no such setting."""
    rows = params.get("n_samples") or params.get("n_steps") or 1
    return AUTO_ROWS if rows == "auto" else max(1, int(rows))


def table_quality(q: dict, params: dict) -> dict:
    """The quality settings a method is scored with in the table: fewer sensitivity draws
    for a method whose every map costs many model rows."""
    return {**q, "n_draws": min(q["n_draws"], max(MIN_DRAWS, SENSITIVITY_ROWS // rows_per_map(params)))}


def _quantity(tm) -> str:
    return "value" if tm.head.task == "regression" else "probability"


def method_scores(tm, i: int, method: str, params: dict, target: int, q: dict, attribution, report=None,
                  random_model=None) -> MethodScores:
    """One row of the which-method table (tm: anything with explained, data, head; q: the
    method's table_quality). random_model: the fully randomised copy, made once per table."""
    x = tm.data.X[i]
    if report is None:
        report = quality_report(tm.explained, tm.data, tm.head.link, _quantity(tm), x, attribution, target, method,
                                params, q)
    if random_model is None:
        random_model = randomised_copy(tm.explained, q["seed"])
    rho = map_correlation(attribution, RUNNERS[method](random_model, tm.data, x, target, params).attribution)
    return MethodScores(method, report.curves.deletion_auc, report.curves.insertion_auc, report.infidelity,
                        report.sensitivity, rho, bool(rho >= FLAG_AT), q["n_draws"])

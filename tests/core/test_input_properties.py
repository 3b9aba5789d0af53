"""Property tests (hypothesis) on what users and forged requests can send the engine:
parameter normalisation, targets, sample ids and the CSV parser. Whatever arrives, the
answer is a canonical in-range value or the user error that names the problem; never
NaN, OverflowError, TypeError or a traceback. Plus: NaN is refused before anything is
computed or cached."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from explain_core import ExplanationService
from explain_core.cache import result_key
from explain_core.data.csv_upload import parse_csv, to_dataset
from explain_core.errors import DataError, ParameterError, TargetError, UnknownIdError
from explain_core.methods.base import check_param, check_target
from explain_core.methods.registry import METHODS, normalise_params

SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(-3, 30_000) | st.text(max_size=12)
           | st.floats(allow_nan=True, allow_infinity=True) | st.floats(-2e6, 2e6)
           | st.sampled_from(["50", "nan", "NaN", "Infinity", "-inf", "1e400", "on", "off", "zero", "grid", "conv1",
                              float("nan"), float("inf"), -0.0, 10 ** 400, np.float32("nan"), np.int64(7)]))
JSON_LIKE = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)
PARAMS = [(spec.name, p) for spec in METHODS.values() for p in spec.params]
FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def kind_for(method: str) -> str:
    return "image" if "image" in METHODS[method].kinds else "tabular"


def assert_canonical(p, v):
    if v is None:
        assert p.default is None and p.image_default is None
    elif p.kind is bool:
        assert type(v) is bool
    elif p.choices:
        assert v in p.choices
    elif p.kind is int:
        assert v in p.words or (type(v) is int and p.lo <= v <= p.hi)
    elif p.kind is float:
        assert type(v) is float and math.isfinite(v) and p.lo <= v <= p.hi and str(v) != "-0.0"
    else:
        assert isinstance(v, str)


# ---------------------------------------------------------------------------- parameters
@FAST
@given(st.sampled_from(PARAMS), JSON_LIKE)
def test_any_value_for_any_parameter_is_canonical_or_a_parameter_error(method_param, value):
    method, p = method_param
    kind = kind_for(method)
    try:
        out = normalise_params(method, {p.name: value}, kind)
    except ParameterError as e:
        assert p.name in str(e)
        return
    assert_canonical(p, out[p.name])
    json.dumps(out, allow_nan=False)                               # no NaN/inf reaches a cache key
    assert normalise_params(method, out, kind) == out              # canonical: normalising again changes nothing


@FAST
@given(st.sampled_from([(m, p) for m, p in PARAMS if p.kind in (int, float) and not p.choices]),
       st.integers(-10, 25_000))
def test_equal_numbers_are_one_cache_key(method_param, n):
    method, p = method_param
    kind = kind_for(method)
    try:
        a = normalise_params(method, {p.name: n}, kind)
    except ParameterError:
        with pytest.raises(ParameterError):
            normalise_params(method, {p.name: float(n)}, kind)
        return
    b = normalise_params(method, {p.name: float(n)}, kind)
    c = normalise_params(method, {p.name: np.int64(n)}, kind)
    assert result_key("h", "s", method, a) == result_key("h", "s", method, b) == result_key("h", "s", method, c)


@FAST
@given(JSON_LIKE, st.sampled_from([int, float]), st.one_of(st.none(), st.integers(-5, 5)))
def test_check_param_never_overflows_and_never_returns_nan(value, kind, lo):
    try:
        v = check_param("x", value, lo, None, kind)
    except ParameterError as e:
        assert str(e).startswith("x must be")
        return
    assert type(v) is kind and math.isfinite(v) and (lo is None or v >= lo)


@FAST
@given(JSON_LIKE, st.integers(1, 20))
def test_any_target_is_a_class_index_or_a_target_error(value, n_classes):
    try:
        t = check_target(value, n_classes)
    except TargetError:
        return
    assert type(t) is int and 0 <= t < n_classes


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=JSON_LIKE, model=st.one_of(st.sampled_from(["wine-mlp", "nope", "", "../x"]), JSON_LIKE))
def test_any_sample_or_model_id_is_found_or_an_unknown_id_error(service, sample, model):
    try:
        s = service.sample(model, sample)
    except UnknownIdError:
        return
    assert s.model_id == "wine-mlp" and type(s.sample_id) is int
    assert 0 <= s.sample_id < service.model_info("wine-mlp").n_samples


# ------------------------------------------------------------------------------ CSV parser
CELLS = st.one_of(st.sampled_from(["", "1", "-2.5", "0", "nan", "NA", "?", "a", "b", "x y", '"q"', '"a,b"', "1e400",
                                   "inf", "é", "🙂", "  ", ";", "\t", "\r", '"', "1,5", "TRUE", "2020-01-01"]),
                  st.text(max_size=6))


@st.composite
def csv_like(draw) -> bytes:
    """Mostly well-formed tables (so the parser's column typing and to_dataset are reached)
    with odd cells; sometimes a row of the wrong width, a repeated column name or another
    encoding."""
    sep = draw(st.sampled_from([",", ";", "\t"]))
    n_cols = draw(st.integers(2, 5))
    names = ["a", "b", "target", "label", "x", "", "1", "price €"]
    header = draw(st.lists(st.sampled_from(names), min_size=n_cols, max_size=n_cols,
                           unique=draw(st.integers(0, 9)) != 3))
    width = st.just(n_cols) if draw(st.integers(0, 9)) != 3 else st.integers(n_cols - 1, n_cols + 1)
    column = st.sampled_from(["1", "2", "0", "3.5", "-1", "a", "b", "c"])
    cells = st.one_of(column, column, column, CELLS)
    rows = draw(st.lists(width.flatmap(lambda w: st.lists(cells, min_size=w, max_size=w)), min_size=1, max_size=40))
    text = "\n".join(sep.join(r) for r in [header] + rows)
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


def parse_and_train_data(content: bytes):
    """parse_csv, then to_dataset on its suggested target: only DataError may come out."""
    try:
        table = parse_csv(content, "fuzz.csv")
    except DataError as e:
        assert str(e)
        return
    assert table.n_rows >= 1 and table.n_cols >= 2
    for target in table.candidate_targets[:2]:
        try:
            data = to_dataset(table, target)
        except DataError as e:
            assert str(e)
            continue
        assert np.isfinite(data.X).all() and len(data.X) == len(data.y)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_csv_parser_on_arbitrary_bytes_raises_only_data_errors(content):
    parse_and_train_data(content)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_like())
def test_csv_parser_on_table_like_text_raises_only_data_errors(content):
    parse_and_train_data(content)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500))
def test_csv_parser_on_arbitrary_text_raises_only_data_errors(text):
    parse_and_train_data(text.encode("utf-8", errors="surrogatepass") if text else b"")


# ------------------------------------------------------------------------- NaN is not cached
@pytest.mark.parametrize("method, model, param", [
    ("smoothgrad", "mnist-cnn", "noise_level"), ("occlusion", "mnist-cnn", "fill"),
    ("lime", "mnist-cnn", "kernel_width"), ("lime", "breast-cancer-mlp", "kernel_width"),
    ("integrated_gradients", "mnist-cnn", "n_steps")])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), np.float32("nan")])
def test_nan_and_infinite_parameters_are_refused_and_nothing_is_cached(settings, method, model, param, bad):
    svc = ExplanationService(settings)          # its own empty in-memory cache over the stored models
    before = dict(svc.stats)
    with pytest.raises(ParameterError, match=param):
        svc.explain(model, 0, method, **{param: bad})
    with pytest.raises(ParameterError, match=param):
        svc.cached(model, 0, method, **{param: bad})
    assert svc.stats == before and len(svc.cache._cache) == 0


def test_nan_passed_to_the_method_classes_directly_is_refused(service):
    from explain_core.methods.gradients import IntegratedGradients, SmoothGrad
    from explain_core.methods.lime import LimeImage, LimeTabular
    from explain_core.methods.occlusion import Occlusion

    cnn, x = service.torch_model("mnist-cnn"), service.dataset_for("mnist-cnn").X[0]
    tab, data = service.torch_model("breast-cancer-mlp"), service.dataset_for("breast-cancer-mlp")
    for make, name in ((lambda: SmoothGrad(cnn, noise_level=float("nan")).attribute(x), "noise_level"),
                       (lambda: Occlusion(cnn, fill=float("nan")).attribute(x), "fill"),
                       (lambda: LimeImage(cnn, n_samples=20, kernel_width=float("nan")).attribute(x), "kernel_width"),
                       (lambda: LimeTabular(tab, data.X_train, n_samples=20, kernel_width=float("nan"))
                        .attribute(data.X[0]), "kernel_width"),
                       (lambda: IntegratedGradients(cnn, n_steps=float("inf")).attribute(x), "n_steps")):
        with pytest.raises(ParameterError, match=name):
            make()


def test_integral_floats_and_ints_share_a_result(settings):
    svc = ExplanationService(settings)
    a = svc.explain("wine-mlp", 1, "integrated_gradients", n_steps=20)
    assert svc.stats["misses"] == 1
    assert svc.cached("wine-mlp", 1, "integrated_gradients", n_steps=20.0)
    for again in (svc.explain("wine-mlp", 1, "integrated_gradients", n_steps=np.int32(20)),
                  svc.explain("wine-mlp", 1.0, "integrated_gradients", n_steps=20.0, target=float(a.target))):
        np.testing.assert_array_equal(again.attribution, a.attribution)
    assert svc.stats == {"hits": 2, "misses": 1}

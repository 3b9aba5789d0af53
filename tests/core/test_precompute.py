"""Dataset precompute: batched across samples, stored where explain() looks, identical results."""
from __future__ import annotations

import numpy as np
import pytest

from tests.forward_counter import ForwardCounter
from explain_core import UnknownIdError
from explain_core.methods.base import Attribution
from explain_core.methods.registry import RUNNERS, normalise_params
from explain_core.precompute import precompute


def _fresh(service, model_id, i, method, params) -> Attribution:
    """The result computed from scratch the way explain() computes it."""
    data, module = service.dataset_for(model_id), service.torch_model(model_id)
    p = normalise_params(method, params, data.kind, module)
    return RUNNERS[method](module, data, data.X[i], service.sample(model_id, i).prediction, p)


def _assert_same(a: Attribution, b: Attribution):
    assert (a.method, a.target, a.params) == (b.method, b.target, b.params)
    np.testing.assert_allclose(a.attribution, b.attribution, rtol=1e-4, atol=1e-6 * np.abs(b.attribution).max())
    if b.delta is None:
        assert a.delta is None
    else:
        assert a.delta == pytest.approx(b.delta, abs=1e-4)
        assert a.extras["output_difference"] == pytest.approx(b.extras["output_difference"], rel=1e-5)


def test_precompute_then_explain_needs_no_forward_pass(service):
    ids = [int(i) for i in service.dataset_for("mnist-cnn").test_idx[40:52]]
    params = {"n_steps": 24}
    seen = []
    counts = precompute(service, "mnist-cnn", ("integrated_gradients",), sample_ids=ids, batch_size=5,
                        params={"integrated_gradients": params}, progress=lambda d, t: seen.append((d, t)))
    assert counts["computed"] + counts["already_cached"] == len(ids)
    assert seen[-1] == (len(ids), len(ids))
    module = service.torch_model("mnist-cnn")
    with ForwardCounter(module) as fc:
        results = {i: service.explain("mnist-cnn", i, "integrated_gradients", **params) for i in ids[::4]}
        # the predicted class asked for by number is served too
        explicit = service.explain("mnist-cnn", ids[1], "integrated_gradients",
                                   target=service.sample("mnist-cnn", ids[1]).prediction, **params)
    assert fc.any_calls == 0
    assert explicit.target == service.sample("mnist-cnn", ids[1]).prediction
    for i, r in results.items():
        _assert_same(r, _fresh(service, "mnist-cnn", i, "integrated_gradients", params))
        assert abs(r.delta) < 0.05 * abs(r.extras["output_difference"]) + 1e-3   # completeness holds per sample


def test_second_precompute_finds_everything_cached(service):
    ids = [int(i) for i in service.dataset_for("breast-cancer-mlp").test_idx[:6]]
    first = precompute(service, "breast-cancer-mlp", ("saliency", "gradient_x_input"), sample_ids=ids)
    assert first["per_method"]["saliency"]["computed"] + first["per_method"]["saliency"]["already_cached"] == 6
    again = precompute(service, "breast-cancer-mlp", ("saliency", "gradient_x_input"), sample_ids=ids)
    assert again["computed"] == 0 and again["already_cached"] == 12


@pytest.mark.parametrize("method,params", [("saliency", {"abs": False}), ("gradient_x_input", {}),
                                           ("smoothgrad", {"n_samples": 6, "seed": 3})])
def test_batched_results_equal_per_sample_results(service, method, params):
    ids = [int(i) for i in service.dataset_for("mnist-cnn").test_idx[60:67]]
    precompute(service, "mnist-cnn", (method,), sample_ids=ids, batch_size=3, params={method: params})
    for i in ids[::3]:
        assert service.cached("mnist-cnn", i, method, **params)
        _assert_same(service.explain("mnist-cnn", i, method, **params), _fresh(service, "mnist-cnn", i, method, params))


def test_unbatched_method_goes_through_explain(service):
    ids = [int(i) for i in service.dataset_for("mnist-cnn").test_idx[70:72]]
    counts = precompute(service, "mnist-cnn", ("occlusion",), sample_ids=ids, params={"occlusion": {"stride": 4}})
    assert counts["per_method"]["occlusion"]["batched"] is False
    assert all(service.cached("mnist-cnn", i, "occlusion", stride=4) for i in ids)


def test_unknown_sample_is_a_clear_error(service):
    with pytest.raises(UnknownIdError, match="99999"):
        precompute(service, "mnist-cnn", sample_ids=[0, 99999])


def test_should_stop_ends_the_run_between_batches_and_keeps_what_was_done(service):
    ids = [int(i) for i in service.dataset_for("wine-mlp").test_idx[:12]]
    asked = []

    def stop_after_two():
        asked.append(1)
        return len(asked) > 2

    counts = precompute(service, "wine-mlp", ("integrated_gradients", "saliency"), sample_ids=ids, batch_size=4,
                        params={"integrated_gradients": {"n_steps": 9}}, should_stop=stop_after_two)
    assert counts["cancelled"] is True
    assert counts["per_method"]["integrated_gradients"]["computed"] == 8     # two batches of 4, then stopped
    assert "saliency" not in counts["per_method"]                           # later methods are not started
    cached = [service.cached("wine-mlp", i, "integrated_gradients", n_steps=9) for i in ids]
    assert sum(cached) >= 8 and all(cached[:8])


def test_service_precompute_checks_the_request(service):
    from explain_core import ParameterError

    methods = {m for m, _, _ in service.precomputable("breast-cancer-mlp")}
    assert {"integrated_gradients", "saliency", "lime", "occlusion"} <= methods
    assert "gradcam" not in methods and "weights" not in methods      # image-only / not per sample
    assert "gradcam" in {m for m, _, _ in service.precomputable("mnist-cnn")}
    with pytest.raises(ParameterError, match="gradcam"):
        service.precompute("breast-cancer-mlp", ["gradcam"])
    with pytest.raises(UnknownIdError):
        service.precompute("no-such-model", ["saliency"])
    counts = service.precompute("wine-mlp", ["gradient_x_input"], sample_ids=[0, 1, 2])
    assert counts["computed"] + counts["already_cached"] == 3 and counts["cancelled"] is False

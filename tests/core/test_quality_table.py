"""The which-method table: its methods come from the registry (a method registered later is
ranked without a change here), costly maps take fewer sensitivity draws and say how many,
and the one shared randomised copy equals the cascading check's last step."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explain_core.methods.base import Attribution
from explain_core.methods.registry import METHODS, RUNNERS, MethodSpec, normalise_params
from explain_core.quality.fidelity import sensitivity_max, uniform_perturbations
from explain_core.quality.report import input_scale, quality_params
from explain_core.quality.sanity import cascading_copies, randomised_copy, rankdata
from explain_core.quality.table import MIN_DRAWS, rankable_methods, table_quality


@pytest.fixture(scope="module")
def service(settings):
    from tests.quality_service import service_with
    return service_with(settings, ["mnist-cnn", "breast-cancer-mlp", "mnist-vit"])


def first(service, model_id) -> int:
    return int(service.dataset_for(model_id).test_idx[0])


def test_rankdata_equals_scipys():
    from scipy.stats import rankdata as scipy_rankdata

    rng = np.random.default_rng(0)
    for _ in range(100):
        a = rng.integers(0, 4, size=int(rng.integers(1, 30))).astype(float)     # many ties
        np.testing.assert_array_equal(rankdata(a), scipy_rankdata(a))
    b = rng.normal(size=(5, 7))
    np.testing.assert_array_equal(rankdata(b), scipy_rankdata(b.ravel()))


def test_the_methods_are_the_registrys(service):
    tm = service._model("mnist-cnn")
    ranked = dict(rankable_methods("image", tm.module, tm.data.input_shape))
    expected = {n for n, s in METHODS.items() if s.per_sample and s.needs_target and "image" in s.kinds
                and n != "attention_rollout"}     # the CNN has no attention layers
    assert set(ranked) == expected and {"kernel_shap", "gradient_shap", "gradcam"} <= set(ranked)
    tab = service._model("breast-cancer-mlp")
    assert "gradcam" not in dict(rankable_methods("tabular", tab.module, tab.data.input_shape))
    vit = service._model("mnist-vit")            # attention layers: rollout joins, as the registry says
    assert "attention_rollout" in dict(rankable_methods("image", vit.module, vit.data.input_shape))
    assert "attention" not in dict(rankable_methods("image", vit.module, vit.data.input_shape))   # no class


def test_a_method_registered_later_is_ranked_and_a_copy_of_the_input_is_flagged(service, monkeypatch):
    def the_input(module, data, x, target, params):
        return Attribution("the_input", np.array(x, dtype=np.float32), x, int(target), {})
    monkeypatch.setitem(METHODS, "the_input", MethodSpec("the_input", "The input itself", ()))
    monkeypatch.setitem(RUNNERS, "the_input", the_input)
    mid = "breast-cancer-mlp"
    table = service.quality("table", mid, first(service, mid), quality={"seed": 7})   # its own cache key
    row = next(r for r in table.rows if r.method == "the_input")
    assert row.flagged and row.randomisation == pytest.approx(1.0)


def test_costly_maps_take_fewer_draws_and_the_table_says_so(service):
    mid = "mnist-cnn"
    i = first(service, mid)
    table = service.quality("table", mid, i)
    draws = {r.method: r.draws for r in table.rows}
    q = quality_params({})
    assert draws["lime"] == draws["kernel_shap"] == MIN_DRAWS < q["n_draws"]
    assert draws["saliency"] == draws["integrated_gradients"] == draws["smoothgrad"] == q["n_draws"]
    # LIME's sensitivity in the table is max-sensitivity over exactly those draws
    tm = service._model(mid)
    lime = service.explain(mid, i, "lime", target=table.target)
    params = normalise_params("lime", {}, "image", tm.module, tm.data.input_shape)
    x = tm.data.X[i]
    U = uniform_perturbations(x.shape, MIN_DRAWS, np.asarray(input_scale(tm.data, x)) * q["radius"], q["seed"] + 1)

    def explain(X):
        return np.stack([RUNNERS["lime"](tm.explained, tm.data, xi, table.target, params).attribution for xi in X])
    direct = sensitivity_max(explain, x, lime.attribution, U)
    assert next(r for r in table.rows if r.method == "lime").sensitivity == pytest.approx(direct, rel=1e-6)
    assert table_quality(q, {"n_samples": 10})["n_draws"] == q["n_draws"]


def test_the_shared_random_copy_is_the_cascades_last_step(service):
    model = service.explained_model("mnist-cnn")
    *_, (_, last) = cascading_copies(model, 3)
    shared = randomised_copy(model, 3)
    for (n, a), (_, b) in zip(last.state_dict().items(), shared.state_dict().items()):
        assert torch.equal(a, b), n
    assert not any(torch.equal(a, b) for a, b in zip(shared.parameters(), model.parameters()))   # every layer


def test_every_seeded_method_has_a_stability_check_gradient_shap_included(service):
    from explain_core.quality.stability import stochastic

    assert {"lime", "smoothgrad", "kernel_shap", "gradient_shap"} <= set(stochastic())
    assert "saliency" not in stochastic() and "occlusion" not in stochastic()
    mid = "breast-cancer-mlp"
    i = first(service, mid)
    stab = service.quality("stability", mid, i, "gradient_shap", seeds=3)
    tm = service._model(mid)
    maps = np.stack([RUNNERS["gradient_shap"](tm.explained, tm.data, tm.data.X[i], stab.target,
                                              normalise_params("gradient_shap", {"seed": s}, "tabular")).attribution
                     for s in range(3)]).astype(np.float64)
    np.testing.assert_allclose(stab.std, maps.std(0), rtol=1e-5, atol=1e-7)
    assert maps.std(0).max() > 0                   # the seeds draw different baselines

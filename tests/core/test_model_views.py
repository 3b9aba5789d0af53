"""The model-level analysis plumbing: registry, the shared held-out pass, the cache."""
import numpy as np
import pytest

from explain_core.errors import ParameterError, UnknownIdError
from explain_core.model_views import ANALYSES, register
from explain_core.methods.base import named_layers

CALLS = []


def _count_rows(ctx, limit=None):
    CALLS.append(ctx.model_id)
    p = ctx.held_out()
    return {"n": len(p.ids), "limit": limit}


def _limit_params(raw, _ctx):
    limit = raw.pop("limit", 10)
    if raw:
        raise ParameterError(f"unknown settings {sorted(raw)}")
    if not isinstance(limit, int) or limit < 1:
        raise ParameterError("limit must be a whole number ≥ 1")
    return {"limit": limit}


@pytest.fixture(autouse=True, scope="module")
def probe():
    register("_probe", _count_rows, "Probe", params=_limit_params)
    register("_images_only", _count_rows, "Images only", kinds=("image",))
    yield
    ANALYSES.pop("_probe", None)
    ANALYSES.pop("_images_only", None)


def test_computed_once_per_model_and_params(service):
    CALLS.clear()
    a = service.model_view("wine-mlp", "_probe", limit=3)
    b = service.model_view("wine-mlp", "_probe", limit=3)
    assert a == b == {"n": len(service.dataset_for("wine-mlp").test_idx), "limit": 3}
    assert CALLS == ["wine-mlp"]
    service.model_view("wine-mlp", "_probe", limit=4)
    assert CALLS == ["wine-mlp", "wine-mlp"]


def test_bad_names_kinds_and_params_are_messages(service):
    with pytest.raises(UnknownIdError, match="Unknown model view"):
        service.model_view("wine-mlp", "nope")
    with pytest.raises(ParameterError, match="does not apply to a tabular model"):
        service.model_view("wine-mlp", "_images_only")
    with pytest.raises(ParameterError, match="limit"):
        service.model_view("wine-mlp", "_probe", limit=0)
    assert ("_images_only", "Images only") in service.model_views("mnist-cnn")
    assert ("_images_only", "Images only") not in service.model_views("wine-mlp")


def test_held_out_pass_matches_the_sample_table(service):
    from explain_core.model_views.run import context

    ctx = context(service, "mnist-cnn")
    p = ctx.held_out()
    table = service.samples("mnist-cnn")
    np.testing.assert_array_equal(p.ids, service.dataset_for("mnist-cnn").test_idx)
    np.testing.assert_array_equal(p.predictions, table.predictions[p.ids])
    np.testing.assert_allclose(p.probabilities, table.probabilities[p.ids], atol=1e-6)
    expected_loss = -np.log(table.probabilities[p.ids, p.labels])
    np.testing.assert_allclose(p.loss, expected_loss, rtol=1e-4, atol=1e-5)
    assert ctx.held_out() is p                        # one pass per model hash
    names = [n for n, _ in named_layers(ctx.model)]
    assert list(p.activations) == names
    assert all(len(a) == len(p.act_ids) for a in p.activations.values())
    last = p.activations[names[-1]]                   # the last Linear's output is the logits
    np.testing.assert_allclose(last, p.logits[:len(p.act_ids)], rtol=1e-4, atol=1e-4)
    assert not any(m._forward_hooks for _, m in named_layers(ctx.model))


def test_training_rows_and_regression_loss(service):
    from explain_core.model_views.run import context

    ctx = context(service, "diabetes-mlp")
    p = ctx.held_out(train=True)
    data = service.dataset_for("diabetes-mlp")
    assert set(p.ids) <= set(data.train_idx) and len(p.ids) == min(len(data.train_idx), 2000)
    np.testing.assert_allclose(p.loss, (p.predictions - p.labels) ** 2, rtol=1e-4)

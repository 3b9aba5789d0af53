"""Model calls counted with a forward hook: occlusion and KernelSHAP make no single-row
calls of their own (the sample rides in their first batch, and explain() runs no separate
prediction for them), and precompute computes its first sample once in its batch (plus the
one explain()-style check), not twice."""
from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
import pytest

from explain_core import ExplanationService


@contextmanager
def counted(model):
    """Rows of every call into `model` itself."""
    calls = []
    handle = model.register_forward_pre_hook(lambda _m, inp: calls.append(int(inp[0].shape[0])))
    try:
        yield calls
    finally:
        handle.remove()


@pytest.fixture(scope="module")
def fresh(settings):
    """The stored models with no result cache: every explain() computes."""
    svc = ExplanationService(settings.with_(cache_type="null"))
    svc.ensure_models(model_ids=["mnist-cnn", "breast-cancer-mlp"])
    return svc


@pytest.mark.parametrize("model_id, windows", [("mnist-cnn", 169), ("breast-cancer-mlp", 30)])
def test_occlusion_is_one_model_call(fresh, model_id, windows):
    with counted(fresh.torch_model(model_id)) as calls:
        r = fresh.explain(model_id, 3, "occlusion")
    assert r.extras["n_windows"] == windows
    assert calls == [windows + 1]                       # the windows and the sample itself, nothing else
    with counted(fresh.torch_model(model_id)) as calls:
        fresh.explain(model_id, 3, "occlusion", target=1)
    assert calls == [windows + 1]


@pytest.mark.parametrize("model_id, rows", [("mnist-cnn", 256), ("breast-cancer-mlp", None)])
def test_kernel_shap_makes_no_single_row_call(fresh, model_id, rows):
    with counted(fresh.torch_model(model_id)) as calls:
        r = fresh.explain(model_id, 3, "kernel_shap")
    n = r.extras["n_coalitions"] + 2                    # the coalitions, f(x) and f(baseline)
    assert sum(calls) == n and min(calls) > 1
    if rows is not None:
        assert len(calls) == math.ceil(n / rows)
    else:
        assert len(calls) == 1
    with counted(fresh.torch_model(model_id)) as calls:
        fresh.explain(model_id, 3, "kernel_shap", target=0)
    assert sum(calls) == n


def test_the_first_result_still_equals_its_separate_prediction(fresh):
    """The sample in the batch names the same class and score as a call of its own."""
    import torch

    model = fresh.torch_model("mnist-cnn")
    x = fresh.dataset_for("mnist-cnn").X[3]
    with torch.no_grad():
        pred = int(model(torch.as_tensor(x)[None]).argmax())
    assert fresh.explain("mnist-cnn", 3, "occlusion").target == pred
    assert fresh.explain("mnist-cnn", 3, "kernel_shap").target == pred


@pytest.mark.parametrize("method, rows", [("saliency", [1]), ("smoothgrad", [26]), ("integrated_gradients", [])])
def test_explain_runs_no_separate_prediction_for_fused_methods(fresh, method, rows):
    """Each of these reads the predicted class in its own forward: saliency one row, SmoothGrad
    its 25 noisy copies and the sample, IG none through the model's own forward (its stem and
    head run the layers)."""
    with counted(fresh.torch_model("mnist-cnn")) as calls:
        fresh.explain("mnist-cnn", 5, method)
    assert calls == rows


def test_precompute_computes_its_first_sample_once(settings):
    svc = ExplanationService(settings.with_(cache_type="simple"))
    svc.ensure_models(model_ids=["mnist-cnn"])
    svc.samples("mnist-cnn").targets            # every sample's prediction: one batched pass, before counting
    with counted(svc.torch_model("mnist-cnn")) as calls:
        counts = svc.precompute("mnist-cnn", ["saliency"], sample_ids=list(range(10)))
    assert counts["computed"] == 10
    assert calls == [10, 1]          # one batched call for the ten, one explain()-style check of the first
    single = svc.explain("mnist-cnn", 0, "saliency")
    assert np.array_equal(single.attribution, svc.explain("mnist-cnn", 0, "saliency").attribution)

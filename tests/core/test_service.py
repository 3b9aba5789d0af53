"""The service façade: ids, samples, the cache, model hashes."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time

import numpy as np
import pytest
import torch

from tests.forward_counter import ForwardCounter
from explain_core import ExplanationService, Settings, TargetError, UnknownIdError
from explain_core.cache import make_cache
from explain_core.errors import ParameterError
from explain_core.methods.base import has_hooks
from explain_core.models.store import content_hash
from explain_core.models.zoo import DEFAULT_SPECS


def test_default_models_meet_accuracy_floors(service):
    acc = {m.model_id: m.accuracy for m in service.list_models()}
    assert acc["mnist-cnn"] >= 0.96
    assert acc["mnist-mlp"] >= 0.92
    assert acc["breast-cancer-mlp"] >= 0.94
    assert acc["known-truth-mlp"] >= 0.85
    assert acc["wine-mlp"] >= 0.9


def test_model_info_describes_the_model(service):
    info = service.model_info("mnist-cnn")
    assert info.kind == "image" and info.input_shape == (1, 28, 28)
    assert info.conv_layers == ("conv1", "conv2")
    assert info.n_test == 1000 and info.n_samples == 5000
    tab = service.model_info("breast-cancer-mlp")
    assert tab.kind == "tabular" and len(tab.feature_names) == 30 and tab.conv_layers == ()


def test_sample_prediction_matches_the_model(service):
    s = service.sample("mnist-cnn", 7)
    with torch.no_grad():
        logits = service.torch_model("mnist-cnn")(service.input_tensor("mnist-cnn", 7))
    assert s.prediction == int(logits.argmax())
    np.testing.assert_allclose(s.probabilities, torch.softmax(logits, 1)[0].numpy(), rtol=1e-5, atol=1e-6)
    table = service.samples("mnist-cnn")
    assert table.is_test.sum() == 1000
    assert (table.labels == service.dataset_for("mnist-cnn").y).all()


def test_repeated_request_does_no_model_computation(service):
    model = service.torch_model("mnist-cnn")
    with ForwardCounter(model) as first:
        a = service.explain("mnist-cnn", 11, "integrated_gradients", n_steps=16)
    with ForwardCounter(model) as second:
        b = service.explain("mnist-cnn", 11, "integrated_gradients", n_steps=16)
    assert first.any_calls > 0 and second.any_calls == 0
    assert a is b or np.array_equal(a.attribution, b.attribution)


def test_equal_requests_share_a_key_after_normalisation(service):
    """Default parameters spelled out, or a target equal to the prediction, hit the cache."""
    pred = service.sample("mnist-cnn", 12).prediction
    service.explain("mnist-cnn", 12, "saliency")
    hits = service.stats["hits"]
    service.explain("mnist-cnn", 12, "saliency", abs=True, target=pred)
    assert service.stats["hits"] == hits + 1
    assert service.cached("mnist-cnn", 12, "saliency", abs="true")
    assert not service.cached("mnist-cnn", 12, "saliency", abs=False)


def test_different_target_is_a_different_result(service):
    pred = service.sample("mnist-cnn", 13).prediction
    other = (pred + 1) % 10
    a = service.explain("mnist-cnn", 13, "gradient_x_input")
    b = service.explain("mnist-cnn", 13, "gradient_x_input", target=other)
    assert a.target == pred and b.target == other
    assert not np.allclose(a.attribution, b.attribution)


def test_retrained_model_gets_a_new_hash(tmp_path):
    spec = next(s for s in DEFAULT_SPECS if s.model_id == "wine-mlp")
    svc = ExplanationService(Settings(model_store=tmp_path / "m", cache_dir=tmp_path / "c"), specs=(spec,))
    before = svc.model_info("wine-mlp").hash
    model = svc.torch_model("wine-mlp")
    result_before = svc.explain("wine-mlp", 3, "saliency")
    with torch.no_grad():
        model.out.weight.add_(0.5)  # what retraining does to the weights
    tm = svc._model("wine-mlp")
    tm.hash = content_hash(model)
    assert tm.hash != before
    with ForwardCounter(model) as c:
        result_after = svc.explain("wine-mlp", 3, "saliency")
    assert c.any_calls > 0, "a changed model must not be served its old cached result"
    assert not np.allclose(result_before.attribution, result_after.attribution)


def test_retraining_with_another_seed_changes_the_hash(tmp_path):
    spec = next(s for s in DEFAULT_SPECS if s.model_id == "wine-mlp")
    h = [ExplanationService(Settings(model_store=tmp_path / f"m{seed}", cache_dir=tmp_path / "c", seed=seed),
                            specs=(spec,)).model_info("wine-mlp").hash for seed in (0, 1)]
    assert h[0] != h[1]


def test_stored_models_reload_with_the_same_hash(service, settings):
    again = ExplanationService(settings)
    assert again.models_stored()
    assert again.model_info("mnist-cnn").hash == service.model_info("mnist-cnn").hash


def test_unknown_ids_and_bad_parameters_are_clear_errors(service):
    with pytest.raises(UnknownIdError, match="Unknown model 'nope'"):
        service.explain("nope", 0, "saliency")
    with pytest.raises(UnknownIdError, match="samples 0..4999"):
        service.explain("mnist-cnn", 5000, "saliency")
    with pytest.raises(UnknownIdError, match="Unknown sample 'abc'"):
        service.sample("mnist-cnn", "abc")
    with pytest.raises(UnknownIdError, match="Unknown method 'magic'"):
        service.explain("mnist-cnn", 0, "magic")
    with pytest.raises(TargetError, match="out of range"):
        service.explain("mnist-cnn", 0, "saliency", target=10)
    with pytest.raises(ParameterError, match="n_steps must be 'auto' or a whole number from 2 to 1000"):
        service.explain("mnist-cnn", 0, "integrated_gradients", n_steps=0)
    with pytest.raises(ParameterError, match="Unknown parameter"):
        service.explain("mnist-cnn", 0, "saliency", steps=3)
    with pytest.raises(ParameterError, match="Grad-CAM needs an image model"):
        service.explain("breast-cancer-mlp", 0, "gradcam")
    assert not has_hooks(service.torch_model("mnist-cnn"))


def second_service_reads_the_first_ones_result(a, b, model_id, sample, method):
    """b, sharing a's cache, answers what a computed without running the model; (a's, b's)."""
    ra = a.explain(model_id, sample, method)
    with ForwardCounter(b.torch_model(model_id)) as c:
        rb = b.explain(model_id, sample, method)
    assert c.any_calls == 0
    np.testing.assert_array_equal(ra.attribution, rb.attribution)
    return ra, rb


def test_filesystem_cache_is_shared_between_services(settings, tmp_path):
    fs = settings.with_(cache_type="filesystem", cache_dir=tmp_path / "fs")
    second_service_reads_the_first_ones_result(ExplanationService(fs), ExplanationService(fs), "mnist-cnn", 21,
                                               "saliency")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    exe = shutil.which("redis-server")
    if exe is None:
        import os
        if os.environ.get("CI"):
            pytest.fail("redis-server must be installed in CI (.ci/run installs it)")
        pytest.skip("redis-server is not installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    import redis
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(5)


def test_redis_cache_is_shared_between_services(settings, redis_url):
    rs = settings.with_(cache_type="redis", cache_url=redis_url)
    ra, rb = second_service_reads_the_first_ones_result(ExplanationService(rs), ExplanationService(rs),
                                                        "breast-cancer-mlp", 5, "integrated_gradients")
    assert rb.delta == ra.delta


def test_unknown_cache_type_is_rejected(settings):
    with pytest.raises(ValueError, match="unknown cache type"):
        make_cache(settings.with_(cache_type="memcached-ish"))


def test_in_process_cache_evicts_oldest_not_everything(settings):
    cache = make_cache(settings.with_(cache_type="simple", cache_threshold=10))
    for i in range(25):
        cache.set(f"k{i}", i)
    kept = [i for i in range(25) if cache.get(f"k{i}") is not None]
    assert len(kept) >= 10 and kept[-1] == 24 and kept == list(range(25 - len(kept), 25))


def test_concurrent_requests_load_a_model_once(settings, tmp_path):
    """Callbacks run in threads: two asking for a not-yet-loaded model share one load."""
    import threading

    from explain_core.models import zoo

    svc = ExplanationService(settings)
    loads, real = [], zoo.load_or_train

    def counting(*a, **kw):
        loads.append(a[0].model_id)
        time.sleep(0.2)  # widen the window two unserialised loads would both fall into
        return real(*a, **kw)

    import explain_core.service as service_module
    service_module.load_or_train, original = counting, service_module.load_or_train
    try:
        threads = [threading.Thread(target=svc.model_info, args=("wine-mlp",)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        service_module.load_or_train = original
    assert loads == ["wine-mlp"]

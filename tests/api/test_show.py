"""glimpse.show / build_service: the caller's models (and only them) in a served page,
several models in the picker, labels and training rows as given, and a clear message for
every input a user can get wrong."""
from __future__ import annotations

import socket
import threading
import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import glimpse
from dashboard.sample_info import model_options
from explain_core.errors import DataError, GlimpseError, ModelError, ParameterError, UnsupportedError
from tests.api.models import MakesNaN, Raises, digits, functional_mlp, resnetish, rows
from tests.deploy.conftest import http_get, wait_until

DIGITS = tuple("zero one two three four five six seven eight nine".split())


@pytest.fixture
def served():
    handles = []

    def start(*args, **kw):
        handle = glimpse.show(*args, port=0, block=False, jupyter=False, **kw)
        handles.append(handle)
        return handle
    yield start
    for h in handles:
        h.stop()


def table(n: int = 40):
    X = pd.DataFrame(rows(n).numpy(), columns=["age", "dose", "weight", "height", "bp", "pulse"])
    y = pd.Series(np.arange(n) % 3)
    return X, y


def test_show_serves_the_callers_model_and_only_it(served):
    model, X = resnetish(), digits(24)
    y = model(X).argmax(1)
    h = served(model, X, y, class_names=DIGITS, title="My ResNet")
    for path in ("", "_dash-layout", "assets/style.css"):
        status, _, body = http_get(h.url + path)
        assert status == 200 and body, path
    wait_until(lambda: http_get(h.url + "_glimpse/health")[2].find(b'"ready":true') >= 0, 30, "page ready")
    infos = h.service.list_models()
    assert [i.model_id for i in infos] == ["my-resnet"]
    info = infos[0]
    assert (info.title, info.source, info.kind, info.n_samples, info.class_names) == \
        ("My ResNet", "python", "image", 24, DIGITS)
    assert info.accuracy == 1.0 and "ResNetish" in info.architecture
    assert "block.0" in [name for name, _ in info.layers] and info.conv_layers[-1] == "block.3"
    assert h.service.specs == {}                                          # no built-in model trained or loaded
    assert not Path(h.service.settings.model_store).is_relative_to(Path.cwd())
    r = h.service.explain("my-resnet", 5, "integrated_gradients")
    np.testing.assert_allclose(r.attribution, glimpse.explain(model, X[5]).attribution, rtol=1e-5, atol=1e-7)
    url = h.url
    h.stop()
    with pytest.raises(urllib.error.URLError):
        http_get(url, timeout=2)


def test_a_dict_of_models_puts_both_in_the_picker(served):
    X, y = table()
    h = served({"baseline": functional_mlp(0), "pruned": functional_mlp(1)}, X, y, class_names=["a", "b", "c"])
    assert http_get(h.url + "_dash-layout")[0] == 200
    infos = h.service.list_models()
    assert [i.model_id for i in infos] == ["baseline", "pruned"]
    assert all(i.feature_names == tuple(X.columns) and i.n_samples == 40 for i in infos)
    assert [(o["value"], o["label"]) for o in model_options(h.service)] == \
        [("baseline", "baseline (table, from Python)"), ("pruned", "pruned (table, from Python)")]
    a = h.service.explain("baseline", 7, "saliency", target=1)
    b = h.service.explain("pruned", 7, "saliency", target=1)
    np.testing.assert_array_equal(a.inputs, b.inputs)                    # the same sample
    assert h.service.dataset_for("baseline") is h.service.dataset_for("pruned")   # held once
    assert not np.allclose(a.attribution, b.attribution)                  # two models


def test_labels_as_names_training_rows_and_no_labels():
    X, y = table()
    names = np.array(["low", "mid", "high"])[y.to_numpy()]
    X_train = rows(60, seed=1)
    svc = glimpse.build_service(functional_mlp(), X, pd.Series(names), X_train=X_train,
                                class_names=["low", "mid", "high"])
    t = svc.samples("functionalmlp")
    assert list(t.labels[:40]) == list(y) and t.is_test.sum() == 40 and len(t.labels) == 100
    assert "training rows came without labels" in " ".join(svc.model_info("functionalmlp").notes)
    mean = svc.explain("functionalmlp", 0, "integrated_gradients", baseline="mean", n_steps=50)
    model = svc.torch_model("functionalmlp")
    with torch.no_grad():
        diff = float(model(torch.tensor(X.to_numpy()[:1]))[0, mean.target]
                     - model(X_train.mean(0, keepdim=True))[0, mean.target])
    assert float(mean.attribution.sum()) == pytest.approx(diff, rel=2e-3, abs=1e-4)   # X_train's mean
    unlabelled = glimpse.build_service(functional_mlp(), X)
    info = unlabelled.model_info("functionalmlp")
    assert np.isnan(info.accuracy) and "No labels" in " ".join(info.notes)
    t = unlabelled.samples("functionalmlp")
    np.testing.assert_array_equal(t.labels, t.predictions)


def test_a_model_changed_in_place_is_explained_anew():
    model, X = functional_mlp(), rows()
    svc = glimpse.build_service(model, X, np.arange(40) % 3)
    before = svc.explain("functionalmlp", 4, "integrated_gradients", target=2)
    probs = svc.samples("functionalmlp").probabilities.copy()
    with torch.no_grad():                     # a notebook user editing the shown model
        model.out.weight.mul_(-1.5)
    after = svc.explain("functionalmlp", 4, "integrated_gradients", target=2)
    assert not np.allclose(before.attribution, after.attribution)
    np.testing.assert_allclose(after.attribution, glimpse.explain(model, X[4], target=2).attribution,
                               rtol=1e-5, atol=1e-7)
    assert not np.allclose(svc.samples("functionalmlp").probabilities, probs)


def single_logit():
    return nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 1))


@pytest.mark.parametrize("args,kw,error,words", [
    ((functional_mlp(), rows(10), np.zeros(9)), {}, DataError, "y has 9 labels but there are 10 samples"),
    ((functional_mlp(), rows(10), np.zeros(10)), {"class_names": ["a", "b"]}, ModelError,
     "2 class names were given, but the model returns 3 outputs"),
    ((functional_mlp(), rows(10), np.full(10, 7)), {}, DataError, "holds class 7, but the model has 3 classes"),
    ((functional_mlp(), rows(10), ["x"] * 10), {"class_names": "abc"}, DataError, "neither class numbers nor"),
    ((resnetish(), torch.rand(4, 2, 32, 32)), {}, UnsupportedError, "1 or 3 channels"),
    ((resnetish(), torch.rand(2, 28, 28, 3)), {}, UnsupportedError, "channels last?"),
    ((resnetish(), torch.rand(2, 1, 300, 28)), {}, UnsupportedError, "8 to 256 pixels"),
    ((resnetish(), torch.rand(2, 1, 28, 4)), {}, UnsupportedError, "these are 1×28×4"),
    ((functional_mlp(), torch.rand(4, 5)), {}, ModelError, "inputs of shape (5,)"),
    ((functional_mlp(), torch.rand(4, 2, 3, 4, 5)), {}, UnsupportedError, "not supported"),
    ((Raises(), rows(10)), {}, ModelError, "boom in forward"),
    ((MakesNaN(), rows(10)), {}, ModelError, "NaN or infinite values for 10 of 10 samples"),
    ((functional_mlp(), rows(10)), {"task": "regression"}, UnsupportedError, "must return one output"),
    ((functional_mlp(), rows(10)), {"task": "ranking"}, ParameterError, "task must be"),
    ((single_logit(), rows(10), ["a"] * 10), {"task": "regression"}, DataError, "must hold numbers"),
    ((single_logit(), rows(10), np.arange(10) % 2), {"class_names": ["a", "b", "c"]}, ModelError,
     "two names, negative class first"),
    ((single_logit(), rows(10), np.linspace(0, 3, 10)), {"class_names": ["a", "b"]}, ModelError,
     "one name: the target's"),
    ((functional_mlp(), pd.DataFrame({"a": [1.0], "city": ["Oslo"]})), {}, DataError, "not numbers: city"),
    ((functional_mlp(), np.full((3, 6), np.nan)), {}, DataError, "NaN or infinite values (in 3 rows"),
    ((functional_mlp(), np.zeros((0, 6))), {}, DataError, "empty"),
    (({}, rows(10)), {}, ModelError, "No model given"),
    ((functional_mlp(), rows(10)), {"y_train": np.zeros(5)}, DataError, "y_train was given without X_train"),
    ((functional_mlp(), rows(10)), {"X_train": torch.rand(5, 4)}, DataError, "training rows have shape (4,)"),
    ((functional_mlp(), rows(10)), {"feature_names": ["a"]}, DataError, "1 feature names"),
    (("a model", rows(10)), {}, ModelError, "torch.nn.Module"),
])
def test_clear_messages(args, kw, error, words):
    with pytest.raises(error) as e:
        glimpse.build_service(*args, **kw)
    assert words in str(e.value)
    assert isinstance(e.value, GlimpseError)


def test_a_taken_port_is_a_clear_message(served):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        with pytest.raises(GlimpseError, match="already in use"):
            glimpse.show(functional_mlp(), rows(10), port=s.getsockname()[1], block=False, jupyter=False)


def test_jupyter_without_a_kernel_says_what_to_install():
    with pytest.raises(GlimpseError, match="ipykernel"):
        glimpse.show(functional_mlp(), rows(10), port=0, jupyter=True)


def test_in_a_notebook_show_returns_at_once(monkeypatch):
    """Dash's Jupyter support is what serves; here it is replaced by a stand-in that does
    what it does (a server thread, kept in jupyter_dash._servers), as no kernel runs."""
    from dash import jupyter_dash
    from werkzeug.serving import make_server

    calls = []

    def run_app(app, mode=None, host="127.0.0.1", port=8050, **kw):
        server = make_server(host, port, app.server, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        jupyter_dash._servers[(host, port)] = server
        calls.append(mode)

    monkeypatch.setattr(type(jupyter_dash), "active", property(lambda self: True))
    monkeypatch.setattr(jupyter_dash, "run_app", run_app)
    monkeypatch.setattr("glimpse.serving.in_notebook", lambda: True)
    h = glimpse.show(functional_mlp(), rows(10), port=0)           # jupyter=None: detected
    try:
        assert calls == ["inline"]
        assert http_get(h.url + "_dash-layout")[0] == 200
    finally:
        h.stop()
    with pytest.raises(urllib.error.URLError):
        http_get(h.url, timeout=2)


def test_stop_refuses_connections_while_the_serving_thread_is_still_closing():
    """In Jupyter, Dash's thread serves and closes the socket too when serve_forever ends;
    a close still under way there (a second descriptor here) kept the port listening after
    stop() returned, and a connection then was reset instead of refused."""
    import flask
    from werkzeug.serving import make_server

    from glimpse.serving import Running

    server = make_server("127.0.0.1", 0, flask.Flask("stand-in"), threaded=True)
    port = server.socket.getsockname()[1]
    still_closing = server.socket.dup()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Running(None, f"http://127.0.0.1:{port}/", server, serving=True).stop()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        still_closing.close()

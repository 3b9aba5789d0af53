"""A large data set's outputs come in the background: the page's rows are answered at once,
whatever needs every prediction gets them (computing what is left itself), failures are
named by sample, and the service's sample table, accuracy and status follow."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from explain_core import ExplanationService, Settings
from explain_core.data.arrays import from_arrays
from explain_core.errors import ModelError
from explain_core.models.background_outputs import BackgroundOutputs
from tests.gated_model import Gated

N, FIRST = 5_300, 1_000


def data(n=N, n_features=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features)).astype(np.float32)
    return X, rng.integers(0, 3, n)


def test_rows_before_the_thread_reaches_them_and_all_of_them_after():
    model = Gated(6, 3)
    X, _ = data()
    ref = model.reference(X)
    job = BackgroundOutputs(model, X, ref[:FIRST]).start()
    try:
        assert job.status() == {"done": FIRST, "total": N, "error": None}
        ids_ = [N - 1, 3, 4_321, N - 1]
        np.testing.assert_allclose(job.rows(ids_), ref[ids_], rtol=1e-6, atol=1e-6)
        assert job.status()["done"] == FIRST + 2          # only the rows asked for ran
        model.gate.set()
        np.testing.assert_allclose(job.result(30), ref, rtol=1e-6, atol=1e-6)
        assert job.finished and job.status() == {"done": N, "total": N, "error": None}
    finally:
        model.gate.set()
        job.stop()


def test_who_needs_every_output_computes_them_without_waiting_for_the_thread():
    model = Gated(6, 3)                       # the gate stays shut: the thread never gets past its first chunk
    X, _ = data()
    ref = model.reference(X)
    job = BackgroundOutputs(model, X, ref[:FIRST]).start()
    try:
        np.testing.assert_allclose(job.result(30), ref, rtol=1e-6, atol=1e-6)
        assert model.background_calls <= 1
    finally:
        model.gate.set()
        job.stop()


class NaNAt(nn.Module):
    def __init__(self, bad: int):
        super().__init__()
        self.bad = bad
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        out = self.fc(x)
        return torch.where((x[:, :1] == self.bad), torch.full_like(out, float("nan")), out)


def test_a_model_that_fails_on_some_sample_is_named_by_that_sample():
    X, _ = data()
    X[:, 0] = np.arange(N)          # the model marks the sample whose first feature is its id
    job = BackgroundOutputs(NaNAt(4_321), X, np.zeros((FIRST, 3), np.float32)).start()
    with pytest.raises(ModelError, match=r"NaN or infinite values for sample 4321 \(1 of samples 4000..4999\)"):
        job.result(30)
    assert "sample 4321" in job.status()["error"]
    with pytest.raises(ModelError, match="sample 4321"):
        job.rows([4_321])


def test_a_stopped_job_leaves_what_is_left_to_whoever_asks():
    model = Gated(6, 3)
    X, _ = data()
    ref = model.reference(X)
    job = BackgroundOutputs(model, X, ref[:FIRST]).start()
    job._stop.set()             # what stop() does first: the thread takes no chunk after this
    model.gate.set()
    job.stop()
    assert job.finished and not job._thread.is_alive() and job.status()["done"] < N
    np.testing.assert_allclose(job.result(5), ref, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------------ the service
@pytest.fixture
def gated_service(tmp_path):
    model = Gated(6, 3)
    X, y = data()
    dataset = from_arrays("gated", X, y, ("a", "b", "c"))
    service = ExplanationService(Settings(model_store=tmp_path / "m", cache_dir=tmp_path / "c", cache_type="simple"),
                                 specs=())
    mid = service.add_model(model, dataset, model_id="gated", first_outputs=model.reference(X)[:FIRST])
    yield service, mid, model, X, y
    model.gate.set()
    service._pending.get(mid) and service._pending[mid].stop()


def test_the_service_answers_the_page_before_every_output_is_in(gated_service):
    service, mid, model, X, y = gated_service
    ref = model.reference(X)
    assert service.outputs_status(mid) == {"done": FIRST, "total": N, "error": None}
    info = service.model_info(mid)
    assert info.outputs_done == (FIRST, N) and np.isnan(info.accuracy)
    # labels and splits never wait; predictions are None until they are all in
    t = service.sample_labels(mid)
    assert t.predictions is None and np.array_equal(t.labels, y) and t.is_test.all()
    rows = service.sample_rows(mid, [N - 1, 7])
    assert rows.predictions.tolist() == ref[[N - 1, 7]].argmax(1).tolist()
    assert rows.labels.tolist() == y[[N - 1, 7]].tolist()
    s = service.sample(mid, N - 2)
    assert s.prediction == int(ref[N - 2].argmax()) and s.label == int(y[N - 2])
    # the whole table: computed here, the gate still shut
    table = service.samples(mid)
    assert np.array_equal(table.predictions, ref.argmax(1))
    info = service.model_info(mid)
    assert info.outputs_done is None and service.outputs_status(mid) is None
    assert info.accuracy == pytest.approx(float((ref.argmax(1) == y).mean()))


def test_weights_changed_while_outputs_come_in_are_followed(gated_service):
    service, mid, model, X, _ = gated_service
    with torch.no_grad():
        model.fc.weight.mul_(-1)             # in place: the background outputs are stale now
    assert np.array_equal(service.samples(mid).predictions, model.reference(X).argmax(1))
    assert np.array_equal(service.sample_rows(mid, [N - 1]).predictions, model.reference(X)[[N - 1]].argmax(1))


def test_a_failure_on_a_later_sample_is_shown_and_the_other_rows_still_work(tmp_path):
    X, y = data()
    X[:, 0] = np.arange(N)
    model = NaNAt(4_321)
    service = ExplanationService(Settings(model_store=tmp_path / "m", cache_dir=tmp_path / "c", cache_type="simple"),
                                 specs=())
    with torch.no_grad():
        first = model(torch.as_tensor(X[:FIRST])).numpy()
    mid = service.add_model(model, from_arrays("nan", X, y, ("a", "b", "c")), first_outputs=first)
    with pytest.raises(ModelError, match="sample 4321"):
        service.samples(mid)                               # what the misclassified filter asks for
    info = service.model_info(mid)
    assert "sample 4321" in info.outputs_error and info.outputs_done[0] < N
    assert service.sample_rows(mid, [5, N - 1]).labels.tolist() == y[[5, N - 1]].tolist()
    with pytest.raises(ModelError, match="sample 4321"):
        service.sample(mid, 4_321)


def test_unlabelled_data_is_run_on_every_sample_at_once(tmp_path):
    model = Gated(6, 3)
    X, y = data(2_500)
    dataset = from_arrays("unlabelled", X, y, ("a", "b", "c"))
    service = ExplanationService(Settings(model_store=tmp_path / "m", cache_dir=tmp_path / "c", cache_type="simple"),
                                 specs=())
    mid = service.add_model(model, dataset, labelled=False, first_outputs=model.reference(X)[:FIRST])
    assert service.outputs_status(mid) is None and model.background_calls == 0
    assert np.array_equal(service.samples(mid).predictions, model.reference(X).argmax(1))

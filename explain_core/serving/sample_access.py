"""ExplanationService's samples: the sample table (labels, predictions), rows, single
samples, input tensors and the sample part of cache keys."""
from __future__ import annotations

import numpy as np
import torch

from ..errors import UnknownIdError
from ..methods.base import as_whole, shown
from ..models.training import predict_logits
from ..models.zoo import TrainedModel
from .records import Sample, SampleTable


class SampleAccess:
    """Mixin of ExplanationService: the state it uses is set in its __init__."""

    def samples(self, model_id: str) -> SampleTable:
        """Every sample with its label and the model's prediction. A model whose outputs are
        still being computed in the background (outputs_status) is waited for."""
        tm = self._model(model_id)
        digest = self._hash(tm)                          # predictions follow in-place weight changes
        with self._lock:
            held = self._tables.get(model_id)
            if held is not None and held[0] == digest:
                return held[1]
            pending = self._pending.get(model_id)
        if pending is not None and digest == tm.hash:    # its weights are still those it started with
            table = self._table(tm, pending.result())
            if tm.head.task == "classification":         # the accuracy waited for every output
                tm.accuracy = float((table.predictions[tm.data.test_idx] == tm.data.y_test).mean())
        else:
            table = self._table(tm, predict_logits(tm.module, tm.data.X))   # no hooks: needs no lock
        with self._lock:
            self._tables[model_id] = (digest, table)
            if self._pending.get(model_id) is pending:
                self._pending.pop(model_id, None)
        return table

    def outputs_status(self, model_id: str) -> dict | None:
        """While a model's outputs for its samples are computed in the background (glimpse.show
        on a large data set): {"done", "total", "error"}; None when they are all in."""
        with self._lock:
            pending = self._pending.get(model_id)
        if pending is None:
            return None
        status = pending.status()
        return None if status["done"] == status["total"] and pending.finished else status

    def sample_labels(self, model_id: str) -> SampleTable:
        """The sample table, but without waiting for a model's outputs still being computed:
        its predictions and probabilities are then None (labels and splits are known)."""
        tm = self._model(model_id)
        if self.outputs_status(model_id) is None:
            return self.samples(model_id)
        return SampleTable(model_id, tm.data.y, None, None, self._is_test(tm), tm.head.task)

    def sample_rows(self, model_id: str, ids) -> SampleTable:
        """The sample table's rows `ids` only (in that order): a page of the browser. While the
        model's outputs are still being computed, only these rows go through the model."""
        tm = self._model(model_id)
        ids = np.asarray([self._index(tm, i) for i in np.asarray(ids).reshape(-1)], dtype=np.int64)
        with self._lock:
            pending = self._pending.get(model_id)
        failed = pending is not None and pending.status()["error"] is not None   # the other rows still work
        if pending is None or (pending.finished and not failed) or self._hash(tm) != tm.hash:
            t = self.samples(model_id)
            return SampleTable(model_id, t.labels[ids], t.predictions[ids], t.probabilities[ids], t.is_test[ids],
                               t.task)
        return self._table(tm, pending.rows(ids), ids)

    @staticmethod
    def _is_test(tm: TrainedModel) -> np.ndarray:
        is_test = np.zeros(len(tm.data.X), bool)
        is_test[tm.data.test_idx] = True
        return is_test

    def _table(self, tm: TrainedModel, logits: np.ndarray, ids: np.ndarray | None = None) -> SampleTable:
        """logits: the model's raw outputs (for the rows ids, default all), turned into
        answers by its head."""
        from ..model_facts import answers

        predictions, probs = answers(tm.head, logits)
        labels, is_test = tm.data.y, self._is_test(tm)
        labels, is_test = (labels.copy(), is_test) if ids is None else (labels[ids], is_test[ids])
        table = SampleTable(tm.model_id, labels, predictions, probs, is_test, tm.head.task)
        for a in (table.labels, table.predictions, table.probabilities, table.is_test):
            a.setflags(write=False)
        return table

    def _index(self, tm: TrainedModel, sample_id) -> int:
        i = as_whole(sample_id)
        if i is None or not 0 <= i < len(tm.data.X):
            raise UnknownIdError(f"Unknown sample {shown(sample_id)}: sample ids are row numbers; "
                                 f"{tm.model_id} has samples 0..{len(tm.data.X) - 1}")
        return i

    def sample(self, model_id: str, sample_id) -> Sample:
        tm = self._model(model_id)
        i = self._index(tm, sample_id)
        t = self.sample_rows(model_id, [i])
        cast = float if t.task == "regression" else int
        return Sample(model_id, i, tm.data.X[i].copy(), cast(t.labels[0]), cast(t.predictions[0]),
                      t.probabilities[0].copy(), bool(t.is_test[0]))

    def input_tensor(self, model_id: str, sample_id) -> torch.Tensor:
        tm = self._model(model_id)
        return torch.as_tensor(tm.data.X[self._index(tm, sample_id)]).unsqueeze(0).clone()

    def _sample_key(self, tm: TrainedModel, i: int) -> str:
        fp = self._fingerprints.get(id(tm.data))
        if fp is None:
            fp = self._fingerprints.setdefault(id(tm.data), tm.data.fingerprint())
        return f"{fp}:{i}"

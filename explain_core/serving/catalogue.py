"""ExplanationService's models: data sets, loading and registering models, their ids,
hashes and ModelInfo (explain_core/service.py holds _model, the one lookup)."""
from __future__ import annotations

from typing import Callable

import numpy as np
from torch import nn

from ..data import breast_cancer, diabetes, known_truth, load_image_dataset, seed_binary, wine
from ..data.dataset import Dataset
from ..data.digits8 import digits_8x8
from ..data.shortcut import shortcut_digits
from ..errors import GlimpseError, UnknownIdError
from ..methods.attention import attention_layers
from ..methods.base import conv_layers, layer_type, named_layers
from ..models.background_outputs import BackgroundOutputs
from ..models.training import TrainProgress
from ..models.zoo import TrainedModel, spec_kind
from .records import ModelInfo, Progress


class ModelCatalogue:
    """Mixin of ExplanationService: the state it uses is set in its __init__."""

    def dataset(self, name: str) -> Dataset:
        with self._lock:
            if name not in self._data:
                s = self.settings
                loaders = {
                    "image": lambda: load_image_dataset(s.data_dir, s.cache_dir, s.seed),
                    "breast-cancer": lambda: breast_cancer(s.seed),
                    "wine": lambda: wine(s.seed),
                    "known-truth": lambda: known_truth(s.seed),
                    "seed-binary": lambda: seed_binary(s.seed),
                    "diabetes": lambda: diabetes(s.seed),
                    "shortcut-digits": lambda: shortcut_digits(s.cache_dir, s.seed),
                    "digits-8x8": lambda: digits_8x8(s.seed),
                }
                if name not in loaders:
                    raise UnknownIdError(f"Unknown data set {name!r}")
                self._data[name] = loaders[name]()
            return self._data[name]

    def ensure_models(self, progress: Progress | None = None, model_ids=None) -> None:
        """Load every default model, training (and storing) the ones not stored yet."""
        ids = list(model_ids or self.specs)
        for i, mid in enumerate(ids):
            if progress:
                progress({"model_id": mid, "index": i, "total": len(ids), "stage": "loading"})
            self._model(mid, progress=self._train_progress(progress, mid, i, len(ids)))
        if progress:
            progress({"model_id": None, "index": len(ids), "total": len(ids), "stage": "ready"})

    def models_stored(self, model_ids=None) -> bool:
        """True when every default model (or each of `model_ids`) is already in the store
        (start-up will be fast). Loads their data sets, nothing else."""
        for spec in (self.specs[m] for m in (model_ids or self.specs)):
            try:
                data = self.dataset(spec.dataset)
            except GlimpseError:
                return False
            if not self.store.has(spec.key(data, self.settings.seed)):
                return False
        return True

    @staticmethod
    def _train_progress(progress, mid, index, total):
        if progress is None:
            return None

        def report(p: TrainProgress):
            progress({"model_id": mid, "index": index, "total": total, "stage": "training",
                      "epoch": p.epoch, "epochs": p.epochs, "loss": p.loss, "accuracy": p.train_accuracy})
        return report


    def add_loader(self, model_id: str, loader: Callable[[], TrainedModel]) -> None:
        """A model built by `loader` when first asked for (a model list in a Celery worker)."""
        with self._lock:
            self._loaders[model_id] = loader

    def register(self, tm: TrainedModel, logits: np.ndarray | None = None,
                 pending: BackgroundOutputs | None = None) -> None:
        """Add a model built elsewhere (an upload, a caller's model) under its id; `logits`
        for every sample, when already computed, spare the sample table's forward pass;
        `pending`: those outputs, still being computed in the background."""
        self._live.seed(tm.module, tm.hash)
        with self._lock:
            self._models[tm.model_id] = tm
            self._tables.pop(tm.model_id, None)
            old = self._pending.pop(tm.model_id, None)
            if logits is not None:
                self._tables[tm.model_id] = (tm.hash, self._table(tm, logits))
            if pending is not None:
                self._pending[tm.model_id] = pending
        if old is not None:
            old.stop(0)

    def add_model(self, module: nn.Module, data: Dataset, title: str | None = None, model_id: str | None = None,
                  source: str = "python", labelled: bool = True, logits: np.ndarray | None = None,
                  head=None, first_outputs: np.ndarray | None = None) -> str:
        """Register a caller's nn.Module on `data` (explain_core.data.arrays.from_arrays); it is
        run on every sample first (unless its `logits` for them are given), and a model that
        fails is a ModelError. labelled=False: data.y are not true labels. head: what its
        outputs mean (models.heads.Head; default: told from them and the data).
        first_outputs: its outputs for the first rows only (a large data set): the others
        are computed in the background (outputs_status), the page need not wait for them.
        Returns its id."""
        from ..models.inprocess import trained_model

        model_id = model_id or type(module).__name__.lower()
        first = first_outputs if logits is None and labelled else None   # unlabelled: run on all now
        tm, logits = trained_model(module, data, model_id, title or type(module).__name__, source,
                                   logits=logits if first is None else first,
                                   labelled=labelled and first is None, head=head)
        if first is None:
            self.register(tm, logits)
        else:     # the accuracy is known once every output is (samples())
            self.register(tm, pending=BackgroundOutputs(module, data.X, first).start())
        return model_id

    def weights_hash(self, model_id: str) -> str:
        """The model's content hash as its weights are now (they may change in place)."""
        return self._hash(self._model(model_id))

    def _hash(self, tm: TrainedModel) -> str:
        return self._live.hash(tm.module)

    def model_ids(self) -> list[str]:
        from ..uploads import stored_upload_ids

        with self._lock:
            loaded = list(self._models)
        ids = list(self.specs) + [m for m in loaded if m not in self.specs]
        return ids + [m for m in stored_upload_ids(self.store) if m not in ids]

    def model_choices(self) -> list[tuple[str, str, str, str]]:
        """(model id, title, kind, source) of every model, without loading any: default
        models not loaded yet are described by their specs (a picker can list them while
        they still load; choosing one loads it)."""
        with self._lock:
            loaded = dict(self._models)
        out = []
        for mid in self.model_ids():
            tm = loaded.get(mid)
            if tm is not None:
                out.append((mid, tm.spec.title, tm.data.kind, tm.source))
            elif mid in self.specs:
                spec = self.specs[mid]
                out.append((mid, spec.title, spec_kind(spec), "builtin"))
            else:
                try:
                    info = self.model_info(mid)
                except GlimpseError:
                    continue  # a broken upload must not hide the others
                out.append((mid, info.title, info.kind, info.source))
        return out

    def list_models(self) -> list[ModelInfo]:
        out = []
        for mid in self.model_ids():
            try:
                out.append(self.model_info(mid))
            except GlimpseError:
                continue  # a broken upload must not hide the others
        return out

    def model_info(self, model_id: str) -> ModelInfo:
        tm = self._model(model_id)
        d = tm.data
        running = self._outputs_facts(model_id)      # first: it sets the accuracy once all outputs are in
        return ModelInfo(
            model_id=model_id, title=tm.spec.title, kind=d.kind, source=tm.source, dataset=d.name,
            dataset_description=d.description,
            architecture=str(getattr(tm.module, "architecture", tm.spec.arch)),
            accuracy=tm.accuracy, hash=self._hash(tm), input_shape=d.input_shape, class_names=d.class_names,
            feature_names=d.feature_names if d.kind == "tabular" else (),
            layers=tuple((n, layer_type(m)) for n, m in named_layers(tm.module)),
            conv_layers=tuple(conv_layers(tm.module)), attention_layers=tuple(attention_layers(tm.module)),
            n_samples=len(d.X), n_test=len(d.test_idx),
            notes=d.notes + tuple(getattr(tm.module, "glimpse_notes", ())), train_accuracy=tm.train_accuracy,
            task=tm.head.task, output=tm.head.output, output_note=tm.head.describe(d.class_names), **self._facts(tm),
            **running,
        )

    def _outputs_facts(self, model_id: str) -> dict:
        """ModelInfo's outputs_done and outputs_error while the model's outputs come in the
        background; once they are all in, the sample table is built (and the accuracy known)."""
        status = self.outputs_status(model_id)
        if status is None:
            with self._lock:
                finished = model_id in self._pending
            if finished:
                self.samples(model_id)
            return {}
        return {"outputs_done": (status["done"], status["total"]), "outputs_error": status["error"]}

    def _facts(self, tm: TrainedModel) -> dict:
        """Regression's R², MAE and target range; the informative-feature share where the
        data knows its informative features (computed once per weights, then kept)."""
        from ..model_facts import informative_share, regression_metrics

        d, out = tm.data, {}
        if tm.head.task == "regression":
            out["target_range"] = (float(d.y.min()), float(d.y.max()))
        if tm.head.task == "regression" and self.outputs_status(tm.model_id) is None:   # else: not known yet
            t = self.samples(tm.model_id)
            out["r2"], out["mae"] = regression_metrics(t.labels[d.test_idx], t.predictions[d.test_idx])
        if d.informative:
            digest = self._hash(tm)
            with self._lock:
                share = self._shares.get(digest)
            if share is None:
                with self._compute_lock(tm.model_id):
                    share = informative_share(tm.explained, d.X_test, d.informative)
                with self._lock:
                    self._shares[digest] = share
            out["informative_share"] = share
        return out

    def torch_model(self, model_id: str) -> nn.Module:
        return self._model(model_id).module

    def explained_model(self, model_id: str) -> nn.Module:
        """What the methods run: one score per class (a single logit as [−z, z], see
        models/heads.py); the module itself for multi-class logits."""
        return self._model(model_id).explained

    def dataset_for(self, model_id: str) -> Dataset:
        return self._model(model_id).data

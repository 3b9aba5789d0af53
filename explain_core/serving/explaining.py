"""ExplanationService's analyses: explain() and its cache keys, arbitrary inputs,
precompute, and the delegates to quality, robustness and model views."""
from __future__ import annotations

import threading

import torch

from ..cache import result_key
from ..errors import GlimpseError, ParameterError
from ..methods.base import check_target, resolve_target
from ..methods.registry import METHODS, RUNNERS, method_spec, normalise_params
from ..models.zoo import TrainedModel

# Methods that read the predicted class in their own first model call (the sample rides in
# it): explain() does not run a separate prediction for them.
FINDS_ITS_TARGET = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "occlusion", "kernel_shap")


class Explaining:
    """Mixin of ExplanationService: the state it uses is set in its __init__."""

    def _compute_lock(self, model_id: str) -> threading.Lock:
        """Held by methods that put hooks on the shared module (one at a time per model)."""
        return self.compute.hook_lock(model_id)

    def explain(self, model_id: str, sample_id, method: str, target: int | None = None,
                client: str | None = None, **params):
        """client: who asks (a browser's key), for the per-client limit on expensive methods;
        None: the one set for the current request (fair_compute.set_client), if any."""
        tm, i, params, keys = self._request(model_id, sample_id, method, target, params)
        for key in keys:
            hit = self.cache.get(key)
            if hit is not None:
                self.stats["hits"] += 1
                return hit
        self.stats["misses"] += 1
        spec = method_spec(method)
        if spec.needs_target and method not in FINDS_ITS_TARGET:
            target = self._target(tm, i, target)
        with self.compute.same_key(keys[0]):
            hit = self.cache.get(keys[0])  # another thread may have computed it meanwhile
            if hit is not None:
                self.stats["hits"] += 1
                self.stats["misses"] -= 1
                return hit
            with self.compute.slot(model_id, method, params, tm.data.input_shape, client):
                if method == "tree":
                    result = self._tree(tm, params["max_depth"]).explain(tm.data.X[i])
                else:
                    result = RUNNERS[method](tm.explained, tm.data, tm.data.X[i], target, params)
            self.cache.set(keys[0], result)
            if spec.needs_target and keys[0].endswith(":auto"):
                # the predicted class asked for by number must hit this result too
                found = result.target if method in FINDS_ITS_TARGET else target
                self.cache.set(self._key(tm, i, method, params, found), result)
        return result

    def explain_input(self, model_id: str, inputs, method: str, target: int | None = None, **params):
        """explain() for an arbitrary input (a drawn digit, an edited row): explain_core/inputs.py."""
        from ..inputs import explain_input
        return explain_input(self, model_id, inputs, method, target, **params)

    def predict_input(self, model_id: str, inputs):
        from ..inputs import predict_input
        return predict_input(self, model_id, inputs)

    def cached(self, model_id: str, sample_id, method: str, target: int | None = None, **params) -> bool:
        """Whether explain() with these arguments would be served from the cache."""
        _, _, _, keys = self._request(model_id, sample_id, method, target, params)
        return any(self.cache.has(k) for k in keys)

    def _request(self, model_id, sample_id, method, target, params):
        """Validate a request and name its cache keys without touching the model.

        The default target (the predicted class) is keyed as 'auto': the model hash fixes
        the prediction, so a cached result needs no forward pass to be found, even in a
        fresh worker process.
        """
        tm = self._model(model_id)
        spec = method_spec(method)
        params = normalise_params(method, params, tm.data.kind, tm.module, tm.data.input_shape)
        i = self._index(tm, sample_id)
        if not spec.needs_target:
            target = None
        elif target is not None:
            target = check_target(target, len(tm.data.class_names))
        key = self._key(tm, i, method, params, "auto" if spec.needs_target and target is None else target)
        return tm, i, params, [key]

    def put(self, model_id: str, sample_id, method: str, result, target: int | None = None, **params) -> None:
        """Store a result computed elsewhere (a batched precompute) under explain()'s keys."""
        tm, i, params, keys = self._request(model_id, sample_id, method, target, params)
        self.cache.set(keys[0], result)
        if method_spec(method).needs_target and keys[0].endswith(":auto"):
            self.cache.set(self._key(tm, i, method, params, result.target), result)

    def _key(self, tm: TrainedModel, i: int, method: str, params: dict, target) -> str:
        sample_key = self._sample_key(tm, i) if method_spec(method).per_sample else "-"
        return result_key(self._hash(tm), sample_key, method, params) + f":{target}"

    def _target(self, tm: TrainedModel, i: int, target) -> int:
        if target is not None:
            return int(target)  # validated in _request
        return resolve_target(tm.explained, torch.as_tensor(tm.data.X[i]).unsqueeze(0), None)

    def _tree(self, tm: TrainedModel, max_depth: int):
        from ..methods.tree import DistilledTree

        key = (self._hash(tm), max_depth)
        with self._lock:
            tree = self._trees.get(key)
        if tree is None:
            d = tm.data
            tree = DistilledTree(max_depth=max_depth, seed=self.settings.seed, feature_names=d.feature_names,
                                 class_names=d.class_names, task=tm.head.task).fit(tm.explained, d.X_train,
                                                                                     d.X_test, d.y_test)
            with self._lock:
                tree = self._trees.setdefault(key, tree)
        return tree

    @staticmethod
    def methods() -> dict:
        return METHODS

    def model_view(self, model_id: str, name: str, **params):
        """A model-level analysis (explain_core/model_views), once per weights and params."""
        from ..model_views.run import model_view

        return model_view(self, model_id, name, params)

    def model_views(self, model_id: str) -> list[tuple[str, str]]:
        """(name, title) of the model-level analyses that apply to this model."""
        from ..model_views.run import model_views

        return model_views(self, model_id)

    def robustness(self, model_id: str, what: str, sample_id, **params):
        """'adversarial' (FGSM/PGD example, minimal ε) or 'counterfactuals' (table rows), cached."""
        from ..robustness.requests import robustness
        return robustness(self, model_id, what, sample_id, params)

    def precomputable(self, model_id: str) -> list[tuple[str, str, bool]]:
        """(method, title, batched) for every per-sample method this model can precompute:
        batched ones run many samples per model call, the others one sample at a time."""
        from ..precompute import BATCHED

        tm = self._model(model_id)
        out = []
        for name, spec in METHODS.items():
            if not spec.per_sample or tm.data.kind not in spec.kinds:
                continue
            try:
                normalise_params(name, {}, tm.data.kind, tm.module, tm.data.input_shape)
            except GlimpseError:      # e.g. Grad-CAM on a TorchScript model
                continue
            out.append((name, spec.title, name in BATCHED))
        return out

    def quality(self, kind: str, model_id: str, sample_id, method: str | None = None, target=None,
                quality: dict | None = None, **params):
        """How far to trust a map (explain_core/quality/requests.py): kind 'scores', 'sanity',
        'stability' (seeds=k) or 'table' (every method ranked); cached like explain()."""
        from ..quality.requests import run

        return run(self, kind, model_id, sample_id, method, target, quality, **params)

    def precompute(self, model_id: str, methods, sample_ids=None, progress=None, should_stop=None,
                   params: dict | None = None) -> dict:
        """Compute `methods` for every sample (or `sample_ids`) of a model ahead of time, in
        batches across samples where the method allows, and cache them where explain()
        looks. See explain_core.precompute.precompute for the counts it returns."""
        from ..precompute import precompute

        self._model(model_id)                 # an unknown id is an UnknownIdError here
        known = {m for m, _, _ in self.precomputable(model_id)}
        bad = [m for m in methods if m not in known]
        if bad:
            raise ParameterError(f"Cannot precompute {', '.join(bad)} for this model; "
                                 f"choose from {', '.join(sorted(known))}")
        return precompute(self, model_id, tuple(methods), sample_ids=sample_ids, progress=progress,
                          params=params, should_stop=should_stop)

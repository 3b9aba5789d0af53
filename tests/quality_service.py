"""A service holding only the models a test module needs (the session's `service` loads all
nine, training any whose stored copy is stale: minutes on a busy machine)."""
from __future__ import annotations

from explain_core import ExplanationService
from explain_core.models.zoo import DEFAULT_SPECS


def service_with(settings, model_ids) -> ExplanationService:
    svc = ExplanationService(settings, specs=tuple(s for s in DEFAULT_SPECS if s.model_id in model_ids))
    svc.ensure_models()
    return svc

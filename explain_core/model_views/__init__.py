"""Model-level analyses: "what is this model, where does it fail?" (issue 9/10).

Each analysis is a plain function fn(ctx, **params) -> frozen result, registered by name
with `register`; service.model_view(model_id, name, **params) runs it once per model
content hash and parameters and caches the result. ctx.held_out() is one batched
forward over the held-out rows that every analysis shares.
"""
from .context import ModelContext
from .held_out import HeldOutPass
from .registry import ANALYSES, ModelAnalysis, register

__all__ = ["ANALYSES", "HeldOutPass", "ModelAnalysis", "ModelContext", "register"]

# The analyses register themselves when imported (one line each):
from . import units  # noqa: E402,F401  (issue 9: unit contributions and what each unit responds to)
from . import architecture  # noqa: E402,F401  (issue 9: the model's graph)
from . import errors  # noqa: E402,F401  (issue 9: errors and bias)
from . import pruning_views  # noqa: E402,F401  (issue 9: the pruning what-if)
from . import pruning_curve  # noqa: E402,F401  (issue 9: accuracy against the fraction pruned)
from ..robustness import model_view as _robustness  # noqa: E402,F401  (issue 10: robustness curve)
from . import layer_stats  # noqa: E402,F401  (issue 9: weights, activations and gradients per layer, now)
from . import training_history  # noqa: E402,F401  (issue 9: training history)
from ..quality import model_view as _method_ranking  # noqa: E402,F401  (issue 10: which method to trust, held out)

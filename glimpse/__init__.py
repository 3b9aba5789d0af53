"""Glimpse: see why a PyTorch model decided what it decided.

    import glimpse
    glimpse.show(model, X_test, y_test, class_names=[...])      # the dashboard on your model
    result = glimpse.explain(model, x, method="integrated_gradients", target=3)

The public Python API, a thin face over the two halves: explain_core (the computation)
and dashboard (the page).
"""
from explain_core.errors import DataError, GlimpseError, ModelError, ParameterError, UnsupportedError

from .explain import explain
from .show import build_service, show

__version__ = "0.1.0"
__all__ = ["show", "explain", "build_service", "GlimpseError", "DataError", "ModelError", "ParameterError",
           "UnsupportedError", "__version__"]

"""Why a layer view (activations, Grad-CAM) cannot be had for a model, in words a user reads.

Models loaded from files are seen through views (models/script_view.py for TorchScript,
model_safety/exported.py for torch.export): their layers carry the class they were built
as, and those whose outputs run inside compiled code are marked hidden. When a view has
nothing to show, the tab says why instead of drawing an empty figure.
"""
from __future__ import annotations

import torch
from torch import nn

from .base import conv_layers, is_layer, named_layers

ALWAYS = "the gradient maps, occlusion, LIME and the tree work for it"


def cannot_show(method: str, model: nn.Module | None) -> str | None:
    """None when `method` can show this model's layers; else the message to show."""
    if model is None or method not in ("activations", "weights", "gradcam"):
        return None
    title = {"activations": "Layer activations", "weights": "Filter weights", "gradcam": "Grad-CAM"}[method]
    if isinstance(model, torch.jit.ScriptModule):     # not seen through a view (e.g. handed over in Python)
        return (f"{title} needs the model's layers, which a TorchScript model run as a whole does not expose; "
                f"{ALWAYS}.")
    why = " ".join(getattr(model, "glimpse_notes", ()))
    if method == "activations" and not named_layers(model) and why:
        return f"{title} cannot be shown for this model. {why}"
    if method == "gradcam" and not conv_layers(model) and why and any(
            is_layer(m, nn.Conv2d) for m in model.modules()):
        return f"{title} needs a convolution layer's output, which this model does not let Glimpse see. {why}"
    return None

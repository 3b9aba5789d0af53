"""Grad-CAM (Selvaraju et al. 2017): a class-specific map from a convolution layer."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ParameterError
from .base import Attribution, check_target, conv_layers, hooks, to_numpy
from .gradients import one_sample


class GradCAM:
    """cam = Σ_k w_k A_k with w_k the spatial mean of ∂logit_target/∂A_k (ReLU if relu),
    upsampled bilinearly (align_corners=False) to the input's height and width, like
    Captum's LayerGradCam followed by LayerAttribution.interpolate(..., 'bilinear')."""

    name = "gradcam"

    def __init__(self, model: nn.Module, layer: str = "conv2", relu: bool = True):
        self.model = model
        self.layer = layer
        self.relu = relu

    def _module(self) -> nn.Module:
        modules = dict(self.model.named_modules())
        if self.layer not in modules or self.layer not in conv_layers(self.model):
            known = ", ".join(conv_layers(self.model)) or "none"
            raise ParameterError(f"Unknown convolution layer {self.layer!r}; choose one of: {known}")
        return modules[self.layer]

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        module = self._module()
        xb = one_sample(x)
        seen: list[torch.Tensor] = []

        def keep(_module, _inputs, output):
            seen.append(output)

        with hooks([(module, "forward", keep)]), torch.enable_grad():
            out = self.model(xb.clone().requires_grad_(True))
            if not seen:
                raise ParameterError(f"Layer {self.layer!r} is not used when the model runs; choose another layer")
            # the target (default: the prediction) comes from this same forward: one model call
            t = int(out[0].argmax()) if target is None else check_target(target, int(out.shape[1]))
            acts = seen[-1]
            (grads,) = torch.autograd.grad(out[0, t], acts)
        acts, grads = acts.detach(), grads.detach()
        weights = grads.mean(dim=(2, 3), keepdim=True)
        cam = (weights * acts).sum(dim=1, keepdim=True)
        if self.relu:
            cam = F.relu(cam)
        up = F.interpolate(cam, size=tuple(xb.shape[-2:]), mode="bilinear", align_corners=False)
        attr = up[0].expand(xb.shape[1:])
        return Attribution(self.name, to_numpy(attr), to_numpy(xb[0]), t,
                           {"layer": self.layer, "relu": bool(self.relu)},
                           extras={"cam": to_numpy(cam[0, 0]), "layer": self.layer})

"""Counting model calls: how tests prove a result came from the cache."""


class ForwardCounter:
    """Counts calls into a module while active: `calls` counts the module's own forward,
    `layer_calls` the calls of every submodule (IG through an affine stem runs the layers
    without the model's forward). Removes its hooks on exit."""

    def __init__(self, module):
        self.module, self.calls, self.layer_calls = module, 0, 0

    def __enter__(self):
        self.handles = [self.module.register_forward_pre_hook(self._hook)]
        self.handles += [m.register_forward_pre_hook(self._layer_hook) for m in self.module.modules()
                         if m is not self.module]
        return self

    def _hook(self, *_):
        self.calls += 1

    def _layer_hook(self, *_):
        self.layer_calls += 1

    @property
    def any_calls(self) -> int:
        return self.calls + self.layer_calls

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()

"""Counting model calls: how tests prove a result came from the cache."""


class ForwardCounter:
    """Counts forward calls of a module while active; removes its hook on exit."""

    def __init__(self, module):
        self.module, self.calls = module, 0

    def __enter__(self):
        self.handle = self.module.register_forward_pre_hook(self._hook)
        return self

    def _hook(self, *_):
        self.calls += 1

    def __exit__(self, *exc):
        self.handle.remove()

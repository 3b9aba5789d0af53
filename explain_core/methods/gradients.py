"""Gradient attributions: saliency, gradient × input, integrated gradients, SmoothGrad.

All gradients are taken with ``torch.autograd.grad`` with respect to the input only, so
nothing accumulates in parameter ``.grad`` (the model is shared between threads) and the
parameters' ``requires_grad`` flags are left alone. Every model call is batched: IG's
steps and SmoothGrad's noise draws are expanded into rows (sample × step) and pushed
through the model ``batch_size`` rows at a time.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ParameterError, TargetError
from ..models.architectures import AffineStem
from .base import (_CHANNELS_LAST_FAILS, Attribution, as_batch, batched_forward,  # noqa: F401
                   channels_last_ok, check_param, check_target, resolve_target, to_numpy)

# Rows per model call. A small CNN's forward+backward costs about half as much per row
# at 256-512 rows as at 2,048 on a 2-core CPU (the activations stay in cache): see
# docs/PERFORMANCE.md.
DEFAULT_ROWS = 512
IG_RULES = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle")


# ---------------------------------------------------------------------------- helpers
def one_sample(x) -> torch.Tensor:
    """One sample (numpy or tensor, with or without a batch dim of 1) -> (1, *shape) float32."""
    t = torch.as_tensor(np.asarray(x, dtype=np.float32)) if not torch.is_tensor(x) else x.detach().float()
    if t.dim() in (1, 3):
        t = t.unsqueeze(0)
    if t.shape[0] != 1:
        raise ValueError(f"attribute() explains one sample; got a batch of shape {tuple(t.shape)}")
    return t.clone()


def _channels_last(model: nn.Module, rows: torch.Tensor) -> bool:
    """Image batches of conv nets go channels-last for their forward+backward (see
    base.channels_last_ok); single samples (saliency, gradient x input) keep the usual
    memory order and match Captum exactly."""
    return channels_last_ok(model, rows)


def _leaf(rows: torch.Tensor, channels_last: bool) -> torch.Tensor:
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return rows.detach().clone(memory_format=fmt).requires_grad_(True)


def _forward(model: nn.Module, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """model(fresh leaf copy of rows) -> (out, the leaf). A model that cannot take
    channels-last input (one calling .view() on a conv output) is remembered and run
    in the usual memory order."""
    if _channels_last(model, rows):
        X = _leaf(rows, True)
        try:
            return model(X), X
        except RuntimeError:
            _CHANNELS_LAST_FAILS[model] = True
    X = _leaf(rows, False)
    return model(X), X


def input_gradients(model: nn.Module, X: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """d logit[target_i] / d X_i for every row, in one forward/backward."""
    with torch.enable_grad():
        out, X = _forward(model, X)
        picked = out.gather(1, targets.view(-1, 1).to(torch.long))
        (grad,) = torch.autograd.grad(picked.sum(), X)
    return grad.detach().contiguous()


def fused_gradients(model: nn.Module, rows: torch.Tensor, n_grad: int, probe: int, target):
    """One forward over `rows` and one backward of the target logit summed over the first
    `n_grad` rows. The target (default: the prediction) is read from row `probe`, the
    sample itself, inside the same forward, so explaining one sample costs one model
    call instead of a separate prediction call plus the gradient call.
    -> (gradients of the first n_grad rows, logits of every row (detached), target)."""
    with torch.enable_grad():
        out, X = _forward(model, rows)
        t = int(out[probe].argmax()) if target is None else check_target(target, int(out.shape[1]))
        (grad,) = torch.autograd.grad(out[:n_grad, t].sum(), X)
    return grad[:n_grad].detach().contiguous(), out.detach(), t


def affine_stem(model: nn.Module) -> AffineStem | None:
    """The model's affine stem (see AffineStem), or None: TorchScript and other models
    take the general path."""
    get = getattr(type(model), "affine_stem", None)
    stem = get(model) if callable(get) and not isinstance(model, torch.jit.ScriptModule) else None
    return stem if isinstance(stem, AffineStem) else None


def _target_index(target) -> int:
    """A target's type and sign, checked before the model runs; its upper bound is
    checked on the logits (check_target), which say how many classes there are."""
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        return check_target(target, 1)      # raises the usual TargetError
    if int(target) < 0:
        raise TargetError(f"Target class {target} is out of range: classes are numbered from 0")
    return int(target)


def _stem_narrows(stem: AffineStem, X: torch.Tensor) -> bool:
    """Is the stem's output per sample no larger than the input (an MLP's first layer)?"""
    with torch.no_grad():
        return stem.affine(X[:1]).numel() <= X[:1].numel()


def _pool_args(pool: nn.MaxPool2d) -> dict:
    return dict(kernel_size=pool.kernel_size, stride=pool.stride, padding=pool.padding,
                dilation=pool.dilation, ceil_mode=pool.ceil_mode)


def _windows_constant(u: torch.Tensor, pool: nn.MaxPool2d) -> bool:
    """Is u the same value across each pooling window (and do the windows cover only u)?"""
    args = _pool_args(pool)
    if u.dim() != 4 or args["padding"] not in (0, (0, 0)) or args["ceil_mode"]:
        return False
    return bool(torch.equal(F.max_pool2d(u, **args), -F.max_pool2d(-u, **args)))


def _path_points(u: torch.Tensor, a: torch.Tensor, zx: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """Rows lerp(u, zx_s, a_k) for every sample s and every α a_k, sample-major, built
    in the memory order the model will read (no copy to channels-last afterwards).
    lerp is exact at both ends: the α = 1 row is zx itself and the α = 0 row is u, so
    exact ties there (max-pool windows over a blank background) break as in the model."""
    if channels_last:      # NHWC copies (one row per sample): lerp then writes NHWC rows, not NCHW ones
        perm = lambda t: t.permute(0, 2, 3, 1).contiguous()     # noqa: E731
        z = torch.lerp(perm(u)[:, None], perm(zx)[:, None], a.view(1, -1, 1, 1, 1))
        return z.reshape((-1,) + z.shape[2:]).permute(0, 3, 1, 2)
    z = torch.lerp(u[:, None], zx[:, None], a.view((1, -1) + (1,) * (zx.dim() - 1)))
    return z.reshape((-1,) + tuple(zx.shape[1:]))


def _noise_points(zx: torch.Tensor, sigma: torch.Tensor, L: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """Rows zx_s + σ_s L_j for every sample s and every noise draw j, sample-major."""
    if channels_last:
        perm = lambda t: t.permute(0, 2, 3, 1)     # noqa: E731
        z = perm(zx)[:, None] + sigma.view(-1, 1, 1, 1, 1) * perm(L)[None]
        return z.reshape((-1,) + z.shape[2:]).permute(0, 3, 1, 2)
    z = zx[:, None] + sigma.view((-1, 1) + (1,) * (zx.dim() - 1)) * L[None]
    return z.reshape((-1,) + tuple(zx.shape[1:]))


def head_call(model, head, build, cl: bool):
    """head(leaf) for a fresh leaf = build(cl), with grad; a model that cannot take
    channels-last rows is remembered and run in the usual order. -> (out, leaf, cl)."""
    while True:
        leaf = build(cl).requires_grad_(True)
        try:
            with torch.enable_grad():
                return head(leaf), leaf, cl
        except RuntimeError:
            if not cl:
                raise
            _CHANNELS_LAST_FAILS[model], cl = True, False


def _head_sums(model, head, points, g: int, zshape, per: int, rows: int, t, w: torch.Tensor, probe: int,
               keep=()):
    """Run `head` over the rows of g samples × `per` rows each (points(k, channels_last)
    builds the rows k of every sample), at most `rows` rows per call, and sum each
    sample's gradients wrt the head's input, row j weighted by w[j].
    t: the samples' targets, or None to read each one's prediction at its row `probe`
    (then all rows of a sample must fit in one call).
    -> (sums (g, *zshape), targets (g,), {row: target logits (g,) float64 for rows in keep})."""
    steps = per if per <= rows else rows
    G = torch.zeros((g,) + tuple(zshape))
    kept = {}
    for k0 in range(0, per, steps):
        k = slice(k0, min(per, k0 + steps))
        K = k.stop - k0
        out, leaf, cl = head_call(model, head, lambda cl: points(k, cl),
                                  channels_last_ok(model, torch.empty((g * K,) + (1,) * len(zshape))))
        with torch.enable_grad():
            if t is None:
                t = out.detach().view(g, K, -1)[:, probe - k0].argmax(1)
            check_target(int(t.min()), int(out.shape[1])), check_target(int(t.max()), int(out.shape[1]))
            picked = out.gather(1, t.repeat_interleave(K).view(-1, 1)).view(g, K)
            (grad,) = torch.autograd.grad((picked * w[k]).sum(), leaf)
        if cl:
            G += grad.permute(0, 2, 3, 1).reshape((g, K) + tuple(grad.shape[2:]) + (grad.shape[1],)).sum(1) \
                .permute(0, 3, 1, 2)
        else:
            G += grad.view((g, K) + tuple(grad.shape[1:])).sum(1)
        for row in keep:
            if k0 <= row < k.stop:
                kept[row] = picked.detach()[:, row - k0].double()
    return G, t, kept


def stem_path_gradients(model: nn.Module, stem: AffineStem, X: torch.Tensor, base: torch.Tensor,
                        targets, alphas: np.ndarray, weights: np.ndarray, rows: int):
    """Σₖ wₖ ∇f(base + αₖ (x − base)) for every x in X, through the model's affine stem.

    With z = affine(input): z along the path is u + αₖ (zₓ − u), u = affine(base) and
    zₓ = affine(x), so only the head runs per step; its gradients wrt z are summed with
    the weights and sent back through the stem's transpose (the same at every point)
    once per sample. Two extra rows per sample, α = 1 and α = 0 with weight 0, give
    f(x) and f(base) (IG's completeness check) and, when targets is None, the target:
    the prediction at x, read in the same forward.
    -> (sums (N, *shape) float32, targets (N,) long, logits (N, 2) float64 at x and base)."""
    n, S = len(X), len(alphas)
    a = torch.as_tensor(np.append(alphas, [1.0, 0.0]), dtype=torch.float32)
    w = torch.as_tensor(np.append(weights, [0.0, 0.0]), dtype=torch.float32)
    per = S + 2
    if targets is None and per > rows:      # the steps of one sample span several calls
        targets = batched_forward(model, X).argmax(1)
    with torch.no_grad():
        u = stem.affine(base[None].float())
    pool = stem.pool if (stem.pool is not None and stem.pooled_head is not None and float(alphas.min()) > 0
                         and _windows_constant(u, stem.pool)) else None
    head = stem.pooled_head if pool is not None else stem.head
    if pool is not None:
        u = F.max_pool2d(u, **_pool_args(pool))
    sums, out_t, ends = [], [], []
    group = max(1, rows // per)
    for lo in range(0, n, group):
        Xl = X[lo:lo + group].clone().requires_grad_(True)
        with torch.enable_grad():
            v = stem.affine(Xl)
        vd, idx = v.detach(), None
        if pool is not None:    # zₓ's window winners win at every α > 0 (u is flat on each window)
            vd, idx = F.max_pool2d(vd, **_pool_args(pool), return_indices=True)
        t = None if targets is None else torch.as_tensor(targets[lo:lo + group]).long().view(-1)
        G, t, kept = _head_sums(model, head, lambda k, cl: _path_points(u, a[k], vd, cl), len(vd), vd.shape[1:],
                                per, rows, t, w, probe=S, keep=(S, S + 1))
        if idx is not None:        # each window's gradient goes to its winner, the same at every step
            Gz = torch.zeros_like(v).flatten(2).scatter_add_(2, idx.flatten(2), G.flatten(2)).view_as(v)
        else:
            Gz = G
        (gx,) = torch.autograd.grad(v, Xl, grad_outputs=Gz)
        sums.append(gx.detach())
        out_t.append(t)
        ends.append(torch.stack([kept[S], kept[S + 1]], 1))
    return torch.cat(sums), torch.cat(out_t), torch.cat(ends)


def stem_noise_gradients(model: nn.Module, stem: AffineStem, X: torch.Tensor, sigma: torch.Tensor,
                         noise: torch.Tensor, targets, rows: int):
    """Σⱼ ∇f(x + σₓ nⱼ) for every x in X, through the model's affine stem (SmoothGrad).

    affine(x + σ n) = affine(x) + σ (affine(n) − affine(0)): the stem runs once per sample
    and once per draw instead of once per noisy copy, and each sample's summed gradients
    go back through it once. With targets None one more row per sample, the sample
    itself (weight 0), names its prediction.
    -> (sums (N, *shape) float32, targets (N,) long)."""
    n = len(noise)
    if targets is None and n + 1 > rows:
        targets = batched_forward(model, X).argmax(1)
    with torch.no_grad():
        L = stem.affine(noise) - stem.affine(torch.zeros_like(noise[:1]))
    if targets is None:
        L = torch.cat([L, torch.zeros_like(L[:1])])
    per = len(L)
    w = (torch.arange(per) < n).float()
    sums, out_t = [], []
    group = max(1, rows // per)
    for lo in range(0, len(X), group):
        Xl = X[lo:lo + group].clone().requires_grad_(True)
        with torch.enable_grad():
            zx = stem.affine(Xl)
        zd, sg = zx.detach(), sigma[lo:lo + group].float()
        t = None if targets is None else torch.as_tensor(targets[lo:lo + group]).long().view(-1)
        G, t, _ = _head_sums(model, stem.head, lambda k, cl: _noise_points(zd, sg, L[k], cl), len(zd),
                             zd.shape[1:], per, rows, t, w, probe=n)
        (gx,) = torch.autograd.grad(zx, Xl, grad_outputs=G)
        sums.append(gx.detach())
        out_t.append(t)
    return torch.cat(sums), torch.cat(out_t)


def _batch_and_targets(model, X, targets, batch_size, resolve: bool = True):
    """X as a float batch and targets as a long tensor; targets None -> the predictions
    (or stays None with resolve=False, for paths that read them in their own forward)."""
    X = as_batch(X)
    if targets is None:
        if not resolve:
            return X, None
        targets = batched_forward(model, X, batch_size).argmax(1)
    targets = torch.as_tensor(np.asarray(targets), dtype=torch.long).view(-1)
    if len(targets) != len(X):
        raise ValueError(f"{len(X)} samples but {len(targets)} targets")
    if len(targets) and targets.min() < 0:
        raise ValueError("targets must be class indices (>= 0)")  # too large fails in gather
    return X, targets


def _rows(n_samples: int, per_sample: int, batch_size: int):
    """Flat row ranges over (sample, step) pairs, sample-major, batch_size rows each."""
    total = n_samples * per_sample
    for start in range(0, total, batch_size):
        r = torch.arange(start, min(start + batch_size, total))
        yield r // per_sample, r % per_sample


def _rows_param(batch_size) -> int:
    return DEFAULT_ROWS if batch_size is None else int(check_param("batch_size", batch_size, 1, None, int))


# ---------------------------------------------------------------------------- methods
class Saliency:
    """|d logit_target / d x| (or the signed gradient with abs=False)."""

    name = "saliency"

    def __init__(self, model: nn.Module, abs: bool = True, batch_size: int | None = None):
        self.model = model
        self.abs = abs
        self.batch_size = batch_size

    def _map(self, X, grads):
        return grads.abs() if self.abs else grads

    def _params(self) -> dict:
        return {"abs": bool(self.abs)}

    def attribute_batch(self, X, targets=None) -> np.ndarray:
        """(N, *input_shape) inputs and N targets -> (N, *input_shape) maps, chunked."""
        self.model.eval()
        rows = _rows_param(self.batch_size)
        X, targets = _batch_and_targets(self.model, X, targets, rows)
        out = [self._map(X[i:i + rows], input_gradients(self.model, X[i:i + rows], targets[i:i + rows]))
               for i in range(0, len(X), rows)]
        return to_numpy(torch.cat(out)) if out else np.zeros(tuple(X.shape), np.float32)

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        xb = one_sample(x)
        grads, _, t = fused_gradients(self.model, xb, 1, 0, target)
        attr = to_numpy(self._map(xb, grads))[0]
        return Attribution(self.name, attr, to_numpy(xb[0]), t, self._params())


class GradientXInput(Saliency):
    """gradient ⊙ input: the first-order Taylor term of the logit around a zero input."""

    name = "gradient_x_input"

    def __init__(self, model: nn.Module, batch_size: int | None = None):
        super().__init__(model, abs=False, batch_size=batch_size)

    def _map(self, X, grads):
        return grads * X

    def _params(self) -> dict:
        return {}


def ig_rule(rule: str, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(step sizes, alphas) exactly as Captum's approximation_methods builds them."""
    if rule == "gausslegendre":
        nodes, weights = np.polynomial.legendre.leggauss(n_steps)
        return 0.5 * weights, 0.5 * (1 + nodes)
    if rule not in IG_RULES:
        raise ParameterError(f"rule must be one of {', '.join(IG_RULES)}; got {rule!r}")
    if n_steps < 2:
        raise ParameterError(f"The {rule} rule needs at least 2 steps; got {n_steps}")
    n = n_steps
    sizes = np.full(n, 1.0 / n)
    kind = rule.split("_")[1]
    if kind == "trapezoid":
        sizes[0] /= 2
        sizes[-1] /= 2
    lo, hi = {"trapezoid": (0, 1), "left": (0, 1 - 1 / n), "middle": (1 / (2 * n), 1 - 1 / (2 * n)),
              "right": (1 / n, 1)}[kind]
    return sizes, torch.linspace(lo, hi, n).double().numpy()


class IntegratedGradients:
    """(x - x') ⊙ ∫₀¹ ∇f(x' + α(x - x')) dα, with Captum's quadrature rules.

    delta = sum(attribution) - (f(x) - f(x')) on the target logit: the completeness
    check. The baseline x' is a scalar or an array of the input's shape.
    """

    name = "integrated_gradients"

    def __init__(self, model: nn.Module, n_steps: int = 50, rule: str = "gausslegendre",
                 baseline=0.0, batch_size: int | None = None):
        self.model = model
        self.n_steps = n_steps
        self.rule = rule
        self.baseline = baseline
        self.batch_size = batch_size

    def _baseline(self, shape) -> torch.Tensor:
        b = torch.as_tensor(np.asarray(self.baseline, dtype=np.float32))
        if b.dim() == 0:
            return b.expand(shape).clone()
        if tuple(b.shape) != tuple(shape):
            raise ParameterError(f"baseline has shape {tuple(b.shape)} but inputs have shape {tuple(shape)}")
        return b

    def attribute_batch(self, X, targets=None, return_ends: bool = False):
        """IG for N samples: all N × n_steps rows go through the model in chunks.
        -> (N, *shape) maps; with return_ends=True, (maps, targets (N,), target logits at
        x and at the baseline (N, 2) float64) — what the completeness check needs."""
        self.model.eval()
        n_steps = check_param("n_steps", self.n_steps, 1, None, int)
        sizes, alphas = ig_rule(self.rule, n_steps)
        rows = _rows_param(self.batch_size)
        stem = affine_stem(self.model)
        X, targets = _batch_and_targets(self.model, X, targets, rows, resolve=stem is None)
        base = self._baseline(X.shape[1:])
        diff = X - base
        if stem is not None and len(X):
            sums, targets, ends = stem_path_gradients(self.model, stem, X, base, targets, alphas, sizes, rows)
            maps = to_numpy(sums * diff)
            return (maps, targets.numpy(), ends.numpy()) if return_ends else maps
        sizes_t = torch.as_tensor(sizes, dtype=torch.float32)
        alphas_t = torch.as_tensor(alphas, dtype=torch.float32)
        total = torch.zeros(X.shape, dtype=torch.float64)
        view = (-1,) + (1,) * (X.dim() - 1)
        for s, k in _rows(len(X), n_steps, rows):
            scaled = base + alphas_t[k].view(view) * diff[s]
            grads = input_gradients(self.model, scaled, targets[s])
            total.index_add_(0, s, (grads * sizes_t[k].view(view)).double())
        maps = to_numpy(total.float() * diff)
        if not return_ends:
            return maps
        logits = batched_forward(self.model, torch.cat([X, base.expand_as(X[:1])]), rows).double()
        ends = torch.stack([logits[:-1].gather(1, targets.view(-1, 1))[:, 0],
                            logits[-1][targets]], 1) if len(X) else torch.zeros(0, 2, dtype=torch.float64)
        return maps, targets.numpy(), ends.numpy()

    def _fused(self, xb: torch.Tensor, target) -> tuple[np.ndarray, int, torch.Tensor]:
        """All steps plus the sample and the baseline in one forward/backward:
        -> (attribution, target, target logits at (x, baseline))."""
        n_steps = check_param("n_steps", self.n_steps, 1, None, int)
        sizes, alphas = ig_rule(self.rule, n_steps)
        base = self._baseline(xb.shape[1:])
        diff = xb[0] - base
        view = (-1,) + (1,) * (xb.dim() - 1)
        path = base + torch.as_tensor(alphas, dtype=torch.float32).view(view) * diff
        grads, out, t = fused_gradients(self.model, torch.cat([path, xb, base[None]]), n_steps, n_steps, target)
        total = (grads * torch.as_tensor(sizes, dtype=torch.float32).view(view)).double().sum(0)
        return to_numpy(total.float() * diff), t, out[n_steps:, t].double()

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        xb = one_sample(x)
        if affine_stem(self.model) is not None:
            t0 = None if target is None else np.array([_target_index(target)])   # range: checked on the logits
            return self.explain_batch(xb, t0)[0]
        if check_param("n_steps", self.n_steps, 1, None, int) + 2 <= _rows_param(self.batch_size):
            attr, t, ends = self._fused(xb, target)
        else:   # more steps than one model call may take: prediction, chunked gradients, ends
            t = resolve_target(self.model, xb, target)
            attr = self.attribute_batch(xb, np.array([t]))[0]
            base = self._baseline(xb.shape[1:])
            ends = batched_forward(self.model, torch.stack([xb[0], base]))[:, t].double()
        return self._result(to_numpy(xb[0]), attr, t, ends)

    def explain_batch(self, X, targets=None) -> list[Attribution]:
        """attribute() for N samples at once (rows batched across samples): one
        Attribution each, with its completeness delta."""
        X = as_batch(X)
        maps, targets, ends = self.attribute_batch(X, targets, return_ends=True)
        return [self._result(x, m, int(t), e) for x, m, t, e in zip(to_numpy(X), maps, targets, ends)]

    def _result(self, x: np.ndarray, attr: np.ndarray, t: int, ends) -> Attribution:
        output_difference = float(ends[0] - ends[1])
        delta = float(attr.astype(np.float64).sum() - output_difference)
        b = np.asarray(self.baseline)
        params = {"n_steps": int(self.n_steps), "rule": self.rule,
                  "baseline": float(b) if b.ndim == 0 else "array"}
        return Attribution(self.name, attr, x, t, params, delta=delta,
                           extras={"output_difference": output_difference})


NOISE_SCALES = ("sample", "channel")


def noise_sigma(X: torch.Tensor, level: float, scale: str = "sample") -> torch.Tensor:
    """SmoothGrad's σ for each sample of a batch, shaped to broadcast over it: level × the
    sample's value range (N, 1, …), or with scale 'channel' level × each channel's own
    range (N, C, 1, …), for images whose channels span different ranges."""
    if scale not in NOISE_SCALES:
        raise ParameterError(f"noise_scale must be one of {', '.join(NOISE_SCALES)}; got {scale!r}")
    if scale == "channel":
        if X.dim() < 3:
            raise ParameterError("noise_scale 'channel' needs images (channels × height × width)")
        flat = X.reshape(X.shape[0], X.shape[1], -1)
        span = flat.max(2).values - flat.min(2).values
        return (level * span).view(X.shape[:2] + (1,) * (X.dim() - 2))
    flat = X.reshape(len(X), -1)
    return (level * (flat.max(1).values - flat.min(1).values)).view((-1,) + (1,) * (X.dim() - 1))


class SmoothGrad:
    """Mean gradient over n_samples noisy copies x + N(0, σ²), σ = noise_level·(max x − min x).

    As in the SmoothGrad paper (Smilkov et al. 2017) the noise scale is relative to the
    sample's own value range, for images and tabular rows alike (noise_scale 'channel':
    relative to each image channel's range, see noise_sigma). The raw gradients are
    averaged and |·| is taken afterwards when abs=True. The standard-normal draws come
    from a torch.Generator seeded with `seed`, so a result is reproducible and does not
    depend on which other samples share its batch.
    """

    name = "smoothgrad"

    def __init__(self, model: nn.Module, n_samples: int = 25, noise_level: float = 0.15, abs: bool = True,
                 seed: int = 0, batch_size: int | None = None, noise_scale: str = "sample"):
        self.model = model
        self.n_samples = n_samples
        self.noise_level = noise_level
        self.abs = abs
        self.seed = seed
        self.batch_size = batch_size
        self.noise_scale = noise_scale

    def attribute_batch(self, X, targets=None) -> np.ndarray:
        self.model.eval()
        n = check_param("n_samples", self.n_samples, 1, None, int)
        level = check_param("noise_level", self.noise_level, 0.0, None, float)
        rows = _rows_param(self.batch_size)
        X = as_batch(X)
        stem = affine_stem(self.model) if self.noise_scale == "sample" else None   # one σ per sample only
        if stem is not None and len(X) and not _stem_narrows(stem, X):
            stem = None     # measured: through a wider stem output (conv1's 16x28x28) SmoothGrad is no faster
        X, targets = _batch_and_targets(self.model, X, targets, rows, resolve=stem is None)
        gen = torch.Generator().manual_seed(int(self.seed))
        noise = torch.randn((n,) + tuple(X.shape[1:]), generator=gen)
        sigma = noise_sigma(X, level, self.noise_scale)
        if stem is not None and len(X):
            sums, _ = stem_noise_gradients(self.model, stem, X, sigma.view(-1), noise, targets, rows)
            mean = sums.double() / n
            return to_numpy((mean.abs() if self.abs else mean).float())
        total = torch.zeros(X.shape, dtype=torch.float64)
        for s, k in _rows(len(X), n, rows):
            noisy = X[s] + sigma[s] * noise[k]
            total.index_add_(0, s, input_gradients(self.model, noisy, targets[s]).double())
        mean = total / n
        return to_numpy((mean.abs() if self.abs else mean).float())

    def attribute(self, x, target: int | None = None) -> Attribution:
        self.model.eval()
        xb = one_sample(x)
        n = check_param("n_samples", self.n_samples, 1, None, int)
        stem = affine_stem(self.model) if self.noise_scale == "sample" else None
        if stem is not None and _stem_narrows(stem, xb):
            level = check_param("noise_level", self.noise_level, 0.0, None, float)
            noise = torch.randn((n,) + tuple(xb.shape[1:]), generator=torch.Generator().manual_seed(int(self.seed)))
            sigma = level * (xb.max() - xb.min()).view(1)
            t0 = None if target is None else np.array([_target_index(target)])
            sums, tt = stem_noise_gradients(self.model, stem, xb, sigma, noise, t0, _rows_param(self.batch_size))
            mean = sums[0].double() / n
            attr, t = to_numpy((mean.abs() if self.abs else mean).float()), int(tt[0])
        elif n + 1 <= _rows_param(self.batch_size):    # noisy copies and the sample in one model call
            level = check_param("noise_level", self.noise_level, 0.0, None, float)
            noise = torch.randn((n,) + tuple(xb.shape[1:]), generator=torch.Generator().manual_seed(int(self.seed)))
            rows = xb + noise_sigma(xb, level, self.noise_scale)[0] * noise
            if target is None:      # the sample itself rides along to name the predicted class
                rows = torch.cat([rows, xb])
            grads, _, t = fused_gradients(self.model, rows, n, n, target)
            mean = grads.double().sum(0) / n
            attr = to_numpy((mean.abs() if self.abs else mean).float())
        else:
            t = resolve_target(self.model, xb, target)
            attr = self.attribute_batch(xb, np.array([t]))[0]
        params = {"n_samples": int(self.n_samples), "noise_level": float(self.noise_level),
                  "abs": bool(self.abs), "seed": int(self.seed)}
        if self.noise_scale != "sample":
            params["noise_scale"] = self.noise_scale
        return Attribution(self.name, attr, to_numpy(xb[0]), t, params)

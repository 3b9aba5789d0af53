"""A tiny Vision Transformer for the zoo: the model whose attention Glimpse can show.

Patches come from a convolution whose kernel and stride are the patch size (the usual
ViT patch embedding), optionally after a small 3×3 convolution (`stem` channels: on 4,000
training digits it lifts held-out accuracy from 95-96% to about 97%; each patch token then
also sees one pixel of its neighbours); a learned class token and learned position embeddings are added;
pre-norm encoder blocks follow, each with torch's nn.MultiheadAttention called with
need_weights=True and average_attn_weights=False, so a forward hook on the attention
module sees every head's weights (explain_core/methods/attention.py). The class token's
final state, layer-normalised, goes to a linear classifier.

`cls_index` and `patch_grid` declare the token layout (token 0 is the class token, then
the patches row by row), which attention rollout needs to draw its map over the input.
"""
from __future__ import annotations

import torch
from torch import nn


class EncoderBlock(nn.Module):
    """x + attn(norm1(x)), then + mlp(norm2(x)) (pre-norm, as in ViT)."""

    def __init__(self, width: int, heads: int, hidden: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        y = self.norm1(x)
        a, _ = self.attn(y, y, y, need_weights=True, average_attn_weights=False)
        x = x + a
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class PatchTokens(nn.Module):
    """Image -> [class token, patch 1, ..., patch n] + position embeddings, (B, 1 + n, width).
    Its own module so that the model-randomisation check re-initialises the class token
    and position embeddings with the patch projection."""

    def __init__(self, channels: int, side: int, patch: int, width: int, stem: int = 0):
        super().__init__()
        self.grid = side // patch
        # stem > 0: a 3×3 convolution (and ReLU) first, so each patch token also sees a pixel of its neighbours
        self.stem = nn.Sequential(nn.Conv2d(channels, stem, 3, padding=1), nn.ReLU()) if stem else nn.Identity()
        self.proj = nn.Conv2d(stem or channels, width, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.grid * self.grid + 1, width))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.proj.reset_parameters()
        for m in self.stem.modules():
            if isinstance(m, nn.Conv2d):
                m.reset_parameters()
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.pos_embed, std=0.02)

    def forward(self, x):
        t = self.proj(self.stem(x)).flatten(2).transpose(1, 2)
        return torch.cat([self.cls_token.expand(t.shape[0], -1, -1), t], dim=1) + self.pos_embed


class TinyViT(nn.Module):
    """ViT on C×side×side images: patch×patch patches, `depth` blocks of `heads` heads."""

    cls_index = 0

    def __init__(self, n_classes: int = 10, input_shape: tuple[int, int, int] = (1, 28, 28), patch: int = 7,
                 width: int = 64, depth: int = 2, heads: int = 4, hidden: int = 128, stem: int = 0, seed: int = 0):
        super().__init__()
        c, h, w = (int(v) for v in input_shape)
        if h != w or h % patch:
            raise ValueError(f"TinyViT needs square images whose side is a multiple of the patch ({patch}); "
                             f"got {h}×{w}")
        self.input_shape, self.patch, self.heads = (c, h, w), patch, heads
        with torch.random.fork_rng():     # the same initial weights whatever ran before (train seeds the rest)
            torch.manual_seed(seed)
            self.tokens = PatchTokens(c, h, patch, width, stem)
            self.blocks = nn.ModuleList(EncoderBlock(width, heads, hidden) for _ in range(depth))
            self.norm = nn.LayerNorm(width)
            self.classifier = nn.Linear(width, n_classes)

    @property
    def patch_grid(self) -> tuple[int, int]:
        return self.tokens.grid, self.tokens.grid

    @property
    def architecture(self) -> str:
        g, stem = self.tokens.grid, self.tokens.proj.in_channels
        first = f"conv3x3({stem}), " if isinstance(self.tokens.stem, nn.Sequential) else ""
        return (f"ViT: {first}{self.patch}×{self.patch} patches ({g}×{g} + class token), {len(self.blocks)} layers × "
                f"{self.heads} heads, width {self.tokens.proj.out_channels}")

    def forward(self, x):
        t = self.tokens(x)
        for block in self.blocks:
            t = block(t)
        return self.classifier(self.norm(t[:, self.cls_index]))

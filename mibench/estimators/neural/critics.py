"""Critics: the networks T(x, y) whose scores the variational MI bounds are computed from.

Two architectures (Poole et al. 2019, "On variational bounds of mutual information", section 4):

* ``"joint"`` -- one MLP on the concatenation ``[x, y]`` with a scalar output. The most expressive; scoring a
  positive against K negatives costs ``B * (1 + K)`` forward rows per batch of B.
* ``"separable"`` -- two MLPs ``f(x)``, ``g(y)`` with ``embed_dim`` outputs and ``T(x, y) = f(x) . g(y)``. All
  ``B x B`` pairs of a batch cost two forward passes of B rows and one matrix product, so every other sample of
  the batch serves as a negative for free.

Both produce, for a block of B paired rows, the positive scores ``T(x_i, y_i)`` (shape ``(B,)``) and the negative
scores ``T(x_i, y_j)``, ``j != i`` (shape ``(B, K)``): with ``negatives="all"`` K = B - 1 (every other y of the
block), with an integer k the y's at k distinct cyclic offsets of the (randomly ordered) block. Because batches
are random subsets in random order, the pairs ``(x_i, y_j)``, ``j != i`` are draws from the product of the
marginals -- the "shuffled negatives" of MINE.

Initialisation is PyTorch's default for ``nn.Linear`` (weights and biases uniform in +-1/sqrt(fan_in)) drawn from
an explicit ``torch.Generator`` on the CPU, so the same seed gives the same initial critic on every device and
the global torch RNG is never touched.

This module imports torch at import time; it is imported only from inside an estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "CRITICS", "JointCritic", "SeparableCritic", "build_critic"]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "softplus": nn.Softplus,
}

CRITICS = ("separable", "joint")


def _linear(fan_in: int, fan_out: int, generator: torch.Generator) -> nn.Linear:
    """``nn.Linear`` with PyTorch's default init drawn from ``generator`` (no global RNG use)."""
    layer = nn.utils.skip_init(nn.Linear, fan_in, fan_out, device="cpu", dtype=torch.float32)
    bound = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return layer


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, activation: str, generator: torch.Generator) -> nn.Sequential:
    """``in_dim -> hidden[0] -> ... -> out_dim`` with ``activation`` between layers (none after the last)."""
    layers: list[nn.Module] = []
    width = in_dim
    for size in hidden:
        layers += [_linear(width, size, generator), ACTIVATIONS[activation]()]
        width = size
    layers.append(_linear(width, out_dim, generator))
    return nn.Sequential(*layers)


class _PairIndex:
    """Cached index tensors for the negatives of a block of size B."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, tuple[int, ...] | None, str], tuple[torch.Tensor, torch.Tensor]] = {}

    def __call__(
        self, size: int, offsets: tuple[int, ...] | None, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(rows, cols)`` of shape ``(size, K)``: row i's negatives pair x_i with y_cols[i, k]."""
        key = (size, offsets, str(device))
        if key not in self._cache:
            ar = torch.arange(size)
            if offsets is None:  # all others: cols of row i are 0..size-1 without i, in order
                off_diagonal = ~torch.eye(size, dtype=torch.bool)
                cols = ar.expand(size, size)[off_diagonal].reshape(size, size - 1)
            else:
                cols = (ar[:, None] + torch.tensor(offsets)[None, :]) % size
            rows = ar[:, None].expand_as(cols)
            self._cache[key] = (rows.to(device), cols.to(device))
            if len(self._cache) > 64:  # block sizes vary only at the ends of the held-out sets
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]


class SeparableCritic(nn.Module):
    """``T(x, y) = f(x) . g(y)`` with MLPs f and g of the same hidden sizes and ``embed_dim`` outputs."""

    kind = "separable"

    def __init__(
        self,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int],
        embed_dim: int,
        activation: str,
        generator: torch.Generator,
    ):
        super().__init__()
        self.f = mlp(dim_x, hidden, embed_dim, activation, generator)
        self.g = mlp(dim_y, hidden, embed_dim, activation, generator)
        self._index = _PairIndex()

    def scores(
        self, x: torch.Tensor, y: torch.Tensor, offsets: tuple[int, ...] | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Positive scores ``(B,)`` and negative scores ``(B, K)`` of a block (see the module docstring)."""
        fx = self.f(x)
        gy = self.g(y)
        size = x.shape[0]
        if offsets is None:
            matrix = fx @ gy.T
            pos = matrix.diagonal()
            off_diagonal = ~torch.eye(size, dtype=torch.bool, device=matrix.device)
            neg = matrix[off_diagonal].reshape(size, size - 1)
            return pos, neg
        pos = (fx * gy).sum(dim=1)
        _, cols = self._index(size, offsets, fx.device)
        neg = torch.einsum("be,bke->bk", fx, gy[cols])
        return pos, neg


class JointCritic(nn.Module):
    """``T(x, y) = MLP([x, y])`` with a scalar output."""

    kind = "joint"

    def __init__(
        self,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int],
        embed_dim: int,
        activation: str,
        generator: torch.Generator,
    ):
        super().__init__()
        del embed_dim  # separable critics only
        self.net = mlp(dim_x + dim_y, hidden, 1, activation, generator)
        self._index = _PairIndex()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, y], dim=-1)).squeeze(-1)

    def scores(
        self, x: torch.Tensor, y: torch.Tensor, offsets: tuple[int, ...] | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Positive scores ``(B,)`` and negative scores ``(B, K)`` of a block (see the module docstring)."""
        size = x.shape[0]
        rows, cols = self._index(size, offsets, x.device)
        k = cols.shape[1]
        # one forward pass over the B positives followed by the B * K negatives
        xs = torch.cat([x, x[rows.reshape(-1)]])
        ys = torch.cat([y, y[cols.reshape(-1)]])
        out = self(xs, ys)
        return out[:size], out[size:].reshape(size, k)


def build_critic(
    kind: str,
    dim_x: int,
    dim_y: int,
    hidden: Sequence[int],
    embed_dim: int,
    activation: str,
    generator: torch.Generator,
) -> SeparableCritic | JointCritic:
    """A freshly initialised critic on the CPU (move it with ``.to(device)``)."""
    cls = {"separable": SeparableCritic, "joint": JointCritic}[kind]
    return cls(dim_x, dim_y, hidden, embed_dim, activation, generator)

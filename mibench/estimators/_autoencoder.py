r"""The autoencoder compressor of :class:`mibench.estimators.compressed.Compressed`: small PyTorch networks trained
to reconstruct one variable through a low-dimensional code.

Architectures (:func:`build_autoencoder`):

* **convolutional**, for a variable given as images of shape ``(C, H, W)``: the encoder is a stack of 3 x 3
  convolutions with stride 2 and padding 1 (each halves the height and width, rounding up) with ``channels[i]``
  output channels and a ReLU after each, then one linear layer to the code; the decoder mirrors it: a linear layer
  and ReLU back to the last feature map, then 3 x 3 transposed convolutions with stride 2 (their output padding
  chosen so every feature map has exactly the size the encoder saw), ReLU between them and none after the last,
  which outputs the ``C`` image channels;
* **MLP**, for a vector variable of dimension d: ``d -> hidden[0] -> ... -> code`` and the mirror image back to d,
  ReLU between layers, none on the code or the output.

The code is linear (no activation, no noise): it is the variable's compressed value.

Training (:func:`train_autoencoder`): the rows are permuted with ``numpy.random.default_rng`` and a
``validation_fraction`` of them is held out; Adam minimises the reconstruction loss (mean squared error
:math:`\frac{1}{Bd}\sum_{i,j} (z_{ij} - \hat z_{ij})^2` or mean absolute error) over mini-batches of
``batch_size`` training rows (each epoch a fresh permutation cut into full batches). Every ``eval_every`` steps
(and at the last) the loss on the held-out rows is computed; the network with the lowest held-out loss is kept,
and training stops after ``patience`` evaluations without a new lowest value, or at ``max_steps``. The budget is
counted in steps rather than epochs so that a small sample gets as many updates as a large one (an autoencoder of
16 x 16 bump images needed several hundred steps to reconstruct well whatever n was). The kept network then
encodes every row.

Reproducibility: ``numpy.random.SeedSequence(seed)`` spawns the split, the batches and the seed of a
``torch.Generator`` that draws the initial weights (PyTorch's default uniform ranges, on the CPU), so the global
numpy and torch generators are neither used nor changed, and the same seed gives the same codes bit for bit for a
fixed number of torch threads (a different count can change the summation order inside the convolutions).

This module imports torch at import time; it is imported only from inside an estimate (or ``prepare()``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["Autoencoder", "AutoencoderFit", "build_autoencoder", "torch_threads", "train_autoencoder"]

#: Rows per block when the whole sample is encoded or a held-out loss is computed (bounds the working memory).
_BLOCK_ROWS = 1024

#: Significant digits kept of the losses in the training curves (the info stays short and readable).
_CURVE_DIGITS = 5


def _init_(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """PyTorch's default initialisation of a linear or convolutional layer, drawn from ``generator``: weights and
    biases uniform in :math:`\\pm 1/\\sqrt{\\text{fan in}}` (``kaiming_uniform_`` with ``a = sqrt(5)``)."""
    weight = module.weight
    fan_in, _ = nn.init._calculate_fan_in_and_fan_out(weight)
    bound = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        nn.init.uniform_(weight, -bound, bound, generator=generator)
        if module.bias is not None:
            nn.init.uniform_(module.bias, -bound, bound, generator=generator)
    return module


def _layer(cls: type[nn.Module], generator: torch.Generator, *args: Any, **kwargs: Any) -> nn.Module:
    """A layer built without drawing from the global generator (``skip_init``), then initialised from ``generator``."""
    return _init_(nn.utils.skip_init(cls, *args, device="cpu", dtype=torch.float32, **kwargs), generator)


def _halved(size: int) -> int:
    """Output size of a 3 x 3 convolution with stride 2 and padding 1: ``floor((size - 1) / 2) + 1``."""
    return (size - 1) // 2 + 1


class _Reshape(nn.Module):
    def __init__(self, shape: tuple[int, ...]):
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class Autoencoder(nn.Module):
    """An encoder and a decoder; ``forward`` returns the reconstruction of flat rows ``(B, d)``."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, image_shape: tuple[int, int, int] | None):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.image_shape = image_shape

    def encode(self, rows: torch.Tensor) -> torch.Tensor:
        """Codes ``(B, latent_dim)`` of flat rows ``(B, d)``."""
        if self.image_shape is not None:
            rows = rows.reshape(rows.shape[0], *self.image_shape)
        return self.encoder(rows)

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(rows)).reshape(rows.shape[0], -1)


def build_autoencoder(
    dim: int,
    latent_dim: int,
    image_shape: tuple[int, int, int] | None,
    hidden: Sequence[int],
    channels: Sequence[int],
    generator: torch.Generator,
) -> Autoencoder:
    """The convolutional (``image_shape`` given: ``(C, H, W)`` with ``C * H * W == dim``) or MLP autoencoder of
    the module docstring, initialised from ``generator``."""
    if image_shape is None:
        encoder: list[nn.Module] = []
        width = dim
        for size in hidden:
            encoder += [_layer(nn.Linear, generator, width, size), nn.ReLU()]
            width = size
        encoder.append(_layer(nn.Linear, generator, width, latent_dim))
        decoder: list[nn.Module] = []
        width = latent_dim
        for size in reversed(hidden):
            decoder += [_layer(nn.Linear, generator, width, size), nn.ReLU()]
            width = size
        decoder.append(_layer(nn.Linear, generator, width, dim))
        return Autoencoder(nn.Sequential(*encoder), nn.Sequential(*decoder), None)

    c, h, w = image_shape
    sizes = [(h, w)]
    encoder = []
    previous = c
    for out in channels:
        encoder += [_layer(nn.Conv2d, generator, previous, out, 3, stride=2, padding=1), nn.ReLU()]
        previous = out
        sizes.append((_halved(sizes[-1][0]), _halved(sizes[-1][1])))
    bottom = (previous, *sizes[-1])
    flat = math.prod(bottom)
    encoder += [nn.Flatten(), _layer(nn.Linear, generator, flat, latent_dim)]
    decoder = [_layer(nn.Linear, generator, latent_dim, flat), nn.ReLU(), _Reshape(bottom)]
    outs = [c, *channels[:-1]]
    for level in range(len(channels) - 1, -1, -1):
        (th, tw), (sh, sw) = sizes[level], sizes[level + 1]
        # a transposed 3 x 3 convolution, stride 2, padding 1 maps size s to 2 s - 1 + output_padding
        padding = (th - (2 * sh - 1), tw - (2 * sw - 1))
        decoder.append(
            _layer(
                nn.ConvTranspose2d,
                generator,
                channels[level],
                outs[level],
                3,
                stride=2,
                padding=1,
                output_padding=padding,
            )
        )
        if level > 0:
            decoder.append(nn.ReLU())
    return Autoencoder(nn.Sequential(*encoder), nn.Sequential(*decoder), image_shape)


@dataclass
class AutoencoderFit:
    """What :func:`train_autoencoder` returns.

    Attributes:
        codes: ``(n, latent_dim)`` float64 codes of every row, in the input's order.
        relative_mse: :math:`\\sum_{ij} (z_{ij} - \\hat z_{ij})^2 / \\sum_{ij} (z_{ij} - \\bar z_j)^2` over all rows
            (0: perfect reconstruction; 1: no better than each column's mean).
        validation_relative_mse: the same over the held-out rows only.
        train_curve: ``[step, mean training-batch loss since the previous evaluation]`` per evaluation;
            ``validation_curve``: ``[step, held-out loss]`` per evaluation (step 0: the untrained network).
        steps: optimiser steps taken; ``epochs``: the same in passes over the training rows; ``best_step``: the
            step of the kept network; ``stop_reason``: ``"early stopping"`` or ``"max_steps"``.
    """

    codes: np.ndarray
    relative_mse: float
    validation_relative_mse: float
    train_curve: list[list[float]] = field(default_factory=list)
    validation_curve: list[list[float]] = field(default_factory=list)
    steps: int = 0
    epochs: float = 0.0
    best_step: int = 0
    stop_reason: str = "max_steps"
    n_train: int = 0
    n_validation: int = 0
    seconds: float = 0.0

    def info(self) -> dict[str, Any]:
        """A JSON-able summary (everything but the codes)."""
        return {
            "relative_mse": self.relative_mse,
            "validation_relative_mse": self.validation_relative_mse,
            "train_curve": self.train_curve,
            "validation_curve": self.validation_curve,
            "steps": self.steps,
            "epochs": self.epochs,
            "best_step": self.best_step,
            "stop_reason": self.stop_reason,
            "n_train": self.n_train,
            "n_validation": self.n_validation,
            "seconds": self.seconds,
        }


@contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """Set torch's intra-op thread count for a ``with`` block and restore the previous count afterwards."""
    previous = torch.get_num_threads()
    if previous != threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def _rounded(value: float) -> float:
    return float(f"{value:.{_CURVE_DIGITS}g}")


def _seeds(seed: int) -> tuple[np.random.Generator, np.random.Generator, int]:
    split_seq, batch_seq, torch_seq = np.random.SeedSequence(seed).spawn(3)
    torch_seed = int(torch_seq.generate_state(1, dtype=np.uint64)[0] & np.uint64(2**63 - 1))
    return np.random.default_rng(split_seq), np.random.default_rng(batch_seq), torch_seed


def _blocks(n: int) -> list[slice]:
    return [slice(start, min(n, start + _BLOCK_ROWS)) for start in range(0, n, _BLOCK_ROWS)]


def train_autoencoder(
    data: np.ndarray,
    *,
    latent_dim: int,
    image_shape: tuple[int, int, int] | None,
    loss: str,
    hidden: Sequence[int],
    channels: Sequence[int],
    max_steps: int,
    eval_every: int,
    patience: int,
    batch_size: int,
    learning_rate: float,
    validation_fraction: float,
    seed: int,
    owner: str,
) -> AutoencoderFit:
    """Train an autoencoder on the rows of ``data`` (``(n, d)`` float64, already centred and scaled) and encode
    every row (see the module docstring).

    Raises:
        ValueError: fewer than 2 training or 2 held-out rows.
    """
    start = time.perf_counter()
    n, dim = data.shape
    n_val = round(n * validation_fraction)
    n_train = n - n_val
    if min(n_train, n_val) < 2:
        raise ValueError(
            f"too few samples: got n={n}, which splits into {n_train} training and {n_val} held-out rows for the "
            f"autoencoder; {owner} needs at least 2 of each (more samples, or another validation_fraction)"
        )
    split_rng, batch_rng, torch_seed = _seeds(seed)
    order = split_rng.permutation(n)
    train_rows, val_rows = order[:n_train], order[n_train:]
    rows = torch.as_tensor(np.ascontiguousarray(data), dtype=torch.float32)
    train, validation = rows[torch.as_tensor(train_rows)], rows[torch.as_tensor(val_rows)]

    generator = torch.Generator(device="cpu").manual_seed(torch_seed)
    model = build_autoencoder(dim, latent_dim, image_shape, hidden, channels, generator)
    criterion: nn.Module = nn.MSELoss() if loss == "mse" else nn.L1Loss()
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    batch = min(batch_size, n_train)

    @torch.no_grad()
    def held_out_loss() -> float:
        model.eval()
        total = 0.0
        for block in _blocks(n_val):
            part = validation[block]
            total += float(criterion(model(part), part)) * part.shape[0]
        model.train()
        return total / n_val

    best_loss = held_out_loss()
    validation_curve = [[0, _rounded(best_loss)]]
    train_curve: list[list[float]] = []
    best_state = {k: v.clone() for k, v in model.state_dict().items()}
    best_step, since_best, step = 0, 0, 0
    stop_reason = "max_steps"
    batches_per_epoch = n_train // batch
    perm = torch.empty(0, dtype=torch.int64)
    interval_sum, interval_count = 0.0, 0
    model.train()
    while step < max_steps:
        position = step % batches_per_epoch
        if position == 0:
            perm = torch.as_tensor(batch_rng.permutation(n_train))
        part = train[perm[position * batch : (position + 1) * batch]]
        step_loss = criterion(model(part), part)
        optimiser.zero_grad(set_to_none=True)
        step_loss.backward()
        optimiser.step()
        step += 1
        interval_sum += float(step_loss.detach())
        interval_count += 1
        if step % eval_every and step != max_steps:
            continue
        train_curve.append([step, _rounded(interval_sum / interval_count)])
        interval_sum, interval_count = 0.0, 0
        value = held_out_loss()
        validation_curve.append([step, _rounded(value)])
        if value < best_loss:
            best_loss, best_step, since_best = value, step, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            since_best += 1
            if since_best >= patience:
                stop_reason = "early stopping"
                break
    model.load_state_dict(best_state)
    model.eval()

    codes = np.empty((n, latent_dim))
    squared_error = np.empty(n)
    with torch.no_grad():
        for block in _blocks(n):
            part = rows[block]
            code = model.encode(part)
            codes[block] = code.double().numpy()
            reconstruction = model.decoder(code).reshape(part.shape[0], -1)
            squared_error[block] = ((reconstruction - part).double() ** 2).sum(dim=1).numpy()
    centred = data - data.mean(axis=0)
    total_variation = float(np.sum(centred**2))
    val_centred = data[val_rows] - data[val_rows].mean(axis=0)
    return AutoencoderFit(
        codes=codes,
        relative_mse=float(squared_error.sum() / total_variation) if total_variation > 0 else 0.0,
        validation_relative_mse=float(squared_error[val_rows].sum() / max(float(np.sum(val_centred**2)), 1e-300)),
        train_curve=train_curve,
        validation_curve=validation_curve,
        steps=step,
        epochs=step / batches_per_epoch,
        best_step=best_step,
        stop_reason=stop_reason,
        n_train=n_train,
        n_validation=n_val,
        seconds=time.perf_counter() - start,
    )

"""A quantization-aware fully connected network (Lorenzen, Igel & Nielsen, ICLR 2022).

Layers ``l = 1 .. L`` (``L = len(widths) - 1``); hidden layers use ``activation`` (``"tanh"`` or ``"relu"``), the
last layer is a softmax. With ``h_0 = x`` and ``q`` the fake quantization of :mod:`~mibench.networks.quantization`
(``b = spec.bits`` bits)::

    ReLU hidden layer:  h_l = q_act( relu( h_{l-1} q_w(W_l) + b_l ) )   q_act: moving-average range from [-6, 6]
    tanh hidden layer:  h_l = q_act( tanh( h_{l-1} W_l + b_l ) )        q_act: the batch's own min/max
                                                                        (or a fixed [-1, 1]); W_l not quantized
    softmax output:     h_L = q_act( softmax( h_{L-1} q_w(W_L) + b_L ) )  q_act: moving-average range

``q_w`` quantizes a weight matrix per tensor over ``[min(W, 0), max(W, 0)]`` (TF's ``LastValueQuantizer`` with the
current weights). Biases are never quantized (TF's default 8-bit dense config). Every ``h_l`` (the quantized
values) is a "layer" ``T_l`` of the information plane; for the 12-bit net these are T1..T5 and the output.

Initialisation as the paper's code: Glorot-uniform weights, ``W ~ U(-a, a)``, ``a = sqrt(6 / (fan_in + fan_out))``
(Glorot & Bengio 2010), and zero biases, drawn from an explicit ``torch.Generator`` (layer by layer, ``W_l`` of
shape ``(fan_in, fan_out)``), so a seed fixes the network on any platform.

Evaluation (``training=False``) uses the stored moving-average ranges and leaves them unchanged; tanh layers then
quantize over the min/max of the batch evaluated, which for the information plane is the whole data set.

Differences from the TF original, kept small on purpose: the input is fed as is (tfmo inserts an input quantizer
whose range never shrinks from [-6, 6]; on binary inputs that only rescales 1 to 0.988); weights are quantized over
their current min/max, where TF uses the min/max stored at the last training step (identical up to one Adam
step, and TF's stored value before any step is [-6, 6]).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mibench.networks.quantization import (
    NO_QUANTIZATION_BITS,
    BatchRange,
    FixedRange,
    MovingAverageRange,
    RangeRule,
    _check_bits,
    fake_quantize,
)

if TYPE_CHECKING:
    import torch

__all__ = ["ACTIVATIONS", "DIGITS_WIDTHS", "TWELVE_BIT_WIDTHS", "NetworkSpec", "QuantizedMLP", "torch_threads"]

ACTIVATIONS = ("tanh", "relu")
TANH_RANGES = ("batch", "fixed")
ACTIVATION_RANGES = ("moving_average", "batch")

#: The 12-bit net of Shwartz-Ziv & Tishby (and Lorenzen et al.): 12-10-7-5-4-3-2.
TWELVE_BIT_WIDTHS = (12, 10, 7, 5, 4, 3, 2)
#: A bottleneck net for scikit-learn digits, after the paper's MNIST "Bottleneck-2" (16-8-4-2 hidden, ReLU).
DIGITS_WIDTHS = (64, 16, 8, 4, 2, 10)


@dataclass(frozen=True)
class NetworkSpec:
    """Architecture and quantization of a :class:`QuantizedMLP` (JSON-able via :meth:`to_dict`).

    Attributes:
        widths: layer widths from the input to the softmax output (at least 2 entries).
        activation: hidden activation, ``"tanh"`` or ``"relu"``.
        bits: 8 (default), 4, or 32 (no quantization); any of 2..16 is accepted.
        tanh_range: ``"batch"`` (the paper: the batch's own min/max) or ``"fixed"`` (``[-1, 1]``).
        activation_range: range rule of ReLU/softmax activations: ``"moving_average"`` (the paper) or ``"batch"``
            (each batch's own ``[min(min, 0), max(max, 0)]``; at evaluation the data set's: a comparison rule).
        range_init: initial moving-average range of ReLU/softmax activations (the paper: ``[-6, 6]``).
        decay: moving-average decay (the paper: 0.999).
        dtype: ``"float32"`` (as the paper's TF code) or ``"float64"``.
    """

    widths: tuple[int, ...] = TWELVE_BIT_WIDTHS
    activation: str = "tanh"
    bits: int = 8
    tanh_range: str = "batch"
    activation_range: str = "moving_average"
    range_init: tuple[float, float] = (-6.0, 6.0)
    decay: float = 0.999
    dtype: str = "float32"

    def __post_init__(self) -> None:
        widths = tuple(int(w) for w in self.widths)
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"widths must list at least an input and an output width, all >= 1, got {self.widths}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.tanh_range not in TANH_RANGES:
            raise ValueError(f"tanh_range must be one of {TANH_RANGES}, got {self.tanh_range!r}")
        if self.activation_range not in ACTIVATION_RANGES:
            raise ValueError(f"activation_range must be one of {ACTIVATION_RANGES}, got {self.activation_range!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        _check_bits(self.bits)
        object.__setattr__(self, "widths", widths)
        object.__setattr__(self, "range_init", (float(self.range_init[0]), float(self.range_init[1])))

    @property
    def n_layers(self) -> int:
        """Number of weight layers ``L`` (hidden layers plus the output)."""
        return len(self.widths) - 1

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["widths"] = list(self.widths)
        out["range_init"] = list(self.range_init)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkSpec:
        data = dict(data)
        data["widths"] = tuple(data["widths"])
        data["range_init"] = tuple(data["range_init"])
        return cls(**data)

    @classmethod
    def for_dataset(cls, name: str, activation: str | None = None, **changes: Any) -> NetworkSpec:
        """The default net for a built-in data set: 12-10-7-5-4-3-2 (``"12bit"``, tanh unless told) or the
        64-16-8-4-2-10 bottleneck (``"digits"``, ReLU unless told)."""
        if name == "12bit":
            return cls(widths=TWELVE_BIT_WIDTHS, activation=activation or "tanh", **changes)
        if name == "digits":
            return cls(widths=DIGITS_WIDTHS, activation=activation or "relu", **changes)
        raise ValueError(f"no default network for data set {name!r}; give NetworkSpec(widths=...) explicitly")


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)`` and restore the previous count afterwards (``None``: leave
    it). These networks are tiny: one thread is fastest, and on shared cores several threads can be 20x slower."""
    if n is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class QuantizedMLP:
    """The network of :class:`NetworkSpec` with its parameters and range state (a plain class, no ``nn.Module``,
    so that defining it needs no torch; parameters are leaf tensors for any ``torch.optim`` optimizer)."""

    def __init__(self, spec: NetworkSpec, *, seed: int | None = None, generator: torch.Generator | None = None):
        import torch

        if (seed is None) == (generator is None):
            raise ValueError("give exactly one of seed (an int) or generator (a torch.Generator)")
        if generator is None:
            generator = torch.Generator().manual_seed(int(seed))  # type: ignore[arg-type]
        self.spec = spec
        self.dtype = getattr(torch, spec.dtype)
        self.weights: list[torch.Tensor] = []
        self.biases: list[torch.Tensor] = []
        for fan_in, fan_out in zip(spec.widths[:-1], spec.widths[1:], strict=True):
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            u = torch.rand((fan_in, fan_out), generator=generator, dtype=self.dtype)
            self.weights.append(((2.0 * u - 1.0) * limit).requires_grad_(True))
            self.biases.append(torch.zeros(fan_out, dtype=self.dtype, requires_grad=True))
        self.activation_ranges: list[RangeRule] = [self._activation_range(i) for i in range(spec.n_layers)]
        self._weight_range = BatchRange(include_zero=True)

    # ----------------------------------------------------------------------------------------------------------

    def _is_output(self, layer: int) -> bool:
        return layer == self.spec.n_layers - 1

    def _activation_range(self, layer: int) -> RangeRule:
        if self.spec.activation == "tanh" and not self._is_output(layer):
            return BatchRange() if self.spec.tanh_range == "batch" else FixedRange(-1.0, 1.0)
        if self.spec.activation_range == "batch":
            return BatchRange(include_zero=True)
        return MovingAverageRange(init=self.spec.range_init, decay=self.spec.decay)

    def weights_quantized(self, layer: int) -> bool:
        """Whether layer ``layer`` (0-based) quantizes its weights: ReLU and softmax layers do, tanh layers not."""
        if self.spec.bits == NO_QUANTIZATION_BITS:
            return False
        return self.spec.activation == "relu" or self._is_output(layer)

    def parameters(self) -> list[torch.Tensor]:
        """Weights and biases, layer by layer (``W_1, b_1, W_2, b_2, ...``)."""
        return [p for pair in zip(self.weights, self.biases, strict=True) for p in pair]

    def effective_weight(self, layer: int) -> torch.Tensor:
        """The weight matrix layer ``layer`` (0-based) multiplies by: quantized per tensor where the rule says so."""
        w = self.weights[layer]
        if not self.weights_quantized(layer):
            return w
        lo, hi = self._weight_range(w, True)
        return fake_quantize(w, lo, hi, self.spec.bits)

    def forward(self, x: torch.Tensor, *, training: bool = False) -> list[torch.Tensor]:
        """Every layer's quantized output for a batch, hidden layers first and the softmax output last.

        ``training=True`` updates the moving-average ranges (one step per call) and keeps the autograd graph;
        ``training=False`` uses the stored ranges (call it under ``torch.no_grad()`` when no gradient is needed).
        """
        import torch

        h = x.to(self.dtype)
        outputs: list[torch.Tensor] = []
        for layer in range(self.spec.n_layers):
            z = h @ self.effective_weight(layer) + self.biases[layer]
            if self._is_output(layer):
                a = torch.softmax(z, dim=1)
            elif self.spec.activation == "tanh":
                a = torch.tanh(z)
            else:
                a = torch.relu(z)
            lo, hi = self.activation_ranges[layer](a, training)
            h = fake_quantize(a, lo, hi, self.spec.bits)
            outputs.append(h)
        return outputs

    def layer_outputs(self, x: np.ndarray | torch.Tensor) -> list[np.ndarray]:
        """Evaluation-mode quantized values of every layer for the batch ``x`` as float64 arrays ``(n, width)``
        (exact copies of the network's values; the stored ranges are not changed)."""
        import torch

        if not isinstance(x, torch.Tensor):
            x = torch.from_numpy(np.array(x))  # a writable copy (datasets are read-only)
        with torch.no_grad():
            return [t.numpy().astype(np.float64) for t in self.forward(x, training=False)]

    def range_state(self) -> list[dict[str, Any]]:
        """The activation range rules' states, layer by layer (JSON-able)."""
        return [rule.state() for rule in self.activation_ranges]

    def __repr__(self) -> str:
        return f"QuantizedMLP({self.spec!r})"

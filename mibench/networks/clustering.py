r"""How tightly a layer clusters its inputs by class: the measure set beside ``I(X; T)`` in the noisy planes.

Goldfeld et al. ("Estimating information flow in deep neural networks", ICML 2019) explain the compression of
``I(X; T)`` in noisy networks by *clustering*: as training goes on, the representations of inputs of the same class
move together (tanh units saturate), clusters closer than the noise level ``b`` become indistinguishable through the
channel, and ``I(X; T)`` falls. To set a number beside each layer's ``I(X; T)``, this module measures how much
closer same-class representations are than different-class ones, on the layer's clean values ``s_i`` (all ``N``
inputs, labels ``y_i``):

.. math::

    W = \operatorname{mean}_{i \ne j,\; y_i = y_j} |s_i - s_j|^2, \qquad
    B = \operatorname{mean}_{y_i \ne y_j} |s_i - s_j|^2, \qquad
    \text{ratio} = W / B.

``ratio < 1``: inputs of one class lie closer together than inputs of different classes; the smaller, the tighter
the class clusters relative to their separation (0: every class one point). ``ratio`` is scale-free (a layer
shrinking as a whole does not change it) and dimension-free; its fall over training is what "same-class
representations cluster" means. ``W`` itself, in units of ``b^2`` (:attr:`Separation.within_over_noise`), says
whether the clusters are tight *at the noise's scale*: the scale at which the channel stops telling their members
apart. Both are exact and cost ``O(N d)``: with ``n_c`` points of class ``c``, ``m_c = sum s_i`` and
``q_c = sum |s_i|^2`` over them, the sum over ordered pairs within a class is ``2 n_c q_c - 2 |m_c|^2`` and between
classes ``a != c`` it is ``n_c q_a + n_a q_c - 2 m_a . m_c``. ``B = 0`` (every input on one point) leaves the ratio
undefined (NaN).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mibench.networks.training import TrainingRecord

__all__ = ["CLUSTERING_COLUMNS", "Separation", "class_separation", "clustering_table"]

#: The columns of :func:`clustering_table`.
CLUSTERING_COLUMNS = ["activation", "seed", "layer", "epoch", "within", "between", "ratio", "within_over_noise"]


@dataclass(frozen=True)
class Separation:
    """Mean squared distances between a layer's representations (see the module docstring).

    Attributes:
        within: ``W``, over pairs of distinct inputs of the same class.
        between: ``B``, over pairs of inputs of different classes.
        ratio: ``W / B`` (NaN when ``B == 0``).
        within_over_noise: ``W / b^2`` for the noise level given (NaN without one).
    """

    within: float
    between: float
    ratio: float
    within_over_noise: float = math.nan


def class_separation(values: np.ndarray, labels: np.ndarray, noise_std: float | None = None) -> Separation:
    """The separation of ``values`` (``(N, d)`` or ``(N,)``) by ``labels`` (``(N,)`` integers).

    Raises:
        ValueError: shapes that do not match, fewer than two classes, or a class with a single input only
            everywhere (no pair within a class).
    """
    s = np.asarray(values, dtype=np.float64)
    if s.ndim == 1:
        s = s.reshape(-1, 1)
    y = np.asarray(labels).reshape(-1)
    if s.ndim != 2 or s.shape[0] != y.shape[0]:
        raise ValueError(f"values {np.shape(values)} and labels {np.shape(labels)} must have one row per input")
    classes, index = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError("the separation needs inputs of at least two classes")
    centred = s - s.mean(axis=0)  # distances do not change; sums of squares stay small
    counts = np.bincount(index).astype(np.float64)
    sums = np.zeros((classes.size, s.shape[1]))
    np.add.at(sums, index, centred)
    squares = np.bincount(index, weights=np.einsum("ij,ij->i", centred, centred))
    within_pairs = float(np.sum(counts * (counts - 1)))
    if within_pairs == 0:
        raise ValueError("every class has a single input: no pair within a class")
    within = float(np.sum(2 * counts * squares - 2 * np.einsum("ij,ij->i", sums, sums))) / within_pairs
    between_sum = 0.0
    between_pairs = 0.0
    for a in range(classes.size):
        for c in range(a + 1, classes.size):
            between_sum += counts[c] * squares[a] + counts[a] * squares[c] - 2 * float(sums[a] @ sums[c])
            between_pairs += counts[a] * counts[c]
    between = between_sum / between_pairs
    within, between = max(within, 0.0), max(between, 0.0)  # rounding
    ratio = within / between if between > 0 else math.nan
    over_noise = math.nan if noise_std is None else within / float(noise_std) ** 2
    return Separation(within, between, ratio, over_noise)


def clustering_table(
    records: Mapping[str, TrainingRecord],
    *,
    noise_std: float | None = None,
    layers: Iterable[int] | None = None,
    epochs: Iterable[int] | None = None,
) -> pd.DataFrame:
    """The separation of every record's layers (default: all) at its logged epochs (default: all), one row per
    (activation, seed, layer, epoch): :data:`CLUSTERING_COLUMNS` (squared distances in the layer's units; ``seed``
    the study's repetition seed). A layer whose inputs all share one value has a NaN ratio."""
    import pandas as pd

    from mibench.networks.restarts import study_seed

    rows = []
    for record in records.values():
        chosen = range(1, record.n_layers + 1) if layers is None else [int(v) for v in layers]
        wanted = record.epochs.tolist() if epochs is None else [int(e) for e in epochs]
        for epoch in wanted:
            for layer in chosen:
                sep = class_separation(record.layer_values(layer, epoch), record.y, noise_std)
                rows.append(
                    {
                        "activation": record.spec.activation,
                        "seed": study_seed(record.seed),
                        "layer": int(layer),
                        "epoch": int(epoch),
                        "within": sep.within,
                        "between": sep.between,
                        "ratio": sep.ratio,
                        "within_over_noise": sep.within_over_noise,
                    }
                )
    return pd.DataFrame(rows, columns=CLUSTERING_COLUMNS)

"""Network tasks: exact-truth :class:`~mibench.interface.Task` objects from a :class:`TrainingRecord`.

For a recorded layer ``T_l`` (``l = 1 .. L``, ``L`` the softmax output) at a logged epoch ``e`` the population is
the data set with ``X`` uniform on its ``N`` rows. Two pairs:

* ``"xt"``: ``(X, T_l)``, truth ``I(X; T_l) = H(T_l)``;
* ``"ty"``: ``(T_l, Y)``, truth ``I(T_l; Y) = H(T_l) - sum_y p(y) H(T_l | Y = y)``;

both exact (:mod:`~mibench.networks.exact`), in nats, ``truth="exact"``, ``mi_stderr=0``.

**What ``n`` means.** The population is finite (``N`` rows, X uniform on them), so ``sample(n, seed)`` draws ``n``
*distinct* rows: a seeded random permutation of the rows, of which the first ``n`` are kept (sampling without
replacement). ``n = N`` gives every row of the data set exactly once, in a seeded order -- the whole population,
which is what the information-plane literature gives its estimators; smaller ``n`` is a uniform subsample;
``n > N`` is an error (there are only ``N`` distinct rows to give).

What an estimator receives (``representation``):

* ``"values"`` (default): ``T`` as the network's dequantized float64 values (at most ``2^b`` distinct numbers per
  layer), ``X`` as float64 inputs (0.0/1.0 for the 12-bit set), ``Y`` as int64 labels. ``discrete=False``.
* ``"codes"``: ``T`` as int64 indices into the layer's grid (``values = grid[codes]``, an increasing map, so
  order and ties are kept and the MI is the same); ``X`` as int64 when the inputs are integer-valued (12-bit
  set), else float64; ``Y`` int64. ``discrete=True`` exactly when both returned arrays are integer.

**Task-supplied estimator context** (:attr:`~mibench.interface.Task.context`): the settings the
information-plane studies use, which belong to the layer and not to a suite:

* binning: ``strategy="fixed-edges"`` with ``edges`` chosen by the layer's activation -- Shwartz-Ziv & Tishby's
  ``linspace(-1, 1, 30)`` for tanh (made for tanh's range), and :data:`BINS` equal-width cells between the
  minimum and maximum of every layer at every logged epoch of the record for ReLU (Lorenzen, Igel & Nielsen's
  per-run range: unbounded values, and edges that stay fixed over epochs so that the binned MI does not move
  merely because a layer's range moves); the other variable (X, or the label Y) is taken as symbols
  (``x_strategy="none"`` or ``y_strategy="none"``), so binning never merges two inputs or two classes and
  ``I(X; T)`` is the binned ``H(T)``;
* KDE bounds: ``target="input"`` for ``xt`` and ``"labels"`` for ``ty``.

Under the ``codes`` representation binning takes every value as a symbol (``strategy="none"``).

**Noisy-network tasks** (:func:`noisy_network_task`): the same layer read through Gaussian noise,
``T = S_l(X) + N(0, b^2 I)``, X uniform on the data set (the same population and sampling without replacement).
The network is the deterministic one that was trained (quantized), with noise added only where the layer is read:
not a network trained with noise. The task carries an :class:`~mibench.interface.Channel` (noise ``b``; target
``"input"`` for ``xt``: ``(X, T)``; ``"labels"`` for ``ty``: ``(T, Y)``) whose clean sampler draws the same rows
before the noise, so white-box estimators (Gaussian convolution, the KDE bounds) can read the clean values. The truth
is Monte Carlo over the exact mixture of the layer's ``N`` values with a standard error of at most 0.01 nats,
``truth="monte carlo"``, cached beside the record (:mod:`~mibench.networks.noisy`). Its family is ``"network"``, as
the quantized tasks' (their truths differ in ``truth`` and ``mi_stderr``; ``params["noise_std"]`` and the id say b).
Estimator context: the quantized task's (the same fixed binning edges -- noisy values outside them fall in the
outermost cells, as :class:`~mibench.estimators.binning.Binning` does with fixed edges -- the other side as
symbols, the KDE target) plus the channel's ``noise_std``, ``noise_variance`` and ``target``.

Ids (:mod:`~mibench.networks.ids`): ``{record.name}-e{epoch}-l{layer}-{pair}``, plus ``-codes`` for the codes
representation or ``-b{noise}`` for a noisy task, e.g. ``net-12bit-tanh-s0-e100-l6-xt`` and
``net-12bit-tanh-s0-e100-l6-xt-b0.01``: readable and unique within a record (and across records that differ in a
setting shown in :attr:`TrainingRecord.name`). ``params["record"]`` holds the record's full identity and
``version`` carries the record's digest (and, for a noisy task, the noise level and the truth method's version), so
results of different runs never mix. These ids are not in the global catalogue: records are produced at run time.
:func:`parse_task_id` splits an id into the record name and the (epoch, layer, pair, representation, noise);
:func:`task_from_id` rebuilds the task from a loaded record. :func:`mibench.resolver.resolve_task` maps a network id
to ``{records_dir}/{record name}.npz`` and calls it, so the runner runs network tasks like any other.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mibench.interface import Channel, Task
from mibench.networks.exact import layer_information, row_ids
from mibench.networks.ids import (
    ID_PATTERN,
    NOISE_LEVELS,
    PAIRS,
    REPRESENTATIONS,
    check_noise,
    format_noise,
    parse_task_id,
    task_id,
)
from mibench.networks.noisy import NoisyTruth, layer_truth
from mibench.networks.training import TrainingRecord

__all__ = [
    "BINS",
    "FAMILY",
    "ID_PATTERN",
    "NOISE_LEVELS",
    "NOISY_VERSION",
    "PAIRS",
    "REPRESENTATIONS",
    "VERSION",
    "PopulationSampler",
    "binning_edges",
    "network_task",
    "network_tasks",
    "noisy_network_task",
    "parse_task_id",
    "task_from_id",
    "task_id",
]

FAMILY = "network"
#: 2: samples are drawn without replacement from the population (1 drew rows with replacement).
VERSION = "2"
#: The noisy tasks' own version (their versions also carry the record digest, b and the truth method).
NOISY_VERSION = "1"
#: Equal-width cells of the per-run range used for ReLU layers (the tanh edges are Shwartz-Ziv & Tishby's).
BINS = 30


@dataclass(frozen=True, eq=False)
class PopulationSampler:
    """Picklable sampler over a finite population of rows: ``n`` distinct rows in a seeded random order (the first
    ``n`` of ``rng.permutation(N)``), returning ``(a[rows], b[rows])``."""

    a: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        population = self.a.shape[0]
        if n > population:
            raise ValueError(
                f"a network task's population has {population} rows; n = {n} would repeat rows (use n <= {population};"
                f" n = {population} gives every row once)"
            )
        rows = rng.permutation(population)[:n]
        return self.a[rows], self.b[rows]


def binning_edges(record: TrainingRecord) -> list[float]:
    """The binning edges of the record's layers (see the module docstring): ``linspace(-1, 1, 30)`` for tanh,
    :data:`BINS` equal-width cells over the range of all layers and logged epochs for other activations."""
    if record.spec.activation == "tanh":
        return np.linspace(-1.0, 1.0, BINS).tolist()
    lows = [float(grid[0]) for layer in record.grids for grid in layer if grid.size]
    highs = [float(grid[-1]) for layer in record.grids for grid in layer if grid.size]
    low, high = min(lows), max(highs)
    if not high > low:
        low, high = low - 0.5, high + 0.5  # a constant network: any cells give one symbol
    return np.linspace(low, high, BINS + 1).tolist()


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


def _inputs(record: TrainingRecord, representation: str) -> np.ndarray:
    x = np.asarray(record.x, dtype=np.float64)
    if representation == "codes" and np.all(x == np.round(x)) and np.all(np.abs(x) < 2**62):
        return x.astype(np.int64)
    return x


def network_task(
    record: TrainingRecord, layer: int, epoch: int, pair: str = "xt", *, representation: str = "values"
) -> Task:
    """The task ``(X, T_layer)`` (``pair="xt"``) or ``(T_layer, Y)`` (``pair="ty"``) at logged ``epoch``.

    ``layer`` is 1-based (``record.n_layers`` is the softmax output). See the module docstring for what the
    samples contain under each ``representation``.
    """
    if pair not in PAIRS:
        raise ValueError(f"pair must be one of {PAIRS}, got {pair!r}")
    if representation not in REPRESENTATIONS:
        raise ValueError(f"representation must be one of {REPRESENTATIONS}, got {representation!r}")
    codes = record.layer_codes(layer, epoch)
    info = layer_information(codes, record.y)
    t = codes.astype(np.int64) if representation == "codes" else record.layer_values(layer, epoch)
    y = np.asarray(record.y, dtype=np.int64).reshape(-1, 1)
    if pair == "xt":
        a, b, truth = _inputs(record, representation), t, info.i_xt
    else:
        a, b, truth = t, y, info.i_ty
    discrete = bool(np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer))
    width = int(codes.shape[1])
    symbol = f"T{layer}" if layer < record.n_layers else "the output"
    quantity = f"I(X; {symbol})" if pair == "xt" else f"I({symbol}; Y)"
    return Task(
        id=task_id(record.name, epoch, layer, pair, representation),
        family=FAMILY,
        dim_x=int(a.shape[1]),
        dim_y=int(b.shape[1]),
        mi=float(truth),
        sampler=PopulationSampler(_readonly(a), _readonly(b)),
        mi_stderr=0.0,
        truth="exact",
        params={**_layer_params(record, layer, width, epoch, pair, representation), "n_distinct": info.n_distinct},
        version=f"{VERSION}-{record.digest}",
        description=f"exact {quantity} of {record.name} at epoch {epoch} (layer width {width}, X uniform on "
        f"{record.n} rows)",
        discrete=discrete,
        context=_context(record, pair, representation),
    )


def _layer_params(
    record: TrainingRecord, layer: int, width: int, epoch: int, pair: str, representation: str
) -> dict[str, object]:
    """The parameters every network task of a record's layer lists: which record, layer, epoch and pair."""
    return {
        "record": record.identity(),
        "record_name": record.name,
        "record_digest": record.digest,
        "layer": int(layer),
        "width": width,
        "epoch": int(epoch),
        "pair": pair,
        "representation": representation,
        "n_rows": record.n,
    }


def _context(record: TrainingRecord, pair: str, representation: str) -> dict[str, object]:
    target = "input" if pair == "xt" else "labels"
    if representation == "codes":  # the codes are the symbols already
        return {"strategy": "none", "target": target}
    symbols = "x_strategy" if pair == "xt" else "y_strategy"
    return {"strategy": "fixed-edges", "edges": binning_edges(record), symbols: "none", "target": target}


def noisy_network_task(
    record: TrainingRecord,
    layer: int,
    epoch: int,
    pair: str,
    noise_std: float,
    *,
    records_dir: str | os.PathLike[str] | None = None,
    truth: NoisyTruth | None = None,
) -> Task:
    """The noisy-network task: ``(X, T)`` (``pair="xt"``) or ``(T, Y)`` (``"ty"``) with
    ``T = S_layer(X) + N(0, noise_std^2 I)`` at logged ``epoch`` (see the module docstring).

    The truth comes from ``truth`` when given, else from the record's cache in ``records_dir``
    (:func:`~mibench.networks.noisy.layer_truth`: computed and cached when missing; ``records_dir=None``: computed,
    not cached).

    Raises:
        ValueError: an unknown pair, layer or epoch, or a noise level that is not a positive number.
    """
    if pair not in PAIRS:
        raise ValueError(f"pair must be one of {PAIRS}, got {pair!r}")
    b = check_noise(noise_std)
    values = record.layer_values(layer, epoch)  # checks the layer and the epoch
    if truth is None:
        truth = layer_truth(record, layer, epoch, pair, b, records_dir=records_dir)
    labels = np.asarray(record.y, dtype=np.int64).reshape(-1, 1)
    if pair == "xt":
        clean, target = PopulationSampler(_readonly(_inputs(record, "values")), _readonly(values)), "input"
        dim_x, dim_y = int(record.x.shape[1]), int(values.shape[1])
    else:
        clean, target = PopulationSampler(_readonly(values), _readonly(labels)), "labels"
        dim_x, dim_y = int(values.shape[1]), 1
    channel = Channel(b, target, clean)
    width = int(values.shape[1])
    symbol = f"T{layer}" if layer < record.n_layers else "T (the output)"
    quantity = f"I(X; {symbol})" if pair == "xt" else f"I({symbol}; Y)"
    return Task(
        id=task_id(record.name, epoch, layer, pair, noise_std=b),
        family=FAMILY,
        dim_x=dim_x,
        dim_y=dim_y,
        mi=truth.mi,
        sampler=channel.sampler(),
        mi_stderr=float(truth.stderr),
        truth="monte carlo",
        params={
            **_layer_params(record, layer, width, epoch, pair, "values"),
            "noise_std": b,
            "n_distinct": row_ids(values)[1],
            "truth_value": float(truth.value),
            "truth_draws": int(truth.draws),
            "truth_method": truth.method,
        },
        version=f"{NOISY_VERSION}-{record.digest}-b{format_noise(b)}-{truth.method}",
        description=f"Monte-Carlo {quantity} of {record.name} at epoch {epoch} read with Gaussian noise b = "
        f"{format_noise(b)} (T = S + N(0, b^2 I), layer width {width}; the network was trained without noise; "
        f"X uniform on {record.n} rows)",
        discrete=False,
        context=_context(record, pair, "values"),
        channel=channel,
    )


def network_tasks(
    record: TrainingRecord,
    *,
    layers: Iterable[int] | None = None,
    epochs: Iterable[int] | None = None,
    pairs: Iterable[str] = PAIRS,
    representation: str = "values",
    noise_std: float | None = None,
    records_dir: str | os.PathLike[str] | None = None,
) -> list[Task]:
    """Tasks for every (epoch, layer, pair) asked for (default: all logged epochs, all layers, both pairs); noisy
    ones with ``noise_std`` (their truths cached in ``records_dir``, see :func:`noisy_network_task`)."""
    layer_list = list(range(1, record.n_layers + 1)) if layers is None else [int(v) for v in layers]
    epoch_list = record.epochs.tolist() if epochs is None else [int(e) for e in epochs]
    if noise_std is not None:
        return [
            noisy_network_task(record, layer, epoch, pair, noise_std, records_dir=records_dir)
            for epoch in epoch_list
            for layer in layer_list
            for pair in pairs
        ]
    return [
        network_task(record, layer, epoch, pair, representation=representation)
        for epoch in epoch_list
        for layer in layer_list
        for pair in pairs
    ]


def task_from_id(
    record: TrainingRecord, task_id: str, *, records_dir: str | os.PathLike[str] | None = None
) -> Task | None:
    """The task of ``record`` with id ``task_id``; ``None`` if the id is malformed, names another record, or asks
    for an epoch or layer the record does not have. A noisy task's truth is read from (or computed into) the
    record's cache in ``records_dir`` (see :func:`noisy_network_task`)."""
    parts = parse_task_id(task_id)
    if parts is None or parts["record"] != record.name:
        return None
    layer, epoch = int(parts["layer"]), int(parts["epoch"])
    if not 1 <= layer <= record.n_layers or epoch not in set(record.epochs.tolist()):
        return None
    if parts["noise_std"] is not None:
        if format_noise(parts["noise_std"]) != task_id.rpartition("-b")[2]:
            return None  # only the canonical spelling of a noise level names a task
        task = noisy_network_task(record, layer, epoch, str(parts["pair"]), parts["noise_std"], records_dir=records_dir)
    else:
        task = network_task(record, layer, epoch, str(parts["pair"]), representation=str(parts["representation"]))
    return task if task.id == task_id else None

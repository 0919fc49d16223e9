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

Ids: ``{record.name}-e{epoch}-l{layer}-{pair}``, plus ``-codes`` for the codes representation, e.g.
``net-12bit-tanh-s0-e100-l6-xt``: readable and unique within a record (and across records that differ in a
setting shown in :attr:`TrainingRecord.name`). ``params["record"]`` holds the record's full identity and
``version`` ends with the record's digest, so results of different runs never mix. These ids are not in the
global catalogue: records are produced at run time. :func:`parse_task_id` splits an id into the record name and
the (epoch, layer, pair, representation); :func:`task_from_id` rebuilds the task from a loaded record.
:func:`mibench.resolver.resolve_task` maps a network id to ``{records_dir}/{record name}.npz`` and calls it, so
the runner runs network tasks like any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from mibench.interface import Task
from mibench.networks.exact import layer_information
from mibench.networks.training import TrainingRecord

__all__ = [
    "BINS",
    "FAMILY",
    "ID_PATTERN",
    "PAIRS",
    "REPRESENTATIONS",
    "VERSION",
    "PopulationSampler",
    "binning_edges",
    "network_task",
    "network_tasks",
    "parse_task_id",
    "task_from_id",
    "task_id",
]

FAMILY = "network"
#: 2: samples are drawn without replacement from the population (1 drew rows with replacement).
VERSION = "2"
#: Equal-width cells of the per-run range used for ReLU layers (the tanh edges are Shwartz-Ziv & Tishby's).
BINS = 30
PAIRS = ("xt", "ty")
REPRESENTATIONS = ("values", "codes")

#: ``{record name}-e{epoch}-l{layer}-{xt|ty}[-codes]``; the record name starts with ``net-``.
ID_PATTERN = re.compile(
    r"^(?P<record>net-[A-Za-z0-9._-]+?)-e(?P<epoch>\d+)-l(?P<layer>\d+)-(?P<pair>xt|ty)(?P<codes>-codes)?$"
)


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
        params={
            "record": record.identity(),
            "record_name": record.name,
            "record_digest": record.digest,
            "layer": int(layer),
            "width": width,
            "epoch": int(epoch),
            "pair": pair,
            "representation": representation,
            "n_rows": record.n,
            "n_distinct": info.n_distinct,
        },
        version=f"{VERSION}-{record.digest}",
        description=f"exact {quantity} of {record.name} at epoch {epoch} (layer width {width}, X uniform on "
        f"{record.n} rows)",
        discrete=discrete,
        context=_context(record, pair, representation),
    )


def _context(record: TrainingRecord, pair: str, representation: str) -> dict[str, object]:
    target = "input" if pair == "xt" else "labels"
    if representation == "codes":  # the codes are the symbols already
        return {"strategy": "none", "target": target}
    symbols = "x_strategy" if pair == "xt" else "y_strategy"
    return {"strategy": "fixed-edges", "edges": binning_edges(record), symbols: "none", "target": target}


def task_id(record_name: str, epoch: int, layer: int, pair: str, representation: str = "values") -> str:
    """The id of a network task (see the module docstring), without building the task."""
    return f"{record_name}-e{int(epoch)}-l{int(layer)}-{pair}{'-codes' if representation == 'codes' else ''}"


def network_tasks(
    record: TrainingRecord,
    *,
    layers: Iterable[int] | None = None,
    epochs: Iterable[int] | None = None,
    pairs: Iterable[str] = PAIRS,
    representation: str = "values",
) -> list[Task]:
    """Tasks for every (epoch, layer, pair) asked for (default: all logged epochs, all layers, both pairs)."""
    layer_list = list(range(1, record.n_layers + 1)) if layers is None else [int(v) for v in layers]
    epoch_list = record.epochs.tolist() if epochs is None else [int(e) for e in epochs]
    return [
        network_task(record, layer, epoch, pair, representation=representation)
        for epoch in epoch_list
        for layer in layer_list
        for pair in pairs
    ]


def parse_task_id(task_id: str) -> dict[str, str | int] | None:
    """Split a network task id into ``record`` (the :attr:`TrainingRecord.name`), ``epoch``, ``layer``, ``pair``
    and ``representation``; ``None`` if the id is not of this form. A resolver keyed by record name (e.g. a
    directory of ``{record.name}.npz`` files) can then rebuild the task in a worker with :func:`task_from_id`."""
    match = ID_PATTERN.match(task_id)
    if match is None:
        return None
    return {
        "record": match["record"],
        "epoch": int(match["epoch"]),
        "layer": int(match["layer"]),
        "pair": match["pair"],
        "representation": "codes" if match["codes"] else "values",
    }


def task_from_id(record: TrainingRecord, task_id: str) -> Task | None:
    """The task of ``record`` with id ``task_id``; ``None`` if the id is malformed, names another record, or asks
    for an epoch or layer the record does not have."""
    parts = parse_task_id(task_id)
    if parts is None or parts["record"] != record.name:
        return None
    layer, epoch = int(parts["layer"]), int(parts["epoch"])
    if not 1 <= layer <= record.n_layers or epoch not in set(record.epochs.tolist()):
        return None
    task = network_task(record, layer, epoch, str(parts["pair"]), representation=str(parts["representation"]))
    return task if task.id == task_id else None

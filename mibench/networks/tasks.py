"""Network tasks: exact-truth :class:`~mibench.interface.Task` objects from a :class:`TrainingRecord`.

For a recorded layer ``T_l`` (``l = 1 .. L``, ``L`` the softmax output) at a logged epoch ``e`` the population is
the data set with ``X`` uniform on its ``n`` rows (DESIGN.md, "Network tasks are tasks too"). Two pairs:

* ``"xt"``: ``(X, T_l)``, truth ``I(X; T_l) = H(T_l)``;
* ``"ty"``: ``(T_l, Y)``, truth ``I(T_l; Y) = H(T_l) - sum_y p(y) H(T_l | Y = y)``;

both exact (:mod:`~mibench.networks.exact`), in nats, ``truth="exact"``, ``mi_stderr=0``. ``sample(n, seed)`` draws
``n`` row indices uniformly *with replacement* (``rng.integers(0, N, n)``) and returns the rows' pair, so samples
repeat rows and layer vectors: the sample is from a discrete distribution with at most ``N`` atoms.

What an estimator receives (``representation``):

* ``"values"`` (default): ``T`` as the network's dequantized float64 values (at most ``2^b`` distinct numbers per
  layer), ``X`` as float64 inputs (0.0/1.0 for the 12-bit set), ``Y`` as int64 labels. ``discrete=False``.
* ``"codes"``: ``T`` as int64 indices into the layer's grid (``values = grid[codes]``, an increasing map, so
  order and ties are kept and the MI is the same); ``X`` as int64 when the inputs are integer-valued (12-bit
  set), else float64; ``Y`` int64. ``discrete=True`` exactly when both returned arrays are integer.

Ids: ``{record.name}-e{epoch}-l{layer}-{pair}``, plus ``-codes`` for the codes representation, e.g.
``net-12bit-tanh-s0-e100-l6-xt``: readable and unique within a record (and across records that differ in a
setting shown in :attr:`TrainingRecord.name`). ``params["record"]`` holds the record's full identity and
``version`` ends with the record's digest, so results of different runs never mix. These ids are not in the
global catalogue: records are produced at run time. :func:`parse_task_id` splits an id into the record name and
the (epoch, layer, pair, representation); :func:`task_from_id` rebuilds the task from a loaded record, which is
what a worker needs once something maps record names to record files.
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
    "FAMILY",
    "ID_PATTERN",
    "PAIRS",
    "REPRESENTATIONS",
    "VERSION",
    "RowSampler",
    "network_task",
    "network_tasks",
    "parse_task_id",
    "task_from_id",
]

FAMILY = "network"
VERSION = "1"
PAIRS = ("xt", "ty")
REPRESENTATIONS = ("values", "codes")

#: ``{record name}-e{epoch}-l{layer}-{xt|ty}[-codes]``; the record name starts with ``net-``.
ID_PATTERN = re.compile(
    r"^(?P<record>net-[A-Za-z0-9._-]+?)-e(?P<epoch>\d+)-l(?P<layer>\d+)-(?P<pair>xt|ty)(?P<codes>-codes)?$"
)


@dataclass(frozen=True, eq=False)
class RowSampler:
    """Picklable sampler: rows drawn uniformly with replacement, returning ``(a[idx], b[idx])``."""

    a: np.ndarray = field(repr=False)
    b: np.ndarray = field(repr=False)

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        idx = rng.integers(0, self.a.shape[0], size=n)
        return self.a[idx], self.b[idx]


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
    suffix = "-codes" if representation == "codes" else ""
    width = int(codes.shape[1])
    symbol = f"T{layer}" if layer < record.n_layers else "the output"
    quantity = f"I(X; {symbol})" if pair == "xt" else f"I({symbol}; Y)"
    return Task(
        id=f"{record.name}-e{epoch}-l{layer}-{pair}{suffix}",
        family=FAMILY,
        dim_x=int(a.shape[1]),
        dim_y=int(b.shape[1]),
        mi=float(truth),
        sampler=RowSampler(_readonly(a), _readonly(b)),
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
    )


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

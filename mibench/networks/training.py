"""Train a quantized network and record every layer's values on the whole data set at logged epochs.

Training as Lorenzen, Igel & Nielsen (ICLR 2022): a stratified 80/20 split of the data set (:func:`stratified_split`,
``split_seed``; they used 1000), Adam with learning rate ``1e-4`` (``betas = (0.9, 0.999)``, ``eps = 1e-7`` as
Keras), mini-batches of 256 drawn by a fresh permutation of the training rows each epoch (the last batch may be
smaller), categorical cross-entropy on the *quantized* softmax output computed as Keras does
(``p <- p / sum p``, clipped to ``[1e-7, 1 - 1e-7]``, ``-log p_y``), gradients straight through the quantizers.

At each logged epoch (``0`` = at initialisation, ``e`` = after ``e`` epochs) the network is evaluated on *all*
``n`` rows (``X`` uniform on the data set; evaluation mode: stored ranges, see :mod:`~mibench.networks.model`):
train/test accuracy (argmax of the quantized output, first index on ties) and every layer's values. Values are
stored compactly: per layer and logged epoch, ``grid, codes = np.unique(values, return_inverse=True)``, so that
``values == grid[codes]`` exactly; ``codes`` is ``uint8`` when the layer takes at most 256 distinct values (always
at 8 bits: one per-tensor grid per layer), else ``uint16``/``uint32``. Equal code rows are equal layer vectors,
so :mod:`~mibench.networks.exact` works on the codes directly.

Determinism: the initial weights come from ``torch.Generator().manual_seed(seed)``, the batch order from
``numpy.random.default_rng([seed, 1])``; the same seed and settings give identical records (same torch build and
thread count; CPU). Not implemented here (a study-level choice): the paper's restart of a run whose training
accuracy is below 0.55 at or after epoch 1000.

Records are saved as ``.npz`` (``np.savez_compressed``; metadata as a JSON string) and loaded without pickle.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mibench.networks.datasets import Dataset, stratified_split
from mibench.networks.model import DIGITS_WIDTHS, TWELVE_BIT_WIDTHS, NetworkSpec, QuantizedMLP, torch_threads
from mibench.validation import check_int

__all__ = ["RECORD_FORMAT", "TrainingRecord", "compact_codes", "log_epochs", "record_name", "train"]

#: Version of the record layout and of the training procedure; part of every record's identity.
RECORD_FORMAT = "1"

_DEFAULT_WIDTHS = {"12bit": TWELVE_BIT_WIDTHS, "digits": DIGITS_WIDTHS}
_KERAS_EPSILON = 1e-7


def log_epochs(n_epochs: int, mode: str = "log", count: int = 100, every: int | None = None) -> np.ndarray:
    """The epochs at which to record, always including 0 (initialisation) and ``n_epochs`` (the end).

    ``mode="log"``: ``0`` plus ``round(geomspace(1, n_epochs, count))`` without repeats (so at most
    ``count + 1`` epochs, fewer when early epochs coincide). ``mode="every"``: ``0, k, 2k, ...`` and
    ``n_epochs`` (``every = k``; the paper recorded every 5th epoch). ``mode="all"``: every epoch.
    """
    check_int("n_epochs", n_epochs, 0)
    if mode == "log":
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        points = np.rint(np.geomspace(1, n_epochs, count)).astype(np.int64) if n_epochs >= 1 else np.array([], int)
    elif mode == "every":
        if every is None or every < 1:
            raise ValueError(f"mode='every' needs every >= 1, got {every!r}")
        points = np.arange(0, n_epochs + 1, every, dtype=np.int64)
    elif mode == "all":
        points = np.arange(n_epochs + 1, dtype=np.int64)
    else:
        raise ValueError(f"mode must be 'log', 'every' or 'all', got {mode!r}")
    return np.unique(np.concatenate([[0, n_epochs], points]).astype(np.int64))


def compact_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(grid, codes)`` with ``grid`` the sorted distinct values (float64) and ``values == grid[codes]``;
    ``codes`` has the shape of ``values`` and the smallest of uint8/uint16/uint32 that holds the indices."""
    grid, inverse = np.unique(np.asarray(values, dtype=np.float64), return_inverse=True)
    dtype = np.uint8 if grid.size <= 1 << 8 else np.uint16 if grid.size <= 1 << 16 else np.uint32
    return grid, inverse.reshape(np.shape(values)).astype(dtype)


@dataclass(frozen=True, eq=False)
class TrainingRecord:
    """What a training run leaves for exact information: accuracies and every layer's values at logged epochs.

    Layers are numbered ``1 .. L`` in the methods (``T_1`` the first hidden layer, ``T_L`` the softmax output);
    the tuples ``codes`` and ``grids`` are indexed ``0 .. L - 1``. ``codes[l][j]`` is the ``(n, width)`` code
    array of layer ``l + 1`` at ``epochs[j]``, ``grids[l][j]`` its grid (dequantize with ``grid[codes]``).
    ``x`` and ``y`` are the whole data set, so a record is self-contained.
    """

    dataset: str
    spec: NetworkSpec
    seed: int
    split_seed: int
    test_fraction: float
    learning_rate: float
    batch_size: int
    n_epochs: int
    epochs: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    train_loss: np.ndarray
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    codes: tuple[tuple[np.ndarray, ...], ...] = field(repr=False)
    grids: tuple[tuple[np.ndarray, ...], ...] = field(repr=False)
    seconds: float = 0.0
    format: str = RECORD_FORMAT

    # --- access -------------------------------------------------------------------------------------------------

    @property
    def n_layers(self) -> int:
        """Number of recorded layers ``L`` (hidden layers plus the output)."""
        return len(self.codes)

    @property
    def n(self) -> int:
        """Number of rows of the data set."""
        return int(self.y.shape[0])

    def epoch_index(self, epoch: int) -> int:
        """Position of ``epoch`` in :attr:`epochs` (``ValueError`` if it was not logged)."""
        hits = np.flatnonzero(self.epochs == epoch)
        if hits.size == 0:
            raise ValueError(f"epoch {epoch} was not logged; logged epochs: {self.epochs.tolist()}")
        return int(hits[0])

    def _check_layer(self, layer: int) -> int:
        return check_int("layer (the last is the output)", layer, 1, self.n_layers) - 1

    def layer_codes(self, layer: int, epoch: int) -> np.ndarray:
        """Integer codes ``(n, width)`` of layer ``layer`` (1-based) at logged epoch ``epoch``."""
        return self.codes[self._check_layer(layer)][self.epoch_index(epoch)]

    def layer_grid(self, layer: int, epoch: int) -> np.ndarray:
        """Sorted distinct values of layer ``layer`` (1-based) at ``epoch``."""
        return self.grids[self._check_layer(layer)][self.epoch_index(epoch)]

    def layer_values(self, layer: int, epoch: int) -> np.ndarray:
        """The network's quantized values ``(n, width)`` (float64) of layer ``layer`` at ``epoch``."""
        return self.layer_grid(layer, epoch)[self.layer_codes(layer, epoch)]

    # --- identity -----------------------------------------------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        """JSON-able settings that define the run (no results): data set, network, seeds, optimiser, epochs."""
        return {
            "format": self.format,
            "dataset": self.dataset,
            "spec": self.spec.to_dict(),
            "seed": int(self.seed),
            "split_seed": int(self.split_seed),
            "test_fraction": float(self.test_fraction),
            "learning_rate": float(self.learning_rate),
            "batch_size": int(self.batch_size),
            "n_epochs": int(self.n_epochs),
        }

    @property
    def digest(self) -> str:
        """12 hex digits of BLAKE2b over the identity and the recorded codes, grids and data: changes whenever
        any truth derived from the record could change (use it in task versions)."""
        h = hashlib.blake2b(digest_size=6)
        h.update(json.dumps(self.identity(), sort_keys=True).encode())
        for array in (self.epochs, self.x, self.y):
            h.update(np.ascontiguousarray(array).tobytes())
        for layer_codes, layer_grids in zip(self.codes, self.grids, strict=True):
            for c, g in zip(layer_codes, layer_grids, strict=True):
                h.update(np.ascontiguousarray(c).tobytes())
                h.update(np.ascontiguousarray(g).tobytes())
        return h.hexdigest()

    @property
    def name(self) -> str:
        """Readable run name for task ids, e.g. ``net-12bit-tanh-s0`` (:func:`record_name` of its settings)."""
        return record_name(self.dataset, self.spec, self.seed)

    # --- storage ------------------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the record as a compressed ``.npz`` (no pickle); returns the path written."""
        path = Path(path)
        meta = self.identity() | {"seconds": float(self.seconds), "n_layers": self.n_layers}
        arrays: dict[str, np.ndarray] = {
            "meta": np.array(json.dumps(meta, sort_keys=True)),
            "epochs": self.epochs,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "train_loss": self.train_loss,
            "x": self.x,
            "y": self.y,
        }
        for layer, (layer_codes, layer_grids) in enumerate(zip(self.codes, self.grids, strict=True)):
            arrays[f"codes_{layer}"] = _stack_codes(layer_codes)
            arrays[f"grid_{layer}"] = np.concatenate(layer_grids)
            arrays[f"grid_offsets_{layer}"] = np.cumsum([0] + [g.size for g in layer_grids]).astype(np.int64)
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TrainingRecord:
        """Read a record written by :meth:`save` (``allow_pickle=False``)."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("format") != RECORD_FORMAT:
                raise ValueError(f"{path}: record format {meta.get('format')!r}, this mibench reads {RECORD_FORMAT!r}")
            codes, grids = [], []
            for layer in range(int(meta["n_layers"])):
                stacked = data[f"codes_{layer}"]
                flat, offsets = data[f"grid_{layer}"], data[f"grid_offsets_{layer}"]
                codes.append(tuple(stacked[j] for j in range(stacked.shape[0])))
                grids.append(tuple(flat[offsets[j] : offsets[j + 1]] for j in range(len(offsets) - 1)))
            return cls(
                dataset=meta["dataset"],
                spec=NetworkSpec.from_dict(meta["spec"]),
                seed=int(meta["seed"]),
                split_seed=int(meta["split_seed"]),
                test_fraction=float(meta["test_fraction"]),
                learning_rate=float(meta["learning_rate"]),
                batch_size=int(meta["batch_size"]),
                n_epochs=int(meta["n_epochs"]),
                epochs=data["epochs"],
                train_accuracy=data["train_accuracy"],
                test_accuracy=data["test_accuracy"],
                train_loss=data["train_loss"],
                x=data["x"],
                y=data["y"],
                codes=tuple(codes),
                grids=tuple(grids),
                seconds=float(meta.get("seconds", 0.0)),
                format=meta["format"],
            )


def record_name(dataset: str, spec: NetworkSpec, seed: int) -> str:
    """The name of the record of a run, from its settings alone (so ids can be built before training), e.g.
    ``net-12bit-tanh-s0``; non-default settings add parts (``-w16x8x4x2`` hidden widths, ``-b4`` bits,
    ``-tanhfixed``, ``-ownrange``, ``-f64``)."""
    dataset_part = re.sub(r"[^A-Za-z0-9.]+", "_", dataset) or "data"
    parts = ["net", dataset_part, spec.activation]
    if _DEFAULT_WIDTHS.get(dataset) != spec.widths:
        parts.append("w" + "x".join(str(w) for w in spec.widths[1:-1]))
    if spec.bits != 8:
        parts.append(f"b{spec.bits}")
    if spec.activation == "tanh" and spec.tanh_range != "batch":
        parts.append(f"tanh{spec.tanh_range}")
    if spec.activation_range != "moving_average":
        parts.append("ownrange")
    if spec.dtype != "float32":
        parts.append("f64")
    parts.append(f"s{int(seed)}")
    return "-".join(parts)


def _stack_codes(layer_codes: Sequence[np.ndarray]) -> np.ndarray:
    dtype = np.result_type(*[c.dtype for c in layer_codes])
    return np.stack([c.astype(dtype) for c in layer_codes])


def _keras_cross_entropy(probabilities: Any, labels: Any) -> Any:
    import torch

    p = probabilities / probabilities.sum(dim=1, keepdim=True).clamp_min(_KERAS_EPSILON)
    p = p.clamp(_KERAS_EPSILON, 1.0 - _KERAS_EPSILON)
    return -torch.log(p.gather(1, labels.view(-1, 1))).mean()


def train(
    dataset: Dataset,
    spec: NetworkSpec | None = None,
    *,
    epochs: int,
    seed: int = 0,
    split_seed: int = 1000,
    test_fraction: float = 0.2,
    learning_rate: float = 1e-4,
    batch_size: int = 256,
    log_at: Sequence[int] | np.ndarray | None = None,
    progress: Callable[[int, float, float], None] | None = None,
    threads: int | None = 1,
) -> TrainingRecord:
    """Train ``spec`` (default :meth:`NetworkSpec.for_dataset`) on ``dataset`` and record the logged epochs.

    Args:
        epochs: number of training epochs (0 records the initial network only).
        seed: network initialisation and batch order.
        split_seed: seed of the stratified train/test split (the paper: 1000, the same for every repetition).
        log_at: epochs to record (default :func:`log_epochs` ``(epochs)``, 100 log-spaced epochs plus 0);
            values outside ``0 .. epochs`` are an error.
        progress: called as ``progress(epoch, train_accuracy, test_accuracy)`` at each logged epoch.
        threads: torch threads while training (restored afterwards; ``None`` leaves the setting alone). One is
            fastest for these tiny networks and keeps runs reproducible across machines.
    """
    with torch_threads(threads):
        return _train(
            dataset, spec, epochs, seed, split_seed, test_fraction, learning_rate, batch_size, log_at, progress
        )


def _train(
    dataset: Dataset,
    spec: NetworkSpec | None,
    epochs: int,
    seed: int,
    split_seed: int,
    test_fraction: float,
    learning_rate: float,
    batch_size: int,
    log_at: Sequence[int] | np.ndarray | None,
    progress: Callable[[int, float, float], None] | None,
) -> TrainingRecord:
    import torch

    check_int("epochs", epochs, 0)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size!r}")
    spec = spec or NetworkSpec.for_dataset(dataset.name)
    if spec.widths[0] != dataset.dim or spec.widths[-1] != dataset.n_classes:
        raise ValueError(
            f"network widths {spec.widths} do not fit data set {dataset.name!r}: "
            f"input {dataset.dim}, {dataset.n_classes} classes"
        )
    logged = log_epochs(int(epochs)) if log_at is None else np.unique(np.asarray(log_at, dtype=np.int64))
    if logged.size == 0 or logged.min() < 0 or logged.max() > epochs:
        raise ValueError(f"log_at must list epochs in 0 .. {epochs}, got {np.asarray(log_at).tolist()}")

    started = time.perf_counter()
    train_idx, test_idx = stratified_split(dataset.y, test_fraction, seed=split_seed)
    net = QuantizedMLP(spec, seed=seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=learning_rate, betas=(0.9, 0.999), eps=_KERAS_EPSILON)
    shuffler = np.random.default_rng([int(seed), 1])
    x_all = torch.tensor(np.array(dataset.x), dtype=net.dtype)
    y_all = torch.tensor(np.array(dataset.y), dtype=torch.int64)

    log_set = set(logged.tolist())
    codes: list[list[np.ndarray]] = [[] for _ in range(spec.n_layers)]
    grids: list[list[np.ndarray]] = [[] for _ in range(spec.n_layers)]
    train_acc: list[float] = []
    test_acc: list[float] = []
    losses: list[float] = []

    def record(epoch: int, loss: float) -> None:
        outputs = net.layer_outputs(x_all)
        predicted = np.argmax(outputs[-1], axis=1)
        correct = predicted == dataset.y
        train_acc.append(float(correct[train_idx].mean()))
        test_acc.append(float(correct[test_idx].mean()) if test_idx.size else math.nan)
        losses.append(loss)
        for layer, values in enumerate(outputs):
            grid, layer_codes = compact_codes(values)
            grids[layer].append(grid)
            codes[layer].append(layer_codes)
        if progress is not None:
            progress(epoch, train_acc[-1], test_acc[-1])

    if 0 in log_set:
        record(0, math.nan)
    for epoch in range(1, int(epochs) + 1):
        order = train_idx[shuffler.permutation(train_idx.size)]
        total, count = 0.0, 0
        for start in range(0, order.size, batch_size):
            batch = torch.from_numpy(order[start : start + batch_size])
            probabilities = net.forward(x_all[batch], training=True)[-1]
            loss = _keras_cross_entropy(probabilities, y_all[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * batch.numel()
            count += batch.numel()
        if epoch in log_set:
            record(epoch, total / max(count, 1))

    return TrainingRecord(
        dataset=dataset.name,
        spec=spec,
        seed=int(seed),
        split_seed=int(split_seed),
        test_fraction=float(test_fraction),
        learning_rate=float(learning_rate),
        batch_size=int(batch_size),
        n_epochs=int(epochs),
        epochs=logged,
        train_accuracy=np.asarray(train_acc),
        test_accuracy=np.asarray(test_acc),
        train_loss=np.asarray(losses),
        x=np.array(dataset.x),
        y=np.array(dataset.y),
        codes=tuple(tuple(c) for c in codes),
        grids=tuple(tuple(g) for g in grids),
        seconds=time.perf_counter() - started,
    )

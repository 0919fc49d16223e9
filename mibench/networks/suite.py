"""The built-in ``networks`` suite's networks: which records it reads, its task ids, and training them when missing.

The suite (``mibench run networks``; defined in :mod:`mibench.suites`) scores estimators on quantized network tasks
(exact truths) and on the same layers read through Gaussian noise (Monte-Carlo truths; :mod:`~mibench.networks.noisy`)
of two small networks trained here: the 12-bit net (12-10-7-5-4-3-2) with tanh and with ReLU hidden layers, seed 0,
200 epochs (:data:`SUITE_NETWORKS`; Adam 1e-4, batch 256, the stratified split of seed 1000, 8-bit
quantization, no restart rule), at two of its logged epochs (initialisation and the end), two layers (``T2``, 7 units,
and the 2-unit output) and both pairs, quantized and at noise levels 0.01 and 0.1.

Its task ids depend only on these settings (:func:`suite_task_ids`; a record's name comes from its settings,
:func:`~mibench.networks.training.record_name`): listing the suite trains nothing, imports no torch and writes no
file. Running it (:func:`prepare_records`, called by :func:`mibench.runner.run_suite` before the tasks are resolved)
trains the records that the records directory lacks (only for the suite called ``networks``: other runs never train)
-- once; a rerun reuses them -- and computes the noisy tasks' truths into their caches
(:func:`~mibench.networks.noisy.fill_truths`). Without a records directory the run uses the default one,
``records/`` beside the default results store (``.mibench/records``), and says so. Retraining on another machine
need not give bit-identical records; the record's digest is in every task's version, so results of different records
never mix.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mibench.networks.ids import PAIRS, parse_task_id, task_id

if TYPE_CHECKING:  # pragma: no cover
    from mibench.networks.model import NetworkSpec
    from mibench.networks.training import TrainingRecord

__all__ = [
    "NETWORKS_SUITE",
    "SUITE_NETWORKS",
    "SuiteNetworks",
    "prepare_records",
    "suite_record_names",
    "suite_task_ids",
    "train_suite_record",
]


@dataclass(frozen=True)
class SuiteNetworks:
    """The networks of the ``networks`` suite and which of their tasks it runs.

    Attributes:
        dataset: the data set (the 12-bit set: ``N = 4096`` rows, every row once at ``n = N``).
        activations: one record per hidden activation.
        seed: the training seed of every record.
        epochs: training epochs.
        log_count: log-spaced logged epochs (:func:`~mibench.networks.training.log_epochs`; 0 and the last always).
        task_epochs: the logged epochs the suite's tasks read.
        layers: the layers (1-based; the last is the output) the suite's tasks read.
        noise_levels: the noise levels of the noisy tasks.
        n_rows: the data set's size, the suite's one sample size.
        learning_rate, batch_size, split_seed: training settings (as the information-plane studies).
    """

    dataset: str = "12bit"
    activations: tuple[str, ...] = ("tanh", "relu")
    seed: int = 0
    epochs: int = 200
    log_count: int = 4
    task_epochs: tuple[int, ...] = (0, 200)
    layers: tuple[int, ...] = (2, 6)
    noise_levels: tuple[float, ...] = (0.01, 0.1)
    n_rows: int = 4096
    learning_rate: float = 1e-4
    batch_size: int = 256
    split_seed: int = 1000

    def spec(self, activation: str) -> NetworkSpec:
        """The network of ``activation`` (the data set's default widths, 8 bits)."""
        from mibench.networks.model import NetworkSpec

        return NetworkSpec.for_dataset(self.dataset, activation)

    def logged_epochs(self) -> list[int]:
        """The epochs each record logs (the task epochs among them)."""
        from mibench.networks.training import log_epochs

        return log_epochs(self.epochs, "log", count=self.log_count).tolist()


#: The ``networks`` suite's networks.
SUITE_NETWORKS = SuiteNetworks()
#: The name of the built-in suite that trains these networks when a run needs them.
NETWORKS_SUITE = "networks"


def suite_record_names(networks: SuiteNetworks | None = None) -> dict[str, str]:
    """The record names of the suite (default: :data:`SUITE_NETWORKS`), by activation (from the settings alone;
    nothing is trained)."""
    from mibench.networks.training import record_name

    networks = SUITE_NETWORKS if networks is None else networks
    return {act: record_name(networks.dataset, networks.spec(act), networks.seed) for act in networks.activations}


def suite_task_ids(networks: SuiteNetworks | None = None) -> tuple[str, ...]:
    """The suite's task ids: per record, task epoch, layer and pair the quantized task, then its noisy ones."""
    networks = SUITE_NETWORKS if networks is None else networks
    ids: list[str] = []
    for name in suite_record_names(networks).values():
        for epoch in networks.task_epochs:
            for layer in networks.layers:
                for pair in PAIRS:
                    ids.append(task_id(name, epoch, layer, pair))
                    ids += [task_id(name, epoch, layer, pair, noise_std=b) for b in networks.noise_levels]
    return tuple(ids)


def train_suite_record(
    activation: str, records_dir: str | os.PathLike[str], networks: SuiteNetworks | None = None
) -> TrainingRecord:
    """Train the suite's record of ``activation`` and write it to ``records_dir`` (atomically); returns it."""
    networks = SUITE_NETWORKS if networks is None else networks
    from mibench.networks.datasets import get_dataset
    from mibench.networks.records import save_record_file
    from mibench.networks.training import train

    record = train(
        get_dataset(networks.dataset),
        networks.spec(activation),
        epochs=networks.epochs,
        seed=networks.seed,
        split_seed=networks.split_seed,
        learning_rate=networks.learning_rate,
        batch_size=networks.batch_size,
        log_at=networks.logged_epochs(),
    )
    save_record_file(record, records_dir)
    return record


def _printer(progress: bool | Callable[[str], None]) -> Callable[[str], None] | None:
    if callable(progress):
        return progress
    if progress:
        return lambda message: print(f"[networks] {message}", file=sys.stderr, flush=True)
    return None


def prepare_records(
    task_ids: Iterable[str],
    records_dir: str | os.PathLike[str] | None,
    *,
    default_dir: str | os.PathLike[str],
    suite_name: str | None = None,
    jobs: int = 1,
    progress: bool | Callable[[str], None] = False,
    networks: SuiteNetworks | None = None,
) -> Path | None:
    """Make the network tasks among ``task_ids`` resolvable before a run: for the ``networks`` suite
    (``suite_name == "networks"``), train its records that the records directory lacks; for any run, fill the noisy
    tasks' truth caches. Returns the records directory to resolve the tasks from.

    Without network tasks, ``records_dir`` is returned unchanged (``None`` stays ``None``). Only the ``networks``
    suite trains, only its own records (the record names of :func:`suite_task_ids`), and only when they are missing;
    any other record is the business of whoever made it (an information-plane study, a user), and resolving its tasks
    reports a missing one. Without a records directory the ``networks`` suite uses ``default_dir``; any other run
    gets ``None`` back and resolving reports the missing directory. ``progress``: lines on stderr (``True``) or to a
    callable. ``networks``: the suite's networks (default :data:`SUITE_NETWORKS`, read when called).
    """
    from mibench.networks.noisy import fill_truths
    from mibench.networks.records import record_file

    networks = SUITE_NETWORKS if networks is None else networks
    say = _printer(progress)
    ids = list(dict.fromkeys(task_ids))
    network = [tid for tid in ids if parse_task_id(tid) is not None]
    if not network:
        return None if records_dir is None else Path(records_dir)
    own = suite_name == NETWORKS_SUITE
    if records_dir is None:
        if not own:
            return None
        records_dir = default_dir
    folder = Path(records_dir)
    if own:
        ours = {name: act for act, name in suite_record_names(networks).items()}
        wanted = {parse_task_id(tid)["record"] for tid in network} & set(ours)  # type: ignore[index]
        if say is not None:
            say(f"records directory: {folder}")
        for name in sorted(wanted):
            if record_file(folder, name).is_file():
                continue
            if say is not None:
                say(f"training {name} ({networks.epochs} epochs, once; later runs reuse it)")
            started = time.perf_counter()
            record = train_suite_record(ours[name], folder, networks)
            if say is not None:
                say(
                    f"trained {name} in {time.perf_counter() - started:.1f} s "
                    f"(train accuracy {record.train_accuracy[-1]:.3f}): {record_file(folder, name)}"
                )
    fill_truths(network, folder, jobs=jobs, progress=say)
    return folder

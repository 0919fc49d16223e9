"""Train, or reuse, the record of each (activation, seed) of a study, with the restart rule.

**Restart rule** (Lorenzen, Igel & Nielsen, ICLR 2022): a run whose training accuracy is below
``restart_accuracy`` at any logged epoch at or after ``restart_epoch`` is restarted with a new initialisation.
It is checked on the record (:func:`needs_restart`); while training, it also runs at each logged epoch so that a
failing run stops early. Attempt ``a`` of seed ``s`` trains with seed ``s + a * RESTART_SEED_STRIDE`` (so the
record's name shows the seed actually used); a discarded attempt leaves a ``.rejected.json`` marker beside the
records, so a resumed study does not train it again. With log-spaced logging the rule sees only the logged epochs
at or after ``restart_epoch``. Runs shorter than ``restart_epoch`` are never restarted.

Records already in the study directory are reused when their settings match the configuration, and refused with
a clear error when they do not (never silently retrained over).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mibench.networks import records as store
from mibench.networks.config import StudyConfig
from mibench.networks.training import TrainingRecord, record_name

__all__ = [
    "RESTART_SEED_STRIDE",
    "RestartLimitError",
    "TrainedRun",
    "dataset_of",
    "needs_restart",
    "network_spec",
    "obtain_record",
    "study_seed",
]

#: Attempt ``a`` of seed ``s`` (the restart rule) trains with seed ``s + a * RESTART_SEED_STRIDE``.
RESTART_SEED_STRIDE = 1_000_000


def study_seed(training_seed: int) -> int:
    """The study's repetition seed of a record trained with ``training_seed`` (restarts add multiples of
    :data:`RESTART_SEED_STRIDE`)."""
    return int(training_seed) % RESTART_SEED_STRIDE


@dataclass(frozen=True)
class TrainedRun:
    """One (activation, seed) of a study: the record used and how it was obtained."""

    activation: str
    seed: int
    training_seed: int
    record: str
    path: str
    trained: bool
    seconds: float
    final_train_accuracy: float
    final_test_accuracy: float
    restarts: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for the study manifest."""
        return {
            "activation": self.activation,
            "seed": self.seed,
            "training_seed": self.training_seed,
            "record": self.record,
            "path": self.path,
            "trained": self.trained,
            "seconds": self.seconds,
            "final_train_accuracy": self.final_train_accuracy,
            "final_test_accuracy": self.final_test_accuracy,
            "restarts": list(self.restarts),
        }


def needs_restart(record: TrainingRecord, threshold: float | None, after_epoch: int = 1000) -> bool:
    """The restart rule: training accuracy below ``threshold`` at some logged epoch ``>= after_epoch``."""
    if threshold is None:
        return False
    late = np.asarray(record.epochs) >= after_epoch
    return bool(np.any(np.asarray(record.train_accuracy)[late] < threshold))


class RestartLimitError(RuntimeError):
    """Every attempt of a seed failed the restart rule (raise ``max_restarts`` or lower the threshold)."""


class _Restart(Exception):
    def __init__(self, epoch: int, accuracy: float):
        super().__init__(f"training accuracy {accuracy:.4f} at epoch {epoch}")
        self.epoch, self.accuracy = epoch, accuracy


def dataset_of(config: StudyConfig) -> Any:
    from mibench.networks.datasets import get_dataset

    return get_dataset(config.dataset)


def network_spec(config: StudyConfig, dataset: Any, activation: str) -> Any:
    """The network of a study's runs with this activation (the data set's standard widths unless ``hidden``)."""
    from mibench.networks.model import TWELVE_BIT_WIDTHS, NetworkSpec

    if config.hidden is None and dataset.name in ("12bit", "digits"):
        return NetworkSpec.for_dataset(dataset.name, activation, bits=config.bits)
    hidden = config.hidden if config.hidden is not None else TWELVE_BIT_WIDTHS[1:-1]
    widths = (dataset.dim, *hidden, dataset.n_classes)
    return NetworkSpec(widths=widths, activation=activation, bits=config.bits)


def _check_record(record: TrainingRecord, config: StudyConfig, spec: Any, dataset: Any, path: Path) -> None:
    expected = {
        "dataset": dataset.name,
        "spec": spec.to_dict(),
        "split_seed": config.split_seed,
        "learning_rate": float(config.learning_rate),
        "batch_size": config.batch_size,
        "n_epochs": config.epochs,
    }
    identity = record.identity()
    wrong = {k: (identity.get(k), v) for k, v in expected.items() if identity.get(k) != v}
    if not np.array_equal(record.epochs, config.logged_epochs()):
        wrong["logged epochs"] = (len(record.epochs), len(config.logged_epochs()))
    if wrong:
        details = "; ".join(f"{k}: stored {a!r}, asked {b!r}" for k, (a, b) in wrong.items())
        raise ValueError(
            f"{path} was trained with other settings ({details}); use another output directory or delete it"
        )


def _say(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def obtain_record(
    config: StudyConfig,
    dataset: Any,
    activation: str,
    seed: int,
    out_dir: Path,
    progress: Callable[[str], None] | None,
    *,
    records_dir: Path | None = None,
) -> tuple[TrainingRecord, TrainedRun]:
    """Reuse or train the record of (activation, seed), applying the restart rule.

    Records live in ``records_dir`` (default ``out_dir/records``); a run's path in the manifest is relative to
    ``out_dir`` when the record is inside it, else absolute.
    """
    from mibench.networks.training import train

    folder = Path(out_dir) / store.RECORDS if records_dir is None else Path(records_dir)
    spec = network_spec(config, dataset, activation)
    logged = config.logged_epochs()
    rejected: list[dict[str, Any]] = []
    for attempt in range(config.max_restarts + 1):
        training_seed = seed + attempt * RESTART_SEED_STRIDE
        name = record_name(dataset.name, spec, training_seed)
        path = store.record_file(folder, name)
        marker = store.rejected_file(folder, name)
        if marker.is_file():
            rejected.append(json.loads(marker.read_text(encoding="utf-8")))
            continue
        if path.is_file():
            record = store.load_record(path)
            _check_record(record, config, spec, dataset, path)
            trained = False
        else:
            check_from = config.restart_epoch if config.restart_accuracy is not None else None

            def on_log(epoch: int, train_acc: float, test_acc: float, _from: int | None = check_from) -> None:
                if _from is not None and epoch >= _from and train_acc < config.restart_accuracy:  # type: ignore[operator]
                    raise _Restart(epoch, train_acc)

            started = time.perf_counter()
            try:
                record = train(
                    dataset,
                    spec,
                    epochs=config.epochs,
                    seed=training_seed,
                    split_seed=config.split_seed,
                    learning_rate=config.learning_rate,
                    batch_size=config.batch_size,
                    log_at=logged,
                    progress=on_log,
                    threads=config.threads,
                )
            except _Restart as stop:
                info = {"record": name, "epoch": stop.epoch, "train_accuracy": stop.accuracy, "attempt": attempt}
                store.write_json(marker, info)
                rejected.append(info)
                _say(progress, f"restart {activation} seed {seed}: {stop} (attempt {attempt})")
                continue
            store.save_record_file(record, folder)
            trained = True
            _say(
                progress,
                f"trained {name}: {config.epochs} epochs in {time.perf_counter() - started:.1f} s, "
                f"train accuracy {record.train_accuracy[-1]:.3f}",
            )
        if needs_restart(record, config.restart_accuracy, config.restart_epoch):
            late = record.epochs >= config.restart_epoch
            info = {
                "record": name,
                "epoch": int(record.epochs[late][np.argmin(record.train_accuracy[late])]),
                "train_accuracy": float(np.min(record.train_accuracy[late])),
                "attempt": attempt,
            }
            store.write_json(marker, info)
            rejected.append(info)
            continue
        run = TrainedRun(
            activation=activation,
            seed=seed,
            training_seed=training_seed,
            record=name,
            path=_relative(path, Path(out_dir)),
            trained=trained,
            seconds=float(record.seconds),
            final_train_accuracy=float(record.train_accuracy[-1]),
            final_test_accuracy=float(record.test_accuracy[-1]),
            restarts=tuple(rejected),
        )
        return record, run
    raise RestartLimitError(
        f"{activation} seed {seed}: every one of {config.max_restarts + 1} attempts failed the restart rule "
        f"(training accuracy below {config.restart_accuracy} at or after epoch {config.restart_epoch})"
    )


def _relative(path: Path, out_dir: Path) -> str:
    """``path`` relative to ``out_dir`` when it lies inside, else absolute."""
    try:
        return str(path.resolve().relative_to(out_dir.resolve()))
    except ValueError:
        return str(path.resolve())

"""Exact ground truth from networks: finite data sets, quantized training, exact information, network tasks.

With ``X`` uniform on a finite data set and ``T`` a layer of a *quantized* network (a deterministic function of
``X`` with finitely many values), ``I(X; T) = H(T)`` and ``I(T; Y) = H(T) - sum_y p(y) H(T | Y = y)`` are finite
sums: exact truths (Lorenzen, Igel & Nielsen, "Information Bottleneck: Exact Analysis of (Quantized) Neural
Networks", ICLR 2022). One module per job:

* :mod:`~mibench.networks.datasets` -- the 12-bit set, scikit-learn digits, a user's file; stratified splits.
* :mod:`~mibench.networks.quantization` -- fake quantization with straight-through gradients, range trackers.
* :mod:`~mibench.networks.model` -- the quantization-aware fully connected network.
* :mod:`~mibench.networks.training` -- training with logged epochs; the :class:`TrainingRecord` (.npz).
* :mod:`~mibench.networks.exact` -- exact ``I(X; T)`` and ``I(T; Y)`` from a layer's integer codes.
* :mod:`~mibench.networks.ids` -- network task ids (quantized, codes, noisy), built and split without a record.
* :mod:`~mibench.networks.noisy` -- a layer read through Gaussian noise: Monte-Carlo truths over the exact mixture,
  cached beside the record.
* :mod:`~mibench.networks.tasks` -- :class:`~mibench.interface.Task` objects from a training record (quantized and
  noisy).
* :mod:`~mibench.networks.clustering` -- how tightly a layer clusters its inputs by class (beside noisy compression).
* :mod:`~mibench.networks.suite` -- the built-in ``networks`` suite's networks, trained when a run needs them.
* :mod:`~mibench.networks.records` -- a study directory's records and manifest on disk.
* :mod:`~mibench.networks.config` -- what an information-plane study trains and estimates; its presets.
* :mod:`~mibench.networks.restarts` -- train or reuse each (activation, seed), with the restart rule.
* :mod:`~mibench.networks.study` -- the study: records, then a suite of network tasks through the runner.
* :mod:`~mibench.networks.fidelity` -- how faithfully an estimator draws the plane; findings of the exact planes.

The study's report and figures are in :mod:`mibench.report.information_plane` and
:mod:`mibench.report.plane_figures`.

Importing this package is cheap: torch is imported only inside the functions that need it. The names below are
re-exported lazily.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Dataset": "datasets",
    "digits": "datasets",
    "get_dataset": "datasets",
    "load_dataset": "datasets",
    "stratified_split": "datasets",
    "twelve_bit": "datasets",
    "NetworkSpec": "model",
    "QuantizedMLP": "model",
    "TrainingRecord": "training",
    "log_epochs": "training",
    "train": "training",
    "layer_information": "exact",
    "information_plane": "exact",
    "network_task": "tasks",
    "network_tasks": "tasks",
    "noisy_network_task": "tasks",
    "layer_truth": "noisy",
    "class_separation": "clustering",
    "parse_task_id": "tasks",
    "task_from_id": "tasks",
    "StudyConfig": "config",
    "preset": "config",
    "run_study": "study",
    "analyse_study": "study",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)

"""Toy estimators, tasks and a tiny training record for the runner's task-context and records-directory tests.

The estimators are referenced by import path ("tests.runner.toys:EchoesContext"), which the registry accepts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mibench.interface import BaseEstimator, Estimate, EstimatorTags, Task, validate_sample


class EchoesContext(BaseEstimator):
    """Consumes ``flag`` and ``target`` from a task's context and reports what it was built with."""

    tags = EstimatorTags(task_context=("flag", "target"))

    def __init__(self, *, flag: str | None = None, target: str | None = None):
        self.flag = flag
        self.target = target

    def estimate_with_info(self, x, y):
        validate_sample(x, y)
        return Estimate(0.5, {"flag": self.flag, "target": self.target})


class IgnoresContext(BaseEstimator):
    """Has a ``flag`` hyperparameter but does not declare it as task context: a task must not set it."""

    tags = EstimatorTags()

    def __init__(self, *, flag: str | None = None):
        self.flag = flag

    def estimate_with_info(self, x, y):
        validate_sample(x, y)
        return Estimate(0.25, {"flag": self.flag})


def _independent_normals(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.standard_normal((n, 1)), rng.standard_normal((n, 1))


TOY_TASK = Task(
    id="toy-context",
    family="toy",
    dim_x=1,
    dim_y=1,
    mi=0.0,
    sampler=_independent_normals,
    version="7",
    context={"flag": "from-task", "unrelated": 1},
)


def tiny_record(folder: Path) -> tuple[str, Path]:
    """Save a hand-made 4-row, two-layer training record under ``folder``; returns its name and path."""
    from mibench.networks.model import NetworkSpec
    from mibench.networks.training import TrainingRecord

    record = TrainingRecord(
        dataset="toy",
        spec=NetworkSpec(widths=(2, 3, 2)),
        seed=0,
        split_seed=0,
        test_fraction=0.25,
        learning_rate=0.1,
        batch_size=4,
        n_epochs=1,
        epochs=np.array([1]),
        train_accuracy=np.array([1.0]),
        test_accuracy=np.array([1.0]),
        train_loss=np.array([0.1]),
        x=np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64),
        y=np.array([0, 1, 1, 0]),
        codes=(
            (np.array([[0, 1, 2], [1, 1, 0], [2, 0, 1], [0, 0, 0]]),),
            (np.array([[0, 1], [1, 0], [1, 0], [0, 1]]),),
        ),
        grids=((np.array([-0.5, 0.0, 0.5]),), (np.array([0.25, 0.75]),)),
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record.name}.npz"
    record.save(path)
    return record.name, path


class ReportsItsInput(BaseEstimator):
    """White-box: on a channel task it gets the clean rows and the channel's noise level; reports what it saw."""

    tags = EstimatorTags(white_box=True, task_context=("noise_std", "target"))

    def __init__(self, *, noise_std: float = 1.0, target: str = "input"):
        self.noise_std = noise_std
        self.target = target

    def estimate_with_info(self, x, y):
        x, y = validate_sample(x, y)
        return Estimate(float(y.sum()), {"noise_std": self.noise_std, "target": self.target})


class NeedsAChannel(ReportsItsInput):
    """Answers only on channel tasks."""

    tags = EstimatorTags(white_box=True, channel_only=True, task_context=("noise_std", "target"))


def channel_task() -> Task:
    """A toy noisy channel: X uniform on {0, 1, 2}, T = X + N(0, 0.5^2) (the truth is not used by these tests)."""
    from functools import partial

    from mibench.interface import Channel

    channel = Channel(0.5, "input", partial(_three_symbols))
    return Task("toy-channel-b0.5", "toy-channel", 1, 1, mi=0.5, sampler=channel.sampler(), channel=channel)


def _three_symbols(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.integers(0, 3, size=n).astype(float)
    return x, x.copy()

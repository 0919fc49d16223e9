"""Estimators for the study tests, found by import path from the runner's worker processes."""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from mibench.interface import BaseEstimator, EstimatorTags


class AlwaysFails(BaseEstimator):
    """Raises on every sample (``tests.networks.slow_estimator:AlwaysFails``)."""

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=True)

    def estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        raise ValueError("deliberately broken")


class Sleepy(BaseEstimator):
    """Sleeps ``seconds`` and returns 0 (``tests.networks.slow_estimator:Sleepy``): a job slow enough to kill a
    run in the middle of."""

    tags: ClassVar[EstimatorTags] = EstimatorTags(accepts_discrete=True)

    def __init__(self, *, seconds: float = 0.3):
        self.seconds = seconds

    def estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        time.sleep(self.seconds)
        return 0.0

"""Estimators that misbehave on purpose, to test that the runner records failures and keeps going.

Referenced by import path ("tests.runner.faulty:Raises"), which the registry accepts beside registered names.
"""

from __future__ import annotations

import os
import signal
import time
from typing import ClassVar

import numpy as np

from mibench.interface import BaseEstimator, EstimatorTags, validate_sample
from mibench.suites import EstimatorSpec, Suite


class Raises(BaseEstimator):
    tags = EstimatorTags()

    def __init__(self):
        pass

    def estimate(self, x, y):
        raise RuntimeError("boom: this estimator always fails")


class Hangs(BaseEstimator):
    tags = EstimatorTags()

    def __init__(self, *, seconds: float = 60.0):
        self.seconds = seconds

    def estimate(self, x, y):
        time.sleep(self.seconds)
        return 0.0


class Crashes(BaseEstimator):
    """Kills its own process, as a segfault or the OOM killer would."""

    tags = EstimatorTags()

    def __init__(self):
        pass

    def estimate(self, x, y):
        os.kill(os.getpid(), signal.SIGKILL)
        return 0.0


class ReturnsNaN(BaseEstimator):
    tags = EstimatorTags()

    def __init__(self):
        pass

    def estimate(self, x, y):
        return float("nan")


class Sleepy(BaseEstimator):
    """Correct-looking but slow: returns the sample correlation's Gaussian MI after a pause."""

    tags = EstimatorTags()

    def __init__(self, *, seconds: float = 0.2):
        self.seconds = seconds

    def estimate(self, x, y):
        x, y = validate_sample(x, y)
        time.sleep(self.seconds)
        rho = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        return float(-0.5 * np.log1p(-(rho**2)))


class WaitsForFile(BaseEstimator):
    """Slow until the file ``path`` exists (at most ``seconds``): keeps a run running until a test lets it finish."""

    tags = EstimatorTags()

    def __init__(self, *, path: str = "", seconds: float = 120.0):
        self.path = path
        self.seconds = seconds

    def estimate(self, x, y):
        deadline = time.monotonic() + self.seconds
        while not os.path.exists(self.path) and time.monotonic() < deadline:
            time.sleep(0.02)
        x, y = validate_sample(x, y)
        rho = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        return float(-0.5 * np.log1p(-(rho**2)))


class SeededNoise(BaseEstimator):
    """Stochastic: returns a draw from its own generator, so the value reveals the seed it was given."""

    tags = EstimatorTags(stochastic=True)

    def __init__(self, *, seed: int | None = None):
        self.seed = seed

    def estimate(self, x, y):
        validate_sample(x, y)
        return float(np.random.default_rng(self.seed).random())


def spec(name: str, **params) -> EstimatorSpec:
    return EstimatorSpec(f"tests.runner.faulty:{name}", params)


MIXED_SUITE = Suite(
    name="test-mixed",
    tasks=("gaussian-pairs-1x1-rho0.75",),
    estimators=(spec("Raises"), spec("ReturnsNaN"), EstimatorSpec("gaussian"), spec("SeededNoise")),
    sample_sizes=(100,),
    repetitions=2,
    timeout=30.0,
)

SLOW_SUITE = Suite(
    name="test-slow",
    tasks=("gaussian-pairs-1x1-rho0.75", "gaussian-pairs-1x1-mi1"),
    estimators=(spec("Sleepy", seconds=0.25),),
    sample_sizes=(50, 100),
    repetitions=8,
    timeout=30.0,
)


class ReportsTorchThreads(BaseEstimator):
    """Needs torch; reports the number of torch threads it was given (the runner caps it per worker)."""

    tags = EstimatorTags(requires_torch=True)

    def __init__(self):
        pass

    def estimate_with_info(self, x, y):
        import torch

        from mibench.interface import Estimate

        return Estimate(0.0, {"torch_threads": torch.get_num_threads()})


class NeedsPrepare(BaseEstimator):
    """Refuses to estimate unless ``prepare()`` ran first in this process, as the runner promises."""

    tags = EstimatorTags()
    prepared_pids: ClassVar[set[int]] = set()

    def __init__(self):
        pass

    def prepare(self):
        NeedsPrepare.prepared_pids.add(os.getpid())

    def estimate(self, x, y):
        if os.getpid() not in NeedsPrepare.prepared_pids:
            raise RuntimeError("estimate() before prepare()")
        return 0.0


class PrepareRaises(BaseEstimator):
    tags = EstimatorTags()

    def __init__(self):
        pass

    def prepare(self):
        raise ImportError("no module named 'imaginary_jit'")

    def estimate(self, x, y):
        return 0.0


class RaisesBaseException(BaseEstimator):
    """Raises ``KeyboardInterrupt`` or calls ``sys.exit`` from inside its estimate, as a careless plugin might."""

    tags = EstimatorTags()

    def __init__(self, *, how: str = "keyboard-interrupt"):
        self.how = how

    def estimate(self, x, y):
        if self.how == "keyboard-interrupt":
            raise KeyboardInterrupt("pressed inside the estimator")
        raise SystemExit(0)


class Allocates(BaseEstimator):
    """Allocates and touches ``megabytes`` MiB, then returns 0."""

    tags = EstimatorTags()

    def __init__(self, *, megabytes: float = 100.0):
        self.megabytes = megabytes

    def estimate(self, x, y):
        block = np.ones(int(self.megabytes * 2**20 // 8))
        return float(block[-1] - 1.0)


class SpawnsAndHangs(BaseEstimator):
    """Starts a child process (its pid written to ``pid_file``), then hangs: its job is killed at the time limit."""

    tags = EstimatorTags()

    def __init__(self, *, pid_file: str = ""):
        self.pid_file = pid_file

    def estimate(self, x, y):
        import subprocess
        from pathlib import Path

        child = subprocess.Popen(["sleep", "300"])
        Path(self.pid_file).write_text(str(child.pid))
        time.sleep(300)
        return 0.0


#: What ``ReturnsType`` and ``InfoReturnsType`` return for each ``kind``: a float, or something that is not one.
RETURNED = {
    "float": 0.25,
    "float32": np.float32(0.25),
    "str": "0.25",
    "none": None,
    "bool": True,
    "int": 1,
    "complex": 0.25 + 0j,
    "array": np.array([0.25, 0.5]),
    "array0d": np.array(0.25),
}


class ReturnsType:
    """Not a BaseEstimator (it has ``estimate`` only): returns ``RETURNED[kind]`` as the estimate."""

    tags = EstimatorTags()

    def __init__(self, *, kind: str = "float"):
        self.kind = kind

    def estimate(self, x, y):
        return RETURNED[self.kind]


class InfoReturnsType(BaseEstimator):
    """Returns ``RETURNED[kind]`` as the value of ``estimate_with_info``."""

    tags = EstimatorTags()

    def __init__(self, *, kind: str = "float"):
        self.kind = kind

    def estimate_with_info(self, x, y):
        from mibench.interface import Estimate

        return Estimate(RETURNED[self.kind], {})


class BaseReturnsType(BaseEstimator):
    """A BaseEstimator whose ``estimate`` returns ``RETURNED[kind]`` (the runner calls the inherited
    ``estimate_with_info``, which must not convert it)."""

    tags = EstimatorTags()

    def __init__(self, *, kind: str = "float"):
        self.kind = kind

    def estimate(self, x, y):
        return RETURNED[self.kind]


class KillsItsDaskWorker(BaseEstimator):
    """Kills the Dask worker process that runs it (the parent of the fork server its job process came from), as a
    machine going down would. Only for Dask runs."""

    tags = EstimatorTags()

    def __init__(self):
        pass

    def estimate(self, x, y):
        from pathlib import Path

        server = os.getppid()
        dask_worker = int(Path(f"/proc/{server}/stat").read_text().rsplit(")", 1)[1].split()[1])
        os.kill(dask_worker, signal.SIGKILL)
        time.sleep(30)
        return 0.0


class PrintsAndMutates(BaseEstimator):
    """Prints to stdout and stderr and overwrites its input in place, then returns a value computed before."""

    tags = EstimatorTags()

    def __init__(self):
        pass

    def estimate(self, x, y):
        import sys

        value = float(np.mean(x[:, 0] * y[:, 0]))
        print("a plugin that talks on stdout", flush=True)
        print("and on stderr", file=sys.stderr, flush=True)
        x[...] = np.nan
        return value


class ExitsProcess(BaseEstimator):
    """Ends its process with ``os._exit(3)``, skipping every handler."""

    tags = EstimatorTags()

    def __init__(self):
        pass

    def estimate(self, x, y):
        os._exit(3)


#: Jobs that misbehave in every way a plugin can short of hanging the machine (see ``test_dask_executor``).
HOSTILE_SUITE = Suite(
    name="test-hostile",
    tasks=("gaussian-pairs-1x1-rho0.75",),
    estimators=(
        spec("ReturnsType", kind="array"),
        spec("ReturnsType", kind="none"),
        spec("PrintsAndMutates"),
        spec("ExitsProcess"),
        spec("Hangs", seconds=60.0),
        spec("RaisesBaseException", how="exit"),
    ),
    sample_sizes=(100,),
    repetitions=1,
    timeout=4.0,
)

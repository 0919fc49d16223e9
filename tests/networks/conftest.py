"""Shared fixtures for the network tests: the 12-bit set, the original data file when present, one thread."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mibench.networks.datasets import Dataset, twelve_bit

_VAR_U_CANDIDATES = [
    os.environ.get("MIBENCH_VAR_U_MAT", ""),
    str(Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "var_u.mat"),
    "/work/shared/data/var_u.mat",
]


@pytest.fixture(scope="session")
def twelve() -> Dataset:
    return twelve_bit()


@pytest.fixture(scope="session")
def var_u_path() -> Path:
    for candidate in _VAR_U_CANDIDATES:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    pytest.skip(
        "the original 12-bit data file var_u.mat is absent (looked in ../shared/data/ and $MIBENCH_VAR_U_MAT); "
        "the package does not need it, only this comparison does"
    )


@pytest.fixture
def one_thread():
    """Tiny networks run fastest (and most reproducibly) on one torch thread; restored afterwards."""
    from mibench.networks.model import torch_threads

    with torch_threads(1):
        yield

"""mibench's KSG against the public Python KSGs installed here (the ``peers`` extra): same numbers, and speed.

Peers, called with their noise/jitter off so that the formulas agree (KSG algorithm 1, max-norm, k = 3):

* ennemi 1.5 (``preprocess=False``: no rescaling, no noise). Its public ``estimate_mi(y, x)`` takes a 1-D ``y``
  and estimates one MI per column of ``x``; for multivariate x and y we call the function it runs for each pair,
  ``ennemi._entropy_estimators._estimate_single_mi(x, y, k)`` (checked below to be what ``estimate_mi`` returns
  in 1+1 dimensions). It counts with radius ``eps - 1e-12`` (not exactly ``< eps``) and uses an asymptotic
  digamma (error ~1e-7 to 1e-6 in the estimate), so its value differs from the exact formula by ~5e-7 nats;
  the neighbour counts themselves agree exactly, which is checked by putting mibench's counts into ennemi's
  digamma.
* infomeasure 0.6 (``approach="ksg"``, ``noise_level=0``, ``base="e"``): strict counts via ``nextafter``, scipy
  digamma: agrees with mibench to 1e-9. (Its ``ksg_id=2`` is not Kraskov's algorithm 2, so KSG2 has no peer.)
* scikit-learn (``feature_selection.mutual_info_regression``, ``n_neighbors=3``, ``random_state=0``), 1+1
  dimensions only (one MI per column of x against a 1-D y). It rescales both variables to unit standard
  deviation and adds a seeded jitter of 1e-10 times the mean absolute value, so mibench is given the same
  rescaled data and the two differ only where the jitter moves a point across a neighbour radius: each such
  flip changes one count by one, i.e. the estimate by at most 1/n, and the agreement check allows five.

Timing: the machine these were written on has 2 cores shared with other people, so each round runs every
contender back to back (the peers in the benchmark's untimed ``setup``, then mibench, timed by the fixture) and
the ratios in ``extra_info`` are medians over rounds of the same run, for wall time and for CPU time (CPU time
counts both of mibench's threads; the peers run on one). Speed is reported here, never asserted.

Run: ``.venv/bin/python -m pytest benchmarks/test_ksg_peers.py --benchmark-json peers.json`` (about 10 minutes
on 2 busy cores, mostly the peers at n = 100 000 in 5+5 dimensions).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mibench
from mibench.estimators.ksg import KSG, _ksg_neighbour_stats
from mibench.interface import validate_sample

ennemi = pytest.importorskip("ennemi")
infomeasure = pytest.importorskip("infomeasure")
from ennemi._entropy_estimators import _estimate_single_mi, _psi  # noqa: E402

K = 3


def ennemi_ksg(x: np.ndarray, y: np.ndarray) -> float:
    """ennemi's KSG for one (x, y) pair of any dimensions, no preprocessing, no noise."""
    return float(_estimate_single_mi(x, y, K))


def infomeasure_ksg(x: np.ndarray, y: np.ndarray) -> float:
    """infomeasure's KSG algorithm 1, noise off, in nats."""
    return float(infomeasure.mutual_information(x, y, approach="ksg", k=K, noise_level=0, base="e"))


def mibench_ksg(x: np.ndarray, y: np.ndarray) -> float:
    return KSG(k=K).estimate(x, y)


def sklearn_ksg(x: np.ndarray, y: np.ndarray) -> float:
    """scikit-learn's KSG for a 1-D x and 1-D y (it rescales to unit SD and jitters by 1e-10, seeded)."""
    from sklearn.feature_selection import mutual_info_regression

    return float(mutual_info_regression(x, y[:, 0], n_neighbors=K, random_state=0)[0])


PEERS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "ennemi": ennemi_ksg,
    "infomeasure": infomeasure_ksg,
}
#: Peers that take a 1-D x and y only.
PEERS_1D: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"scikit-learn": sklearn_ksg}


def _peers(dim: int) -> dict[str, Callable[[np.ndarray, np.ndarray], float]]:
    return {**PEERS, **PEERS_1D} if dim == 1 else dict(PEERS)


def _unit_sd(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y divided by their sample SDs, the rescaling scikit-learn applies before its KSG."""
    return x / x.std(axis=0), y / y.std(axis=0)


def _sample(n: int, dim_x: int, dim_y: int) -> tuple[np.ndarray, np.ndarray]:
    task_id = f"gaussian-pairs-{dim_x}x{dim_y}-mi1"
    return mibench.get_task(task_id).sample(n, seed=0)


def _timed(function: Callable[[], float]) -> tuple[float, float, float]:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    value = function()
    return time.perf_counter() - wall0, time.process_time() - cpu0, value


@pytest.mark.parametrize(("dim_x", "dim_y"), [(1, 1), (2, 3), (5, 5)])
def test_agreement_with_peers(benchmark, dim_x: int, dim_y: int) -> None:
    """Same data, same formula: infomeasure to 1e-9; ennemi's neighbour counts exactly (its digamma differs)."""
    x, y = _sample(5_000, dim_x, dim_y)
    ours = benchmark(mibench_ksg, x, y)
    theirs = {name: peer(x, y) for name, peer in PEERS.items()}
    assert theirs["infomeasure"] == pytest.approx(ours, abs=1e-9)
    # ennemi: mibench's counts put into ennemi's own digamma reproduce ennemi's value, so the neighbour
    # statistics agree exactly and the whole difference is ennemi's digamma approximation
    _, n_x, n_y, _ = _ksg_neighbour_stats(*validate_sample(x, y), K)
    n = x.shape[0]
    ennemi_from_our_counts = float(_psi(n) + _psi(K) - np.mean(_psi(n_x + 1) + _psi(n_y + 1)))
    assert theirs["ennemi"] == pytest.approx(ennemi_from_our_counts, abs=1e-9)
    assert theirs["ennemi"] == pytest.approx(ours, abs=1e-5)
    sklearn_minus_mibench = None
    if dim_x == dim_y == 1:  # the private per-pair function is what ennemi's public API computes
        public = float(ennemi.estimate_mi(y[:, 0], x[:, 0], k=K, preprocess=False)[0, 0])
        assert public == theirs["ennemi"]
        xs, ys = _unit_sd(x, y)
        sklearn_minus_mibench = sklearn_ksg(x, y) - mibench_ksg(xs, ys)
        assert abs(sklearn_minus_mibench) <= 5 / n  # at most five counts moved by scikit-learn's 1e-10 jitter
    benchmark.extra_info.update(
        n=n,
        dim_x=dim_x,
        dim_y=dim_y,
        estimate_nats=ours,
        infomeasure_minus_mibench=theirs["infomeasure"] - ours,
        ennemi_minus_mibench=theirs["ennemi"] - ours,
        ennemi_minus_ennemi_formula_on_mibench_counts=theirs["ennemi"] - ennemi_from_our_counts,
        sklearn_minus_mibench_on_unit_sd_data=sklearn_minus_mibench,
    )


@pytest.mark.parametrize("dim", [1, 5])
def test_speed_against_peers(benchmark, dim: int) -> None:
    """n = 100 000, k = 3: mibench's KSG timed by the fixture, each peer timed once per round in its setup."""
    x, y = _sample(100_000, dim, dim)
    if dim == 1:
        x, y = _unit_sd(x, y)  # scikit-learn's preprocessing, so that every peer sees the same numbers
    peers = _peers(dim)
    KSG(k=K).prepare()  # numba's import and compilation are once per process, not the call's
    peer_times: dict[str, list[tuple[float, float]]] = {name: [] for name in peers}
    peer_values: dict[str, float] = {}
    our_cpu: list[float] = []

    def run_peers() -> None:
        for name, peer in peers.items():
            wall, cpu, value = _timed(lambda peer=peer: peer(x, y))
            peer_times[name].append((wall, cpu))
            peer_values[name] = value

    def ours() -> float:
        cpu0 = time.process_time()
        value = mibench_ksg(x, y)
        our_cpu.append(time.process_time() - cpu0)
        return value

    value = benchmark.pedantic(ours, setup=run_peers, rounds=3, iterations=1)
    our_wall = benchmark.stats.stats.median
    our_cpu_median = statistics.median(our_cpu)
    info: dict[str, Any] = {"n": 100_000, "dim_x": dim, "dim_y": dim, "k": K, "estimate_nats": value}
    for name, times in peer_times.items():
        wall = statistics.median(t[0] for t in times)
        cpu = statistics.median(t[1] for t in times)
        info[f"{name}_wall_s"] = wall
        info[f"{name}_cpu_s"] = cpu
        info[f"{name}_over_mibench_wall"] = wall / our_wall
        info[f"{name}_over_mibench_cpu"] = cpu / our_cpu_median
        info[f"{name}_minus_mibench_nats"] = peer_values[name] - value
    fastest = min(peers, key=lambda name: info[f"{name}_wall_s"])
    info.update(
        mibench_wall_s=our_wall,
        mibench_cpu_s=our_cpu_median,
        fastest_peer=fastest,
        fastest_peer_over_mibench_wall=info[f"{fastest}_over_mibench_wall"],
    )
    benchmark.extra_info.update(info)

"""KSG neighbour search by size and dimension: kd-tree vs blocked brute force vs the automatic choice.

Times ``KSG(k=3)`` (algorithm 1) on ``gaussian-pairs-{d}x{d}-mi1`` for every (n, d) of the grid with the
neighbour search forced to ``tree``, forced to ``brute`` and left to ``auto``
(:func:`mibench.estimators._neighbors.choose_search`), and prints a Markdown table (optionally writes it and the
raw timings as JSON).

The machine this was written on has 2 cores shared with other people, so absolute times are noisy: in each
round the three contenders run back to back (interleaved, the order rotating between rounds), and the table
shows medians over rounds, with the CPU time of this process beside the wall time (less sensitive to other
people's load). Compare contenders within one run, never across runs.

Brute force is O(n^2 d): above ``--max-direct`` samples (default 30 000) it is not run but extrapolated from
its median time at ``--max-direct`` samples as ``t(n) = t(n_ref) * (n / n_ref)^2`` and marked ``~`` (the same
for the tree in ``--brute-like-dims`` dimensions per side, where it also degrades to O(n^2)); ``--max-direct 0``
times everything directly (minutes per call at n = 100 000 in 20+20 dimensions).

Usage (from the repository root; the table in reports/ksg_speed.md is the first command's output, pasted)::

    .venv/bin/python benchmarks/ksg_grid.py --json /tmp/ksg_grid.json
    .venv/bin/python benchmarks/ksg_grid.py --sizes 1000,10000 --dims 1,5 --rounds 5
    .venv/bin/python benchmarks/ksg_grid.py --sizes 100000 --dims 20 --max-direct 0 --rounds 1 --contenders brute
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import mibench
from mibench.estimators import _neighbors
from mibench.estimators.ksg import KSG
from mibench.interface import validate_sample

CONTENDERS = ("tree", "brute", "auto")

#: Up to this n each timed call follows an untimed call of the same contender. Without it, at n = 1 000 a call
#: right after the brute force (which sweeps megabytes of distances through the caches) ran 10-15% slower.
WARM_UP_MAX_N = 20_000


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def _time_once(x: np.ndarray, y: np.ndarray, search: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, estimate) of one KSG call with the given neighbour search."""
    estimator = KSG(k=3)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if search == "auto":
        value = estimator.estimate(x, y)
    else:
        value = estimator._estimate(*validate_sample(x, y), 3, search).value
    return time.perf_counter() - wall0, time.process_time() - cpu0, value


def _rounds_for(n: int, base: int) -> int:
    """More rounds for fast cells (small n), where one round costs little and noise is relatively larger."""
    if n <= 2_000:
        return max(base, 25)
    if n <= 20_000:
        return max(base, 5)
    return base


def measure_cell(
    n: int, d: int, rounds: int, max_direct: int, brute_like_dims: set[int], contenders: tuple[str, ...] = CONTENDERS
) -> dict[str, Any]:
    """Median wall/CPU times of the three contenders at (n, d), extrapolating O(n^2) ones above max_direct."""
    task = mibench.get_task(f"gaussian-pairs-{d}x{d}-mi1")
    x, y = task.sample(n, seed=0)
    auto_choice = _neighbors.choose_search(n, 2 * d)

    def quadratic(search: str) -> bool:
        return search == "brute" or (search == "tree" and d in brute_like_dims)

    extrapolate = {s for s in ("tree", "brute") if max_direct and n > max_direct and quadratic(s)}
    if auto_choice in extrapolate:
        extrapolate.add("auto")
    direct = [s for s in contenders if s not in extrapolate]
    samples: dict[str, list[tuple[float, float]]] = {s: [] for s in CONTENDERS}
    values: dict[str, float] = {}
    n_rounds = _rounds_for(n, rounds)
    for r in range(n_rounds):
        for i in range(len(direct)):
            search = direct[(i + r) % len(direct)]
            if n <= WARM_UP_MAX_N:
                _time_once(x, y, search)  # untimed: the timed call must not pay for its predecessor's cache misses
            wall, cpu, value = _time_once(x, y, search)
            samples[search].append((wall, cpu))
            values[search] = value
    cell: dict[str, Any] = {"n": n, "d": d, "auto_choice": auto_choice, "rounds": n_rounds, "true_mi": task.mi}
    for search in direct:
        walls = [wall for wall, _ in samples[search]]
        cpus = [cpu for _, cpu in samples[search]]
        cell[search] = {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "estimate": values[search]}
    if extrapolate:
        ref = measure_cell(max_direct, d, rounds, 0, brute_like_dims, tuple(extrapolate - {"auto"} | {auto_choice}))
        factor = (n / max_direct) ** 2
        for search in extrapolate:
            source = ref[auto_choice if search == "auto" else search]
            cell[search] = {
                "wall": source["wall"] * factor,
                "cpu": source["cpu"] * factor,
                "extrapolated_from_n": max_direct,
            }
    return cell


def _fmt(entry: dict[str, Any]) -> str:
    mark = "~" if "extrapolated_from_n" in entry else ""
    return f"{mark}{entry['wall']:.3g} ({mark}{entry['cpu']:.3g})"


def markdown(cells: list[dict[str, Any]]) -> str:
    lines = [
        "| n | dim_x = dim_y | tree: wall (CPU) s | brute: wall (CPU) s | auto: wall (CPU) s | auto picks "
        "| auto / best: wall (CPU) | estimate (nats, true 1.0) |",
        "|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for cell in cells:
        if not all(s in cell for s in CONTENDERS):
            continue
        ratio = cell["auto"]["wall"] / min(cell["tree"]["wall"], cell["brute"]["wall"])
        ratio_cpu = cell["auto"]["cpu"] / min(cell["tree"]["cpu"], cell["brute"]["cpu"])
        estimate = next((cell[s]["estimate"] for s in CONTENDERS if "estimate" in cell[s]), float("nan"))
        lines.append(
            f"| {cell['n']:,} | {cell['d']} | {_fmt(cell['tree'])} | {_fmt(cell['brute'])} | {_fmt(cell['auto'])} "
            f"| {cell['auto_choice']} | {ratio:.2f} ({ratio_cpu:.2f}) | {estimate:.4f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_ints, default=[1_000, 10_000, 100_000], help="comma-separated n")
    parser.add_argument("--dims", type=_ints, default=[1, 5, 20], help="comma-separated dim_x = dim_y")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per cell (more for small n)")
    parser.add_argument(
        "--max-direct", type=int, default=30_000, help="largest n at which O(n^2) searches run (0: no limit)"
    )
    parser.add_argument(
        "--brute-like-dims", type=_ints, default=[20], help="dims per side where the tree is also extrapolated"
    )
    parser.add_argument(
        "--contenders", default=",".join(CONTENDERS), help="subset of tree,brute,auto (the table needs all three)"
    )
    parser.add_argument("--json", type=Path, help="write the raw timings here")
    parser.add_argument("--markdown", type=Path, help="write the table here")
    args = parser.parse_args(argv)

    _neighbors.prepare_compiled_counts()  # numba's import and compilation are once per process, not a call's
    cells = []
    for n in args.sizes:
        for d in args.dims:
            contenders = tuple(c for c in args.contenders.split(",") if c)
            cell = measure_cell(n, d, args.rounds, args.max_direct, set(args.brute_like_dims), contenders)
            cells.append(cell)
            print(json.dumps(cell), file=sys.stderr, flush=True)
    table = markdown(cells)
    print(table)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "threads": _neighbors.thread_count(),
        "brute_force_reference_n": _neighbors.BRUTE_FORCE_REFERENCE_N,
        "brute_force_reference_dim": _neighbors.BRUTE_FORCE_REFERENCE_DIM,
        "brute_force_growth_per_dim": _neighbors.BRUTE_FORCE_GROWTH_PER_DIM,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "cells": cells}, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

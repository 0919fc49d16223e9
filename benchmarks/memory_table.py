"""Markdown table of peak memory per estimator from a pytest-benchmark JSON of ``benchmarks/test_memory.py``.

Usage::

    .venv/bin/python benchmarks/memory_table.py /tmp/memory.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def table(report: dict) -> str:
    """One row per estimator: n, extra peak RSS, input size, n x n size, seconds, estimate (truth beside it)."""
    lines = [
        "| estimator | n | extra peak RSS (MiB) | input x, y (MiB) | one n x n float64 (MiB) | seconds | estimate "
        "(nats; truth) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = sorted(report["benchmarks"], key=lambda bench: bench["extra_info"]["estimator"])
    for bench in rows:
        info = bench["extra_info"]
        peak = info["peak_memory_mb"]
        peak_text = "n/a" if peak is None else f"{peak:,.1f}"
        lines.append(
            f"| `{info['estimator']}` | {info['n']:,} | {peak_text} | {info['input_mb']:.1f} "
            f"| {info['n_by_n_mb']:,.0f} | {bench['stats']['median']:.2f} "
            f"| {info['estimate_nats']:.3f} ({info['true_mi_nats']:.3f}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: memory_table.py BENCHMARK_JSON", file=sys.stderr)
        return 2
    print(table(json.loads(Path(args[0]).read_text())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

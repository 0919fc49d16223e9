"""Figures of scores (seaborn / matplotlib, imported lazily so ``import mibench.report`` stays cheap).

Figures are drawn on a bare :class:`matplotlib.figure.Figure` (rendered by the non-interactive Agg canvas)
and never through ``pyplot``, so plotting neither opens windows nor changes the caller's matplotlib backend or
global figure state; seaborn styles are applied only inside a context manager.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["plot_estimate_vs_truth"]

#: Marker cycle shared by mibench's figures (one per sample size here, one per layer in information planes).
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")


def mark_empty_panel(ax: Any) -> None:
    """Write "no successful estimates" across a panel that has nothing to show (rather than leave it blank)."""
    ax.text(
        0.5,
        0.5,
        "no successful estimates",
        ha="center",
        va="center",
        transform=ax.transAxes,
        bbox={"facecolor": "white", "edgecolor": "0.7"},
    )


def plot_estimate_vs_truth(results: pd.DataFrame, path: str | Path, *, bits: bool = False) -> Path:
    """Plot the mean estimate (error bars: SD across seeds) against the true MI and save it as a PNG.

    One panel per estimator configuration (labelled as in the scores table), one colour and marker per sample
    size ``n``, and the line ``y = x`` (a perfect estimator). Groups whose every job failed, or whose mean is
    not finite, have no point; a panel with no point at all says so. The scores are computed with
    :func:`mibench.scoring.score`.

    Args:
        results: the results table, one row per job.
        path: where to write the PNG (parent folders are created).
        bits: label the axes in bits and divide MI values by ``ln 2`` (default: nats).

    Returns:
        The path of the written PNG.

    Raises:
        ValueError: ``results`` is empty or lacks a required column (see :func:`mibench.scoring.score`).
    """
    import numpy as np
    import seaborn as sns
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from mibench import scoring as s
    from mibench.report.tables import estimator_labels
    from mibench.units import nats_to_bits

    scores = s.score(results)
    unit = "bits" if bits else "nats"
    factor = nats_to_bits(1.0) if bits else 1.0
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    scores = scores.assign(_label=estimator_labels(scores))
    truth = scores[s.TRUE_MI].to_numpy(dtype=float) * factor
    mean = scores[s.MEAN].to_numpy(dtype=float) * factor
    sd = np.nan_to_num(scores[s.SD].to_numpy(dtype=float) * factor, nan=0.0, posinf=0.0)
    plottable = np.isfinite(truth) & np.isfinite(mean)

    sizes = sorted(int(v) for v in scores[s.N].unique())
    palette = sns.color_palette("viridis", n_colors=max(len(sizes), 1))
    style = {n: (palette[i], MARKERS[i % len(MARKERS)]) for i, n in enumerate(sizes)}
    panels = sorted(scores["_label"].unique())

    if plottable.any():
        low = min(0.0, float(np.min(truth[plottable])), float(np.min((mean - sd)[plottable])))
        high = max(float(np.max(truth[plottable])), float(np.max((mean + sd)[plottable])))
    else:
        low, high = 0.0, 1.0
    pad = 0.05 * (high - low or 1.0)
    low, high = low - pad, high + pad

    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(3.4 * ncols + 1.8, 3.4 * nrows + 0.5), dpi=110, layout="constrained")
        axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        for ax, label in zip(axes.flat, panels, strict=False):
            ax.plot([low, high], [low, high], linestyle="--", color="0.45", linewidth=1.0, zorder=1)
            in_panel = (scores["_label"] == label).to_numpy() & plottable
            for n in sizes:
                sel = in_panel & (scores[s.N] == n).to_numpy()
                if not sel.any():
                    continue
                colour, marker = style[n]
                ax.errorbar(
                    truth[sel],
                    mean[sel],
                    yerr=sd[sel],
                    fmt=marker,
                    color=colour,
                    markersize=5,
                    capsize=2.5,
                    linestyle="none",
                    zorder=2,
                )
            if not in_panel.any():
                mark_empty_panel(ax)
            ax.set_title(label, fontsize=10)
            ax.set_xlim(low, high)
            ax.set_ylim(low, high)
            ax.set_aspect("equal", adjustable="box")
        flat = list(axes.flat)
        for i, ax in enumerate(flat[: len(panels)]):
            if i + ncols >= len(panels):  # nothing visible below it: it carries the x axis
                ax.set_xlabel(f"true MI ({unit})")
                ax.xaxis.set_tick_params(labelbottom=True)
        for ax in axes[:, 0]:
            ax.set_ylabel(f"mean estimate ({unit})")
        for ax in flat[len(panels) :]:
            ax.set_visible(False)

        handles = [
            Line2D([], [], color=style[n][0], marker=style[n][1], linestyle="none", label=f"n = {n}") for n in sizes
        ]
        handles.append(Line2D([], [], color="0.45", linestyle="--", label="y = x"))
        fig.legend(handles=handles, loc="outside right upper", title="sample size", fontsize=9)
        fig.suptitle(f"Mean estimate ± SD across seeds vs true MI ({unit})")
        fig.savefig(path, format="png")
    return path

"""Figures of scores (seaborn / matplotlib, imported lazily so ``import mibench.report`` stays cheap).

Every score figure is drawn from the one tidy per-cell table of :func:`mibench.report.summary.cell_table` (one
row per task, estimator configuration and sample size ``n``, scored over seeds), and every estimator keeps its
colour in every figure and every report (:func:`estimator_palette`). A figure that the data cannot support (one
sample size, one dimension, every job failed) is not drawn; its :class:`FigureOutcome` says why, and the report
prints that sentence in its place.

Figures are drawn on a bare :class:`matplotlib.figure.Figure` (rendered by the non-interactive Agg canvas)
and never through ``pyplot``, so plotting neither opens windows nor changes the caller's matplotlib backend or
global figure state; seaborn styles are applied only inside a context manager.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "ESTIMATOR_COLOURS",
    "FIGURE_FILES",
    "FigureOutcome",
    "bias_rmse_vs_n_figure",
    "bias_vs_dimension_figure",
    "estimate_vs_truth_figure",
    "estimator_colour",
    "estimator_palette",
    "log_ratio_heatmap_figure",
    "log_ratio_table",
    "plot_clipped",
    "plot_estimate_vs_truth",
    "time_exponent",
    "time_vs_n_figure",
    "write_figures",
]

#: Marker cycle shared by mibench's figures (one per layer in information planes).
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")

#: The colour of each built-in estimator, the same in every figure. Related methods share a hue (KSG and KSG2
#: blue, KL and weighted KL green, KDE and its bounds red/brown); the Gaussian baseline is dark grey.
ESTIMATOR_COLOURS: dict[str, str] = {
    "ksg": "#1f77b4",
    "ksg2": "#6baed6",
    "kl": "#2ca02c",
    "wkl": "#98c46c",
    "gaussian": "#4d4d4d",
    "binning": "#ff7f0e",
    "kde": "#d62728",
    "kde-lower": "#f4a3a3",
    "kde-upper": "#8c564b",
    "infonce": "#9467bd",
    "mine": "#e377c2",
    "nwj": "#17becf",
    "dv": "#bcbd22",
    "smile": "#7b4173",
    "gaussian-convolution": "#000080",
    "compressed": "#e6ab02",
    # The compressed configurations of the highdim suite, told apart when they are reported together.
    'compressed {"compressor":"pca"}': "#daa520",
    'compressed {"compressor":"pca","inner":"wkl"}': "#c49c94",
    'compressed {"compressor":"autoencoder"}': "#7f5f00",
}

#: File names of the figures :func:`write_figures` draws, in report order.
FIGURE_FILES: tuple[str, ...] = (
    "estimate_vs_truth.png",
    "bias_rmse_vs_n.png",
    "bias_vs_dimension.png",
    "log_ratio_heatmap.png",
    "time_vs_n.png",
)

#: The heatmap shows at most this many tasks (those on which the estimators disagree most).
HEATMAP_MAX_TASKS = 40
#: Mean |log(estimate / truth)| at or above this value gets the darkest colour (a factor e^2 ~ 7.4 off).
HEATMAP_VMAX = 2.0
#: Bias and RMSE against n get at most this many dimension panels; more dimensions are grouped.
MAX_DIMENSION_PANELS = 6
#: Joint-dimension groups (``dim_x + dim_y``, inclusive bounds) used when there are too many dimensions.
DIMENSION_GROUPS: tuple[tuple[int, int], ...] = ((2, 2), (3, 4), (5, 10), (11, 20), (21, 60), (61, 10**9))

_DPI = 110


@dataclass(frozen=True)
class FigureOutcome:
    """One figure of a report: written to ``path`` with its ``caption``, or not drawn, ``skipped`` saying why."""

    name: str
    title: str
    caption: str = ""
    path: Path | None = None
    skipped: str | None = None


def estimator_colour(label: str) -> str:
    """The colour of an estimator configuration, as ``#rrggbb``.

    A built-in name gets its :data:`ESTIMATOR_COLOURS` entry. Any other label (a plugin, or one configuration
    of several, ``"ksg {"k": 5}"``) gets a colour derived from its text alone: the first 8 bytes of its SHA-256
    pick the hue, at fixed lightness 0.42 and saturation 0.62, so the colour is the same in every run and
    every report.
    """
    if label in ESTIMATOR_COLOURS:
        return ESTIMATOR_COLOURS[label]
    digest = int.from_bytes(hashlib.sha256(label.encode("utf-8")).digest()[:8], "big")
    red, green, blue = colorsys.hls_to_rgb(digest / 2**64, 0.42, 0.62)
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in (red, green, blue)))


def estimator_palette(labels: Iterable[str]) -> dict[str, str]:
    """``{label: colour}`` for the given labels (:func:`estimator_colour`), in sorted label order."""
    return {label: estimator_colour(label) for label in sorted(set(labels))}


def mark_empty_panel(ax: Any, text: str = "no successful estimates") -> None:
    """Write ``text`` across a panel that has nothing to show (rather than leave it blank)."""
    ax.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        transform=ax.transAxes,
        bbox={"facecolor": "white", "edgecolor": "0.7"},
    )


def _unit(bits: bool) -> tuple[str, float]:
    from mibench.units import nats_to_bits

    return ("bits", nats_to_bits(1.0)) if bits else ("nats", 1.0)


def _legend(fig: Any, labels: Sequence[str], *, title: str = "estimator", extra: Sequence[Any] = ()) -> None:
    """One figure legend of the estimators' colours, outside the panels on the right."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=estimator_colour(label), marker="o", linestyle="-", linewidth=2, label=label)
        for label in labels
    ]
    fig.legend(handles=[*handles, *extra], loc="outside right upper", title=title, fontsize=9, frameon=False)


def plot_clipped(
    ax: Any,
    x: Any,
    y: Any,
    sd: Any,
    colour: str,
    low: float,
    high: float,
    *,
    markersize: float = 4.5,
    capsize: float = 2.0,
) -> bool:
    """Points ``(x, y)`` with ± ``sd`` error bars where ``low <= y <= high``, and open triangles at the panel's
    edge (pointing the way they left) for those beyond it. Returns whether any point was beyond."""
    import numpy as np

    x, y, sd = (np.asarray(v, dtype=float) for v in (x, y, sd))
    inside = (y >= low) & (y <= high)
    ax.errorbar(
        x[inside],
        y[inside],
        yerr=sd[inside],
        fmt="o",
        color=colour,
        markersize=markersize,
        capsize=capsize,
        elinewidth=1,
        alpha=0.85,
        linestyle="none",
        zorder=2,
    )
    clipped = False
    for out, marker, edge in ((y > high, "^", high), (y < low, "v", low)):
        if out.any():
            clipped = True
            ax.scatter(
                x[out],
                np.full(int(out.sum()), edge),
                marker=marker,
                facecolors="none",
                edgecolors=colour,
                clip_on=False,
                zorder=3,
            )
    return clipped


def _grid(n_panels: int, max_cols: int) -> tuple[int, int]:
    ncols = max(1, min(max_cols, n_panels))
    return math.ceil(n_panels / ncols), ncols


def _skip(name: str, title: str, path: Path, reason: str) -> FigureOutcome:
    """A figure not drawn: removes a stale file of that name from an earlier report in the same folder."""
    path.unlink(missing_ok=True)
    return FigureOutcome(name=name, title=title, skipped=reason)


def _successful(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells with a finite mean estimate (at least one seed succeeded)."""
    import numpy as np

    from mibench import scoring as s

    return cells[np.isfinite(cells[s.MEAN].to_numpy(dtype=float))]


def _largest_n_per_pair(cells: pd.DataFrame) -> pd.DataFrame:
    """For each (task, estimator configuration), its row at the largest ``n`` it ran."""
    from mibench import scoring as s
    from mibench.report.summary import LABEL, TASK_LABEL

    ordered = cells.sort_values([TASK_LABEL, LABEL, s.N])
    return ordered.groupby([TASK_LABEL, LABEL], sort=True).tail(1)


def _tasks(count: int) -> str:
    return f"{count} task" if count == 1 else f"{count} tasks"


def _log_n_axis(ax: Any, sizes: Sequence[int]) -> None:
    """A log-scale x axis with a plainly labelled tick at each sample size (and no minor ticks)."""
    from matplotlib.ticker import NullLocator

    ax.set_xscale("log")
    ax.set_xticks(list(sizes))
    ax.set_xticklabels([str(n) for n in sizes])
    ax.xaxis.set_minor_locator(NullLocator())


def _hide_unused(axes: Any, used: int) -> None:
    for ax in list(axes.flat)[used:]:
        ax.set_visible(False)


# ------------------------------------------------------------------------------------------------------------
# (a) estimate vs truth, one panel per task family
# ------------------------------------------------------------------------------------------------------------


def estimate_vs_truth_figure(cells: pd.DataFrame, path: str | Path, *, bits: bool = False) -> FigureOutcome:
    """Mean estimate against the true MI, one panel per task family, one colour per estimator.

    Each point is one (task, estimator configuration) at the largest ``n`` that configuration ran on that task,
    with error bars of one SD across seeds; the dashed line is ``y = x``. Each panel spans its family's truths
    (from 0 to 1.5 x the largest truth, or the largest estimate if smaller); an estimate beyond the panel is drawn
    at its edge as an open triangle pointing the way it left.
    """
    import numpy as np
    import seaborn as sns
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from mibench import scoring as s
    from mibench.report.summary import LABEL

    name, title = "estimate_vs_truth.png", "Estimate vs truth by task family"
    path = Path(path)
    unit, factor = _unit(bits)
    shown = _successful(_largest_n_per_pair(cells))
    if shown.empty:
        return _skip(name, title, path, "No cell has a successful estimate, so there is no estimate to plot.")
    families = sorted(shown[s.FAMILY].astype(str).unique())
    labels = sorted(shown[LABEL].unique())
    nrows, ncols = _grid(len(families), 4)
    clipped_any = False
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(max(3.3 * ncols + 2.2, 8.5), 3.1 * nrows + 0.8), dpi=_DPI, layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for ax, family in zip(axes.flat, families, strict=False):
            rows = shown[shown[s.FAMILY].astype(str) == family]
            truth = rows[s.TRUE_MI].to_numpy(dtype=float) * factor
            mean = rows[s.MEAN].to_numpy(dtype=float) * factor
            sd = np.nan_to_num(rows[s.SD].to_numpy(dtype=float) * factor, nan=0.0, posinf=0.0)
            top = max(float(np.nanmax(truth)), 1e-3)
            high = 1.5 * top
            low = min(0.0, float(np.nanmin(truth))) - 0.05 * high
            high += 0.05 * high
            ax.plot([low, high], [low, high], linestyle="--", color="0.45", linewidth=1.0, zorder=1)
            for i, label in enumerate(labels):
                sel = (rows[LABEL] == label).to_numpy()
                if not sel.any():
                    continue
                colour = estimator_colour(label)
                dodge = (i - (len(labels) - 1) / 2) * 0.008 * (high - low)  # estimators side by side at one truth
                clipped_any |= plot_clipped(
                    ax, truth[sel] + dodge, mean[sel], sd[sel], colour, low, high, markersize=4.5, capsize=2
                )
            ax.set_xlim(low, high)
            ax.set_ylim(low, high)
            ax.set_title(f"{family} ({_tasks(rows[s.TASK_ID].nunique())})", fontsize=10)
            ax.set_xlabel(f"true MI ({unit})", fontsize=9)
            ax.set_ylabel(f"mean estimate ({unit})", fontsize=9)
            ax.tick_params(which="both", labelsize=8)
        _hide_unused(axes, len(families))
        extra = [Line2D([], [], color="0.45", linestyle="--", label="y = x")]
        if clipped_any:
            extra.append(
                Line2D([], [], marker="^", markerfacecolor="none", color="0.3", linestyle="none", label="off the panel")
            )
        _legend(fig, labels, extra=extra)
        fig.suptitle(f"Mean estimate ± SD vs true MI ({unit}), each estimator at its largest n", fontsize=11)
        fig.savefig(path, format="png")
    caption = (
        f"Mean estimate (error bars: ± 1 SD across seeds) against the true MI in {unit}, one panel per task "
        "family, one point per task and estimator at the largest n that estimator ran on that task (estimators "
        "side by side at one truth are shifted slightly apart). Dashed: "
        "y = x, a perfect estimator. Each panel runs from 0 to 1.5 × its largest truth; an estimate beyond it is an "
        "open triangle at the edge."
    )
    return FigureOutcome(name=name, title=title, caption=caption, path=path)


def plot_estimate_vs_truth(results: pd.DataFrame, path: str | Path, *, bits: bool = False) -> Path:
    """Score a results table and draw :func:`estimate_vs_truth_figure` from it; returns the PNG's path.

    Raises:
        ValueError: ``results`` is empty or lacks a required column (:func:`mibench.scoring.score`), or no job
            succeeded (there is nothing to plot).
    """
    from mibench import scoring as s
    from mibench.report.summary import cell_table

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    outcome = estimate_vs_truth_figure(cell_table(s.score(results)), path, bits=bits)
    if outcome.path is None:
        raise ValueError(outcome.skipped)
    return outcome.path


# ------------------------------------------------------------------------------------------------------------
# (b) bias and RMSE against n, per dimension
# ------------------------------------------------------------------------------------------------------------


def _dimension_groups(cells: pd.DataFrame) -> tuple[list[str], pd.Series, bool]:
    """Panel titles, each cell's panel, and whether panels are ranges: one panel per ``dim_x x dim_y`` when there
    are at most :data:`MAX_DIMENSION_PANELS`, else ranges of ``dim_x + dim_y`` (:data:`DIMENSION_GROUPS`)."""
    from mibench import scoring as s
    from mibench.report.summary import JOINT_DIM

    pairs = cells[s.DIM_X].astype(int).astype(str) + "×" + cells[s.DIM_Y].astype(int).astype(str)
    distinct = cells[[s.DIM_X, s.DIM_Y]].drop_duplicates()
    if len(distinct) <= MAX_DIMENSION_PANELS:
        order = sorted(distinct.itertuples(index=False), key=lambda d: (int(d[0]) + int(d[1]), int(d[0])))
        return [f"dim {int(x)}×{int(y)}" for x, y in order], "dim " + pairs, False

    def group(d: int) -> str:
        low, high = next((lo, hi) for lo, hi in DIMENSION_GROUPS if lo <= d <= hi)
        if low == high:
            return f"dim_x + dim_y = {low}"
        return f"dim_x + dim_y ≥ {low}" if high >= 10**9 else f"dim_x + dim_y = {low}–{high}"

    panel = cells[JOINT_DIM].astype(int).map(group)
    titles = [group(lo) for lo, _ in DIMENSION_GROUPS if (panel == group(lo)).any()]
    return titles, panel, True


def _rmse_half_width(cells: pd.DataFrame) -> Any:
    """Half-width of a 95 % normal interval for each cell's RMSE from its seeds (delta method).

    With errors ``e_i = estimate_i - truth`` over ``k`` seeds, bias ``b`` and SD ``σ``, and errors taken as normal,
    ``Var(e^2) = 2σ^4 + 4b^2σ^2``, so ``se(MSE) = sqrt((2σ^4 + 4b^2σ^2) / k)`` and
    ``se(RMSE) = se(MSE) / (2 RMSE)``; the half-width is ``1.96 se(RMSE)`` (NaN for fewer than 2 seeds).
    """
    import numpy as np

    from mibench import scoring as s

    sd = cells[s.SD].to_numpy(dtype=float)
    bias = cells[s.BIAS].to_numpy(dtype=float)
    rmse = cells[s.RMSE].to_numpy(dtype=float)
    k = cells[s.N_OK].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se_mse = np.sqrt((2 * sd**4 + 4 * bias**2 * sd**2) / k)
        return 1.96 * se_mse / (2 * rmse)


def bias_rmse_vs_n_figure(cells: pd.DataFrame, path: str | Path, *, bits: bool = False) -> FigureOutcome:
    """Bias (top row) and RMSE (bottom row, log scale) against ``n`` (log scale), one column per dimension.

    For each estimator and ``n``, the line is the median over the panel's tasks with a successful estimate of
    the cell's bias or RMSE. The band comes from the seeds: for the bias, the median over the same tasks of the
    cell's 95 % Student-t interval bounds; for the RMSE, ``RMSE ± 1.96 se(RMSE)`` per cell
    (:func:`_rmse_half_width`), its median over the tasks. At most :data:`MAX_DIMENSION_PANELS` columns: with more
    distinct ``dim_x x dim_y``, columns are ranges of ``dim_x + dim_y``.
    """
    import numpy as np
    import seaborn as sns
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from mibench import scoring as s
    from mibench.report.summary import LABEL

    name, title = "bias_rmse_vs_n.png", "Bias and RMSE against n"
    path = Path(path)
    unit, factor = _unit(bits)
    ok = _successful(cells)
    if ok[s.N].nunique() < 2:
        sizes = sorted(int(n) for n in cells[s.N].unique())
        what = "no cell has a successful estimate" if ok.empty else f"only n = {sizes[0]} has successful estimates"
        if len(sizes) == 1:
            what = f"the results hold one sample size (n = {sizes[0]})"
        return _skip(name, title, path, f"Not drawn: {what}, and this figure needs at least two.")
    half = _rmse_half_width(ok)
    ok = ok.assign(
        _bias=ok[s.BIAS] * factor,
        _bias_low=ok[s.BIAS_CI_LOW] * factor,
        _bias_high=ok[s.BIAS_CI_HIGH] * factor,
        _rmse=ok[s.RMSE] * factor,
        _rmse_low=np.maximum(ok[s.RMSE] - half, 0) * factor,
        _rmse_high=(ok[s.RMSE] + half) * factor,
    )
    titles, panel, grouped = _dimension_groups(ok)
    ok = ok.assign(_panel=panel.to_numpy())
    labels = sorted(ok[LABEL].unique())
    ncols = min(3, len(titles))
    blocks = math.ceil(len(titles) / ncols)  # each block of panels is a bias row above an RMSE row
    sizes_measured = sorted(int(n) for n in ok[s.N].unique())
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(3.6 * ncols + 2.2, 5.6 * blocks + 0.4), dpi=_DPI, layout="constrained")
        axes = fig.subplots(2 * blocks, ncols, squeeze=False)
        for i, panel_title in enumerate(titles):
            block, col = divmod(i, ncols)
            rows = ok[ok["_panel"] == panel_title]
            medians = rows.groupby([LABEL, s.N], sort=True)[
                ["_bias", "_bias_low", "_bias_high", "_rmse", "_rmse_low", "_rmse_high"]
            ].median()
            for row, (value, low, high) in enumerate(
                (("_bias", "_bias_low", "_bias_high"), ("_rmse", "_rmse_low", "_rmse_high"))
            ):
                ax = axes[2 * block + row, col]
                for label in labels:
                    if label not in medians.index.get_level_values(0):
                        continue
                    line = medians.loc[label]
                    sizes = line.index.to_numpy(dtype=float)
                    colour = estimator_colour(label)
                    ax.plot(sizes, line[value], marker="o", markersize=3.5, color=colour, linewidth=1.6)
                    band = np.isfinite(line[low]) & np.isfinite(line[high])
                    if band.any():
                        ax.fill_between(
                            sizes[band], line[low][band], line[high][band], color=colour, alpha=0.12, linewidth=0
                        )
                _log_n_axis(ax, sizes_measured)
                ax.tick_params(which="both", labelsize=8)
                # Limits come from the lines: a wide band (few seeds) must not flatten every line.
                shown = medians[value].to_numpy(dtype=float)
                if row == 0:
                    ax.axhline(0.0, color="0.3", linewidth=0.9, linestyle="--")
                    ax.set_title(f"{panel_title} ({_tasks(rows[s.TASK_ID].nunique())})", fontsize=10)
                    shown = np.append(shown[np.isfinite(shown)], 0.0)
                    pad = 0.25 * (shown.max() - shown.min()) or 0.05
                    ax.set_ylim(shown.min() - pad, shown.max() + pad)
                    if col == 0:
                        ax.set_ylabel(f"bias ({unit})", fontsize=9)
                else:
                    ax.set_yscale("log")
                    ax.set_xlabel("n (log scale)", fontsize=9)
                    shown = shown[np.isfinite(shown) & (shown > 0)]
                    if shown.size:
                        ax.set_ylim(shown.min() / 3, shown.max() * 3)
                    if col == 0:
                        ax.set_ylabel(f"RMSE ({unit}, log scale)", fontsize=9)
        for i in range(len(titles), blocks * ncols):
            block, col = divmod(i, ncols)
            axes[2 * block, col].set_visible(False)
            axes[2 * block + 1, col].set_visible(False)
        extra = [Line2D([], [], color="0.3", linestyle="--", label="zero bias")]
        _legend(fig, labels, extra=extra)
        fig.suptitle(f"Bias and RMSE against n, median over tasks ({unit})")
        fig.savefig(path, format="png")
    caption = (
        f"Bias ({unit}) above RMSE ({unit}, log scale), both against n (log scale), one panel pair per "
        "dimension. Lines: the median over the panel's tasks with a successful estimate; bands: from the seeds, "
        "the median over the same tasks of each cell's 95 % Student-t interval of the bias, and of RMSE ± 1.96 "
        "standard errors (normal approximation, delta method); the axes follow the lines, so a wide band may run "
        "off the panel."
    )
    if grouped:
        caption += " There are more than six dimensions, so panels are ranges of dim_x + dim_y."
    return FigureOutcome(name=name, title=title, caption=caption, path=path)


# ------------------------------------------------------------------------------------------------------------
# (c) bias against dimension at a fixed n and MI level
# ------------------------------------------------------------------------------------------------------------


def _mi_level(truth: float) -> float:
    """The truth rounded to 2 significant digits (tasks at 1.0 and 1.02 nats share the level 1.0)."""
    if not (math.isfinite(truth) and truth > 0):
        return 0.0 if truth == 0 else float("nan")
    return float(f"{truth:.2g}")


def bias_vs_dimension_figure(cells: pd.DataFrame, path: str | Path, *, bits: bool = False) -> FigureOutcome:
    """Bias against the joint dimension ``dim_x + dim_y`` at one ``n`` and one MI level.

    ``n`` is the largest sample size present. Truths are rounded to 2 significant digits (the *MI level*); the
    level shown is the one whose tasks at that ``n`` span the most distinct dimensions (ties: more tasks, then
    the smaller level). Points are the median bias over the level's tasks at each dimension, error bars the
    median of their 95 % Student-t intervals from the seeds.
    """
    import numpy as np
    import seaborn as sns
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from mibench import scoring as s
    from mibench.report.summary import JOINT_DIM, LABEL

    name, title = "bias_vs_dimension.png", "Bias against dimension"
    path = Path(path)
    unit, factor = _unit(bits)
    ok = _successful(cells)
    if ok.empty:
        return _skip(name, title, path, "Not drawn: no cell has a successful estimate.")
    n = int(ok[s.N].max())
    at_n = ok[ok[s.N] == n]
    at_n = at_n.assign(_level=at_n[s.TRUE_MI].astype(float).map(_mi_level))
    at_n = at_n[np.isfinite(at_n["_level"].to_numpy(dtype=float))]
    spans = (
        at_n.groupby("_level")
        .agg(dims=(JOINT_DIM, "nunique"), tasks=(s.TASK_ID, "nunique"))
        .reset_index()
        .sort_values(["dims", "tasks", "_level"], ascending=[False, False, True])
    )
    if spans.empty or int(spans["dims"].iloc[0]) < 2:
        return _skip(
            name,
            title,
            path,
            f"Not drawn: at n = {n} no MI level has tasks in two or more dimensions, so there is no trend to show.",
        )
    level = float(spans["_level"].iloc[0])
    rows = at_n[at_n["_level"] == level]
    labels = sorted(rows[LABEL].unique())
    medians = rows.groupby([LABEL, JOINT_DIM], sort=True)[[s.BIAS, s.BIAS_CI_LOW, s.BIAS_CI_HIGH]].median() * factor
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(7.8, 4.6), dpi=_DPI, layout="constrained")
        ax = fig.subplots()
        dims = sorted(int(d) for d in rows[JOINT_DIM].unique())
        offsets = np.linspace(-0.06, 0.06, len(labels)) if len(labels) > 1 else np.zeros(1)
        for offset, label in zip(offsets, labels, strict=True):
            if label not in medians.index.get_level_values(0):
                continue
            line = medians.loc[label]
            x = line.index.to_numpy(dtype=float) * np.exp(offset)  # a small dodge on the log axis
            yerr = np.vstack(
                [
                    np.nan_to_num(line[s.BIAS] - line[s.BIAS_CI_LOW], nan=0.0),
                    np.nan_to_num(line[s.BIAS_CI_HIGH] - line[s.BIAS], nan=0.0),
                ]
            )
            ax.errorbar(
                x,
                line[s.BIAS],
                yerr=np.maximum(yerr, 0),
                color=estimator_colour(label),
                marker="o",
                markersize=4.5,
                capsize=2,
                linewidth=1.5,
            )
        ax.axhline(0.0, color="0.3", linewidth=0.9, linestyle="--")
        ax.set_xscale("log")
        ax.set_xticks(dims)
        ax.set_xticklabels([str(d) for d in dims], fontsize=8)
        ax.minorticks_off()
        ax.set_xlabel("dim_x + dim_y (log scale)", fontsize=9)
        ax.set_ylabel(f"bias ({unit})", fontsize=9)
        ax.tick_params(which="both", labelsize=8)
        _legend(fig, labels, extra=[Line2D([], [], color="0.3", linestyle="--", label="zero bias")])
        level_shown = level * factor
        fig.suptitle(f"Bias against dimension at n = {n}, true MI ≈ {level_shown:.3g} {unit}", fontsize=11)
        fig.savefig(path, format="png")
    caption = (
        f"Bias ({unit}) against dim_x + dim_y at n = {n} (the largest n) for the tasks whose true MI rounds to "
        f"{level * factor:.3g} {unit} (the MI level whose tasks span the most dimensions: {len(dims)}, "
        f"{rows[s.TASK_ID].nunique()} tasks). Points: median bias over the level's tasks at each dimension; "
        "error bars: the median of their 95 % Student-t intervals from the seeds. An estimator that did not run "
        "at that n, or failed there, has no line."
    )
    return FigureOutcome(name=name, title=title, caption=caption, path=path)


# ------------------------------------------------------------------------------------------------------------
# (d) heatmap of mean |log(estimate / truth)|
# ------------------------------------------------------------------------------------------------------------


def log_ratio_table(cells: pd.DataFrame, max_tasks: int = HEATMAP_MAX_TASKS) -> tuple[pd.DataFrame, pd.Series, int]:
    """The values of :func:`log_ratio_heatmap_figure`: mean ``|log(estimate / truth)|`` per task (rows) and
    estimator configuration (columns), each at the largest ``n`` that configuration ran on that task.

    Tasks with a truth of 0, or with no successful estimate, are left out. Of the remaining ``total`` tasks, at
    most ``max_tasks`` are kept: those with the largest spread between estimators (max - min of the values
    capped at :data:`HEATMAP_VMAX`, so an infinite value counts as that cap; with one estimator, its value; ties
    keep the first in task order). Rows are sorted by family, then task.

    Returns:
        ``(values, family of each kept task, total)``.
    """
    from mibench import scoring as s
    from mibench.report.summary import LABEL, TASK_LABEL

    pairs = _largest_n_per_pair(cells)
    pairs = pairs[pairs[s.TRUE_MI].astype(float) > 0]
    values = pairs.pivot_table(index=TASK_LABEL, columns=LABEL, values=s.MEAN_ABS_LOG_RATIO, aggfunc="first")
    values = values.dropna(how="all")
    total = len(values)
    if total > max_tasks:
        capped = values.clip(upper=HEATMAP_VMAX)
        spread = capped.max(axis=1) - capped.min(axis=1) if capped.shape[1] > 1 else capped.iloc[:, 0]
        values = values.loc[spread.sort_values(ascending=False, kind="stable").index[:max_tasks]]
    family = pairs.groupby(TASK_LABEL)[s.FAMILY].first().astype(str)
    order = sorted(values.index, key=lambda t: (family[t], t))
    return values.loc[order], family.loc[order], total


def log_ratio_heatmap_figure(cells: pd.DataFrame, path: str | Path, *, bits: bool = False) -> FigureOutcome:
    """Mean ``|log(estimate / truth)|`` per task (rows) and estimator (columns), the values of
    :func:`log_ratio_table` (at most :data:`HEATMAP_MAX_TASKS` tasks, those on which the estimators disagree most).

    Colours saturate at :data:`HEATMAP_VMAX`; an infinite value (an estimate <= 0) is written ``inf``, a
    configuration that did not run or failed on a task is blank. ``bits`` is accepted for a uniform signature: the
    ratio has no unit.
    """
    import numpy as np
    import seaborn as sns
    from matplotlib.figure import Figure

    del bits
    name, title = "log_ratio_heatmap.png", "Mean |log(estimate / truth)| per task and estimator"
    path = Path(path)
    values, family, total = log_ratio_table(cells)
    if values.empty:
        return _skip(
            name, title, path, "Not drawn: no task with a positive truth has a successful estimate to compare."
        )
    capped = values.clip(upper=HEATMAP_VMAX)
    annotations = values.map(
        lambda v: "" if not np.isfinite(v) and not np.isinf(v) else ("inf" if np.isinf(v) else f"{v:.2f}")
    )
    rows = [f"{t}  [{family[t]}]" for t in values.index]
    height = 1.6 + 0.24 * len(values)
    width = 3.2 + 0.75 * values.shape[1] + 0.055 * max(len(r) for r in rows)
    with sns.axes_style("white"):
        fig = Figure(figsize=(max(width, 6.0), max(height, 3.6)), dpi=_DPI, layout="constrained")
        ax = fig.subplots()
        sns.heatmap(
            capped.set_axis(rows, axis=0),
            ax=ax,
            vmin=0.0,
            vmax=HEATMAP_VMAX,
            cmap="rocket_r",
            annot=annotations.to_numpy(),
            fmt="",
            annot_kws={"fontsize": 7},
            linewidths=0.5,
            linecolor="white",
            cbar_kws={"label": "mean |log(estimate / truth)|", "shrink": 0.8 if len(values) < 8 else 0.5},
        )
        ax.set_facecolor("#eeeeee")
        ax.set_xlabel("estimator", fontsize=9)
        ax.set_ylabel("")
        ax.tick_params(axis="y", labelsize=7)
        ax.tick_params(axis="x", labelsize=8, rotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
        fig.suptitle("Mean |log(estimate / truth)| at each estimator's largest n", fontsize=11)
        fig.savefig(path, format="png")
    which = (
        f"all {total} tasks with a positive truth"
        if total <= HEATMAP_MAX_TASKS
        else f"the {HEATMAP_MAX_TASKS} of {total} tasks (with a positive truth) on which the estimators disagree most "
        "(largest max − min)"
    )
    caption = (
        f"Mean |log(estimate / truth)| over seeds, at each estimator's largest n, for {which}; rows sorted by "
        f"family (in brackets) and task. 0 is exact, 0.41 a factor 1.5, colours saturate at {HEATMAP_VMAX:g} "
        f"(a factor e^{HEATMAP_VMAX:g}); inf: an estimate ≤ 0; blank: not run or every seed failed."
    )
    return FigureOutcome(name=name, title=title, caption=caption, path=path)


# ------------------------------------------------------------------------------------------------------------
# (e) time against n
# ------------------------------------------------------------------------------------------------------------


def time_exponent(sizes: Sequence[float], seconds: Sequence[float]) -> float:
    """The least-squares slope ``b`` of ``log(seconds) = a + b log(n)`` over the points with positive, finite
    values (time grows as ``n^b``); NaN with fewer than two such points at distinct ``n``."""
    import numpy as np

    x = np.asarray(sizes, dtype=float)
    y = np.asarray(seconds, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if np.unique(x[keep]).size < 2:
        return float("nan")
    slope, _ = np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)
    return float(slope)


def time_vs_n_figure(cells: pd.DataFrame, path: str | Path, *, bits: bool = False) -> FigureOutcome:
    """Median seconds per job against ``n``, log-log, with each estimator's fitted exponent in the legend.

    For each estimator and ``n``: the median over tasks of the cell's median seconds per successful job. The
    exponent is :func:`time_exponent` of those points. ``bits`` is accepted for a uniform signature.
    """
    import seaborn as sns
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from mibench import scoring as s
    from mibench.report.summary import LABEL

    del bits
    name, title = "time_vs_n.png", "Time against n"
    path = Path(path)
    ok = _successful(cells)
    ok = ok[ok[s.MEDIAN_SECONDS].astype(float) > 0]
    if ok[s.N].nunique() < 2:
        reason = (
            "no successful job recorded a time"
            if ok.empty
            else f"only one sample size (n = {int(ok[s.N].iloc[0])}) has timed jobs"
        )
        return _skip(name, title, path, f"Not drawn: {reason}; an exponent needs at least two sizes.")
    medians = ok.groupby([LABEL, s.N], sort=True)[s.MEDIAN_SECONDS].median()
    labels = sorted(ok[LABEL].unique())
    handles = []
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(8.2, 4.8), dpi=_DPI, layout="constrained")
        ax = fig.subplots()
        for label in labels:
            line = medians.loc[label]
            sizes = line.index.to_numpy(dtype=float)
            exponent = time_exponent(sizes, line.to_numpy(dtype=float))
            colour = estimator_colour(label)
            ax.plot(sizes, line.to_numpy(dtype=float), marker="o", markersize=4, color=colour, linewidth=1.6)
            shown = "n/a" if not math.isfinite(exponent) else f"{exponent:.2f}"
            handles.append(Line2D([], [], color=colour, marker="o", label=f"{label}  (slope {shown})"))
        _log_n_axis(ax, sorted(int(n) for n in ok[s.N].unique()))
        ax.set_yscale("log")
        ax.set_xlabel("n (log scale)", fontsize=9)
        ax.set_ylabel("median seconds per job (log scale)", fontsize=9)
        ax.tick_params(which="both", labelsize=8)
        fig.legend(
            handles=handles,
            loc="outside right upper",
            title="estimator (time ∝ n^slope)",
            fontsize=9,
            frameon=False,
        )
        fig.suptitle("Time per job against n (median over tasks), log-log", fontsize=11)
        fig.savefig(path, format="png")
    caption = (
        "Median seconds per job against n, log-log: for each estimator and n, the median over tasks of the cell's "
        "median time per successful job. The legend's slope b is the least-squares fit of log(seconds) = a + "
        "b log(n) to those points (time grows as n^b). Times depend on the machine (see the environment section)."
    )
    return FigureOutcome(name=name, title=title, caption=caption, path=path)


# ------------------------------------------------------------------------------------------------------------
# All of them
# ------------------------------------------------------------------------------------------------------------


def write_figures(cells: pd.DataFrame, out_dir: str | Path, *, bits: bool = False) -> tuple[FigureOutcome, ...]:
    """Draw every score figure of a report into ``out_dir`` (created if needed), in the order of
    :data:`FIGURE_FILES`; each one that the data cannot support is skipped with its reason. (Figures for particular
    task families, such as :func:`mibench.report.latent_figure.latent_figures`, are added by the report.)"""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    drawers = (
        estimate_vs_truth_figure,
        bias_rmse_vs_n_figure,
        bias_vs_dimension_figure,
        log_ratio_heatmap_figure,
        time_vs_n_figure,
    )
    return tuple(draw(cells, out_dir / name, bits=bits) for draw, name in zip(drawers, FIGURE_FILES, strict=True))

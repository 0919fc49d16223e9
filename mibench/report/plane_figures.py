"""Information planes side by side: the truth's plane and each estimator's, coloured by epoch; and a layer's
compression beside its clustering.

Drawn on a bare :class:`matplotlib.figure.Figure` (Agg canvas, never ``pyplot``), seaborn styling inside a
context manager, as :mod:`mibench.report.figures`.

:func:`plot_information_planes`: one row of panels per activation, one column per source (the truth -- ``exact``,
or ``truth`` for a noisy study's Monte-Carlo truth -- first, then the estimators in the order of the table). In each
panel: x = ``I(X; T)`` (bits), y = ``I(T; Y)`` (bits), one line per layer (the mean over seeds at each epoch; a
layer's marker is shown in the legend), its points coloured by epoch on a logarithmic scale (epoch 0 drawn at the
left end of the colour bar). Epochs where an estimate failed for some seeds average the remaining seeds; a panel
with nothing valid says so.

:func:`plot_clustering`: one column per layer and, per activation, three rows against the epoch (symmetric-log axis,
so epoch 0 is shown), each the mean over seeds: the truth's ``I(X; T)`` (bits), the layer's within/between-class
distance ratio ``W/B`` and the within-class distance in units of the noise variance, ``log10 W/b^2``
(:mod:`mibench.networks.clustering`); a dotted line marks the epoch of the largest ``I(X; T)``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mibench.report.figures import MARKERS, mark_empty_panel

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["plot_clustering", "plot_information_planes"]

EXACT = "exact"
#: The truth's sources, drawn first (the exact planes; a noisy study's Monte-Carlo truth).
TRUTH_SOURCES = (EXACT, "truth")


def plot_information_planes(
    planes: pd.DataFrame,
    path: str | Path,
    *,
    sources: list[str] | None = None,
    activations: list[str] | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    share_axes: bool = False,
) -> Path:
    """Draw the information planes of a study table and save them as a PNG; returns the path.

    Args:
        planes: the planes table (:mod:`mibench.report.information_plane`): ``activation, seed, layer, epoch, source,
            i_xt_bits, i_ty_bits``.
        path: the PNG to write (parent folders are created).
        sources: the panels' sources in order (default: the truth then the others as they appear).
        activations: the rows (default: tanh first, then the others).
        title: a figure title.
        labels: the panel title of a source (default: the source's name), e.g. to mark white-box estimators.
        share_axes: every panel with the same axes, from 0 to the largest value in the table (so an estimator's
            panel reads against the truth's); default: each panel fitted to its own points.

    Raises:
        ValueError: the table is empty or lacks a column.
    """
    import numpy as np
    import seaborn as sns
    from matplotlib import colors
    from matplotlib.cm import ScalarMappable
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    needed = ["activation", "seed", "layer", "epoch", "source", "i_xt_bits", "i_ty_bits"]
    missing = [c for c in needed if c not in planes.columns]
    if missing:
        raise ValueError(f"planes table lacks columns {missing}")
    if planes.empty:
        raise ValueError("planes table is empty: nothing to plot")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    if sources is None:
        seen = list(dict.fromkeys(planes["source"].tolist()))
        sources = [s for s in TRUTH_SOURCES if s in seen] + [s for s in seen if s not in TRUTH_SOURCES]
    labels = dict(labels or {})
    top_xt = max(float(np.nanmax(planes["i_xt_bits"].to_numpy(dtype=float), initial=0.0)), 1e-3)
    top_ty = max(float(np.nanmax(planes["i_ty_bits"].to_numpy(dtype=float), initial=0.0)), 1e-3)
    if activations is None:
        activations = sorted(planes["activation"].unique(), key=lambda a: (a != "tanh", a))
    layers = sorted(int(v) for v in planes["layer"].unique())
    n_layers = max(layers)
    epochs = planes["epoch"].to_numpy(dtype=float)
    norm = colors.LogNorm(vmin=1.0, vmax=max(float(epochs.max()), 2.0))
    cmap = "viridis"

    means = (
        planes.assign(i_xt_bits=planes["i_xt_bits"].astype(float), i_ty_bits=planes["i_ty_bits"].astype(float))
        .groupby(["activation", "source", "layer", "epoch"])[["i_xt_bits", "i_ty_bits"]]
        .mean()
        .reset_index()
    )

    nrows, ncols = len(activations), len(sources)
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(3.3 * ncols + 1.4, 3.0 * nrows + 0.9), dpi=110, layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for r, activation in enumerate(activations):
            for c, source in enumerate(sources):
                ax = axes[r, c]
                sel = means[(means["activation"] == activation) & (means["source"] == source)]
                drawn = False
                for layer in layers:
                    one = sel[sel["layer"] == layer].sort_values("epoch")
                    one = one[np.isfinite(one["i_xt_bits"]) & np.isfinite(one["i_ty_bits"])]
                    if one.empty:
                        continue
                    drawn = True
                    ax.plot(one["i_xt_bits"], one["i_ty_bits"], color="0.6", linewidth=0.8, zorder=1)
                    ax.scatter(
                        one["i_xt_bits"],
                        one["i_ty_bits"],
                        c=np.maximum(one["epoch"].to_numpy(dtype=float), 1.0),
                        cmap=cmap,
                        norm=norm,
                        marker=MARKERS[(layer - 1) % len(MARKERS)],
                        s=16,
                        edgecolors="none",
                        zorder=2,
                    )
                if not drawn:
                    mark_empty_panel(ax)
                ax.set_title(f"{activation}: {labels.get(source, source)}", fontsize=9)
                if share_axes:
                    ax.set_xlim(-0.02 * top_xt, top_xt * 1.04)
                    ax.set_ylim(-0.02 * top_ty, top_ty * 1.06)
                if r == nrows - 1:
                    ax.set_xlabel("I(X;T) (bits)")
                if c == 0:
                    ax.set_ylabel("I(T;Y) (bits)")
        handles = [
            Line2D(
                [],
                [],
                marker=MARKERS[(layer - 1) % len(MARKERS)],
                color="0.3",
                linestyle="none",
                label="output" if layer == n_layers else f"T{layer}",
            )
            for layer in layers
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 8), fontsize=9)
        mappable = ScalarMappable(norm=norm, cmap=cmap)
        bar = fig.colorbar(mappable, ax=axes, location="right", shrink=0.85, pad=0.01)
        bar.set_label("epoch (0 shown as 1)")
        if title:
            fig.suptitle(title, fontsize=11)
        fig.savefig(path, format="png")
    return path


def plot_clustering(
    planes: pd.DataFrame,
    clusters: pd.DataFrame,
    path: str | Path,
    *,
    activations: list[str] | None = None,
    title: str | None = None,
) -> Path:
    """Draw each layer's truth ``I(X; T)`` above its clustering measures over epochs (see the module docstring) and
    save the PNG; returns the path.

    Three rows per activation, one column per layer, each panel one quantity against the epoch (mean over seeds):
    the truth's ``I(X; T)`` (bits, markers at its epochs), the within/between-class ratio ``W/B`` and, when the table
    has it, ``log10 W/b^2`` (the within-class mean squared distance in units of the noise variance). A dotted line
    marks the epoch of the largest ``I(X; T)``, from which compression would start.

    Args:
        planes: a planes table with truth rows (``source`` ``truth`` or ``exact``).
        clusters: :func:`mibench.networks.clustering.clustering_table` (``activation, seed, layer, epoch, ratio,
            within_over_noise``).
        path: the PNG to write (parent folders are created).
        activations: the rows (default: tanh first, then the others).
        title: a figure title.

    Raises:
        ValueError: no truth rows.
    """
    import numpy as np
    import seaborn as sns
    from matplotlib.figure import Figure

    truth = planes[planes["source"].isin(TRUTH_SOURCES)]
    if truth.empty:
        raise ValueError("the planes table has no truth rows: nothing to plot")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if activations is None:
        activations = sorted(truth["activation"].unique(), key=lambda a: (a != "tanh", a))
    layers = sorted(int(v) for v in truth["layer"].unique())
    n_layers = max(layers)
    xt = truth.groupby(["activation", "layer", "epoch"])["i_xt_bits"].mean()
    measures = [("ratio", "W/B", "#c0504d", False)]
    if "within_over_noise" in clusters.columns and np.isfinite(clusters["within_over_noise"].to_numpy(float)).any():
        measures.append(("within_over_noise", "log10 W/b\u00b2", "#7f6000", True))
    means = {column: clusters.groupby(["activation", "layer", "epoch"])[column].mean() for column, *_ in measures}
    per = 1 + len(measures)
    nrows, ncols = per * len(activations), len(layers)
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(2.3 * ncols + 1.0, 1.45 * nrows + 0.9), dpi=110, layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
        for a, activation in enumerate(activations):
            for c, layer in enumerate(layers):
                column_axes = axes[per * a : per * (a + 1), c]
                peak = None
                key = (activation, layer)
                if key in xt.index.droplevel(2):
                    one = xt.loc[key].sort_index()
                    column_axes[0].plot(one.index, one.to_numpy(), color="#1f4e79", marker="o", markersize=3.5)
                    peak = float(one.idxmax())
                for ax, (column, _, colour, log) in zip(column_axes[1:], measures, strict=True):
                    if key in means[column].index.droplevel(2):
                        one = means[column].loc[key].sort_index()
                        values = one.to_numpy(dtype=float)
                        if log:  # plain numbers on the axis: log10 of a positive measure (0 left out)
                            with np.errstate(divide="ignore", invalid="ignore"):
                                values = np.where(values > 0, np.log10(values), np.nan)
                        ax.plot(one.index, values, color=colour, linewidth=1.2)
                for ax, span in zip(column_axes, (0.1, 0.02, 0.02), strict=False):
                    _at_least(ax, span)  # a flat curve shows as flat, not as rounding noise blown up
                    ax.set_xscale("symlog", linthresh=1.0)
                    ax.tick_params(labelsize=7)
                    if peak is not None:
                        ax.axvline(peak, color="0.4", linestyle=":", linewidth=1.0)
                name = "output" if layer == n_layers else f"T{layer}"
                column_axes[0].set_title(f"{activation} {name}", fontsize=9)
                if c == 0:
                    column_axes[0].set_ylabel(f"{activation}\nI(X;T) truth (bits)", fontsize=8)
                    for ax, (_, label, _, _) in zip(column_axes[1:], measures, strict=True):
                        ax.set_ylabel(f"{activation}\n{label}", fontsize=8)
        for ax in axes[-1]:
            ax.set_xlabel("epoch", fontsize=8)
        caption = (
            "I(X;T): the truth (Monte Carlo); W/B: mean squared distance between two inputs of the same class over two "
            "of different classes"
            + ("; W/b\u00b2: the same-class mean squared distance over the noise variance" if len(measures) > 1 else "")
            + "; dotted: the epoch of the largest I(X;T)"
        )
        fig.supxlabel(textwrap.fill(caption, width=max(60, int(16 * fig.get_figwidth()))), fontsize=8)
        if title:
            fig.suptitle(textwrap.fill(title, width=max(40, int(11 * fig.get_figwidth()))), fontsize=11)
        fig.savefig(path, format="png")
    return path


def _at_least(ax: Any, span: float) -> None:
    """Widen the y range of ``ax`` to at least ``span`` around its middle, without an offset on the axis."""
    low, high = ax.get_ylim()
    if high - low < span:
        middle = 0.5 * (low + high)
        ax.set_ylim(middle - span / 2, middle + span / 2)
    ax.ticklabel_format(axis="y", useOffset=False)

"""Information planes side by side: the exact plane and each estimator's, coloured by epoch.

Drawn on a bare :class:`matplotlib.figure.Figure` (Agg canvas, never ``pyplot``), seaborn styling inside a
context manager, as :mod:`mibench.report.figures`. One row of panels per activation, one column per source
(``exact`` first, then the estimators in the order of the table). In each panel: x = ``I(X; T)`` (bits),
y = ``I(T; Y)`` (bits), one line per layer (the mean over seeds at each epoch; a layer's marker is shown in the
legend), its points coloured by epoch on a logarithmic scale (epoch 0 drawn at the left end of the colour bar).
Epochs where an estimate failed for some seeds average the remaining seeds; a panel with nothing valid says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mibench.report.figures import MARKERS, mark_empty_panel

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["plot_information_planes"]

EXACT = "exact"


def plot_information_planes(
    planes: pd.DataFrame,
    path: str | Path,
    *,
    sources: list[str] | None = None,
    activations: list[str] | None = None,
    title: str | None = None,
) -> Path:
    """Draw the information planes of a study table and save them as a PNG; returns the path.

    Args:
        planes: the planes table (:mod:`mibench.report.information_plane`): ``activation, seed, layer, epoch, source,
            i_xt_bits, i_ty_bits``.
        path: the PNG to write (parent folders are created).
        sources: the panels' sources in order (default: ``exact`` then the others as they appear).
        activations: the rows (default: tanh first, then the others).
        title: a figure title.

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
        sources = ([EXACT] if EXACT in seen else []) + [s for s in seen if s != EXACT]
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
                ax.set_title(f"{source} ({activation})", fontsize=10)
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

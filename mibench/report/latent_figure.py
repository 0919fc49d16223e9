"""Error against the true MI on rendered high-dimensional tasks beside the same estimators on their latents.

Every task of the high-dimensional families (:mod:`mibench.synthetic.highdim`) renders the sample of a
low-dimensional latent task (:func:`~mibench.synthetic.highdim.latent_task`) through injective maps, so both have
the same MI, and for one seed the latent sample is exactly what the rendered one was made from. An estimator's error
on the latent task is therefore what it could reach if it found the latents: the reference for the compressing
estimators, and the measure of what the ambient dimensions cost the others (Butakov et al., ICLR 2024, compare
compression then k-NN estimation with the raw estimators in the same way).

The figure has one row per family and one panel per rendered shape (image width, or latent and ambient dimension),
plus a last panel with the estimators on the family's latent task; every panel of a row shares its axes, so the
distance of a line from the latent panel's is what rendering cost that estimator. It is drawn only when the cells
contain a rendered task together with its latent task (the ``highdim`` suite has both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from mibench.report.figures import (
    FigureOutcome,
    _legend,
    _skip,
    _unit,
    estimator_colour,
    mark_empty_panel,
    plot_clipped,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["LATENT_FIGURE_FILE", "RenderedPair", "latent_figures", "latent_pairs", "rendered_vs_latent_figure"]

#: The figure's file name in a report folder.
LATENT_FIGURE_FILE = "error_vs_mi_rendered_and_latent.png"

_MI_SUFFIX = re.compile(r"-mi[^-]+$")


@dataclass(frozen=True)
class RenderedPair:
    """A rendered high-dimensional task of the cells and its latent task (also in the cells)."""

    task_id: str
    family: str
    shape: str
    latent_task_id: str


@cache
def _latent_id(task_id: str) -> str | None:
    from mibench.synthetic.highdim import latent_task

    try:
        return latent_task(task_id).id
    except ValueError:
        return None


def latent_pairs(cells: pd.DataFrame) -> list[RenderedPair]:
    """The rendered tasks in ``cells`` whose latent task is in ``cells`` too, sorted by family and shape."""
    from mibench import scoring as s

    task_ids = set(cells[s.TASK_ID].astype(str))
    families = dict(zip(cells[s.TASK_ID].astype(str), cells[s.FAMILY].astype(str), strict=False))
    pairs = []
    for task_id in sorted(task_ids):
        latent = _latent_id(task_id)
        if latent is not None and latent in task_ids:
            pairs.append(RenderedPair(task_id, families[task_id], _MI_SUFFIX.sub("", task_id), latent))
    return sorted(pairs, key=lambda p: (p.family, _shape_order(p.shape), p.task_id))


def _shape_order(shape: str) -> tuple[int, str]:
    """Smaller shapes first: the number of pixels or ambient dimensions."""
    numbers = [int(x) for x in re.findall(r"\d+", shape)]
    return (numbers[-1] if numbers else 0, shape)


def _errors(cells: pd.DataFrame, task_ids: list[str]) -> pd.DataFrame:
    """Per (task, estimator label): truth, mean error and SD over seeds at the largest n, finite means only."""
    import numpy as np

    from mibench import scoring as s
    from mibench.report.figures import _largest_n_per_pair, _successful
    from mibench.report.summary import LABEL

    rows = _successful(_largest_n_per_pair(cells[cells[s.TASK_ID].astype(str).isin(task_ids)]))
    out = rows[[s.TASK_ID, LABEL, s.TRUE_MI]].copy()
    out["error"] = rows[s.MEAN].to_numpy(dtype=float) - rows[s.TRUE_MI].to_numpy(dtype=float)
    out["sd"] = np.nan_to_num(rows[s.SD].to_numpy(dtype=float), nan=0.0, posinf=0.0)
    return out.sort_values([LABEL, s.TRUE_MI])


def rendered_vs_latent_figure(cells: pd.DataFrame, path: str | Path, *, bits: bool = False) -> FigureOutcome:
    """Mean error (estimate - truth, ± 1 SD over seeds) against the true MI: one row per high-dimensional family,
    one panel per rendered shape, and a last panel with the estimators on the family's latent task.

    Each estimator configuration keeps its colour (:func:`~mibench.report.figures.estimator_colour`); an error
    beyond the panel's range is an open triangle at its edge. The y range is shared by every panel: from a little
    below ``-max truth`` (an estimate of 0) to half the largest truth above 0.
    """
    import seaborn as sns
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from mibench import scoring as s
    from mibench.report.summary import LABEL

    name, title = LATENT_FIGURE_FILE, "Error vs true MI on the rendered tasks and on their latents"
    path = Path(path)
    pairs = latent_pairs(cells)
    if not pairs:
        return _skip(name, title, path, "No rendered high-dimensional task is here together with its latent task.")
    unit, factor = _unit(bits)
    families = sorted({p.family for p in pairs})
    shapes = {f: list(dict.fromkeys(p.shape for p in pairs if p.family == f)) for f in families}
    ncols = max(len(v) for v in shapes.values()) + 1
    every_task = [p.task_id for p in pairs] + [p.latent_task_id for p in pairs]
    errors = _errors(cells, sorted(set(every_task)))
    labels = sorted(errors[LABEL].unique())
    top = float(cells[cells[s.TASK_ID].astype(str).isin(every_task)][s.TRUE_MI].max()) * factor
    low, high = -1.08 * top - 0.3, 0.5 * top + 0.3
    clipped_any = False
    with sns.axes_style("whitegrid"):
        fig = Figure(figsize=(3.2 * ncols + 2.8, 2.9 * len(families) + 0.9), dpi=110, layout="constrained")
        axes = fig.subplots(len(families), ncols, squeeze=False, sharey=True)
        for row, family in enumerate(families):
            panels = [
                (shape, [p.task_id for p in pairs if p.shape == shape], f"{shape} (raw)") for shape in shapes[family]
            ]
            latents = sorted({p.latent_task_id for p in pairs if p.family == family})
            panels.append(("latents", latents, f"{family}: on the latents"))
            for col in range(ncols):
                ax = axes[row, col]
                if col >= len(panels):
                    ax.set_visible(False)
                    continue
                _, task_ids, panel_title = panels[col]
                shown = errors[errors[s.TASK_ID].astype(str).isin(task_ids)]
                ax.axhline(0.0, color="0.45", linestyle="--", linewidth=1.0, zorder=1)
                if shown.empty:
                    mark_empty_panel(ax)
                for i, label in enumerate(labels):
                    mine = shown[shown[LABEL] == label]
                    if mine.empty:
                        continue
                    colour = estimator_colour(label)
                    truth = mine[s.TRUE_MI].to_numpy(dtype=float) * factor
                    error = mine["error"].to_numpy(dtype=float) * factor
                    sd = mine["sd"].to_numpy(dtype=float) * factor
                    dodge = (i - (len(labels) - 1) / 2) * 0.012 * top
                    inside = (error >= low) & (error <= high)
                    ax.plot(truth[inside] + dodge, error[inside], color=colour, linewidth=1.2, alpha=0.8)
                    clipped_any |= plot_clipped(
                        ax, truth + dodge, error, sd, colour, low, high, markersize=3.5, capsize=1.5
                    )
                ax.set_ylim(low, high)
                ax.set_xlim(-0.05 * top - 0.2, 1.05 * top + 0.2)
                ax.set_title(panel_title, fontsize=9.5)
                ax.set_xlabel(f"true MI ({unit})", fontsize=8.5)
                if col == 0:
                    ax.set_ylabel(f"mean error ({unit})", fontsize=8.5)
                ax.tick_params(labelsize=8)
        extra = [Line2D([], [], color="0.45", linestyle="--", label="no error")]
        if clipped_any:
            extra.append(
                Line2D([], [], marker="v", markerfacecolor="none", color="0.3", linestyle="none", label="off the panel")
            )
        _legend(fig, labels, extra=extra)
        fig.suptitle(f"Mean error ± SD vs true MI ({unit}): rendered tasks, and the same estimators on their latents")
        fig.savefig(path, format="png")
    caption = (
        f"Mean estimate minus truth ({unit}; error bars ± 1 SD over seeds) at the largest n, against the true MI. "
        "One row per high-dimensional family; the last panel of a row holds the same estimators on the latent "
        "task the row's tasks render (the same samples before rendering), which is what a perfect compression "
        "could give them. Errors beyond the shared range are open triangles at its edge; an estimator missing "
        "from a panel failed or refused every job there (see the failures)."
    )
    return FigureOutcome(name=name, title=title, caption=caption, path=path)


def latent_figures(cells: pd.DataFrame, out_dir: str | Path, *, bits: bool = False) -> tuple[FigureOutcome, ...]:
    """The report's figure of rendered tasks beside their latents, when ``cells`` hold such pairs (one outcome);
    otherwise nothing, and a stale figure from an earlier report in ``out_dir`` is removed."""
    path = Path(out_dir) / LATENT_FIGURE_FILE
    if not latent_pairs(cells):
        path.unlink(missing_ok=True)
        return ()
    return (rendered_vs_latent_figure(cells, path, bits=bits),)

"""The figure of errors on rendered high-dimensional tasks beside their latent tasks: which tasks pair up, that it is
drawn with every row and panel, and that reports without such pairs do not get it."""

from __future__ import annotations

from mibench.report.figures import FIGURE_FILES, write_figures
from mibench.report.latent_figure import (
    LATENT_FIGURE_FILE,
    latent_figures,
    latent_pairs,
    rendered_vs_latent_figure,
)
from mibench.report.summary import cell_table
from mibench.scoring import score
from tests.report.test_figures import PNG_SIGNATURE, _results

# Rendered tasks and their latent tasks: (family, truth, dimension per side). The 32x32 bumps of MI 5 has no
# latent twin here (the twin of MI 5 is missing), so it does not pair.
RENDERED = {
    "bumps-16-mi1": ("bumps", 1.0, 256),
    "bumps-16-mi10": ("bumps", 10.0, 256),
    "bumps-32-mi1": ("bumps", 1.0, 1024),
    "bumps-32-mi5": ("bumps", 5.0, 1024),
    "embedded-k5-d128-mi1": ("embedded", 1.0, 128),
}
LATENTS = {
    "normal_cdf-gaussian-pairs-2x2-mi1": ("gaussian-pairs", 1.0, 2),
    "normal_cdf-gaussian-pairs-2x2-mi10": ("gaussian-pairs", 10.0, 2),
    "gaussian-pairs-5x5-mi1": ("gaussian-pairs", 1.0, 5),
}
OTHER = {"gaussian-pairs-1x1-rho0.75": ("gaussian-pairs", 0.4, 1)}


def _cells(tasks):
    # KL far below the truth on every task (as in hundreds of dimensions): drawn as triangles at the panel's edge.
    return cell_table(score(_results(tasks, {"ksg": -0.1, "kl": -60.0, "compressed": -0.2}, (5000,))))


def test_a_rendered_task_pairs_with_its_latent_task_only_when_both_are_there() -> None:
    pairs = latent_pairs(_cells({**RENDERED, **LATENTS, **OTHER}))
    assert [(p.task_id, p.shape, p.latent_task_id) for p in pairs] == [
        ("bumps-16-mi1", "bumps-16", "normal_cdf-gaussian-pairs-2x2-mi1"),
        ("bumps-16-mi10", "bumps-16", "normal_cdf-gaussian-pairs-2x2-mi10"),
        ("bumps-32-mi1", "bumps-32", "normal_cdf-gaussian-pairs-2x2-mi1"),
        ("embedded-k5-d128-mi1", "embedded-k5-d128", "gaussian-pairs-5x5-mi1"),
    ]
    assert latent_pairs(_cells({**RENDERED, **OTHER})) == []


def test_the_figure_is_drawn_for_rendered_tasks_with_their_latents(tmp_path) -> None:
    outcome = rendered_vs_latent_figure(_cells({**RENDERED, **LATENTS}), tmp_path / LATENT_FIGURE_FILE)
    assert outcome.skipped is None and outcome.path.read_bytes().startswith(PNG_SIGNATURE)
    assert "latent" in outcome.caption and "triangles" in outcome.caption


def test_the_report_adds_it_only_where_it_applies(tmp_path):
    with_pairs = latent_figures(_cells({**RENDERED, **LATENTS}), tmp_path)
    assert [o.name for o in with_pairs] == [LATENT_FIGURE_FILE] and (tmp_path / LATENT_FIGURE_FILE).exists()
    assert [o.name for o in write_figures(_cells({**RENDERED, **LATENTS}), tmp_path)] == list(FIGURE_FILES)
    # A later report into the same folder without such tasks removes the stale figure and does not mention it.
    assert latent_figures(_cells(OTHER), tmp_path) == ()
    assert not (tmp_path / LATENT_FIGURE_FILE).exists()


def test_without_pairs_the_figure_says_why(tmp_path) -> None:
    outcome = rendered_vs_latent_figure(_cells(RENDERED), tmp_path / LATENT_FIGURE_FILE)
    assert outcome.path is None and "latent task" in outcome.skipped

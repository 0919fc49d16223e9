"""High-dimensional tasks: ids that round-trip, shapes and determinism, the latent task drawing exactly the rendered
latents, injectivity by recovering the latents from samples of every family, the truth by its formula and by an
independent estimate, and the two suites that run them.

Tolerances: recovered latents within 1e-9 (the inverses are exact up to rounding; for the images the Gaussian
latents come back through the inverse normal CDF, whose conditioning near 0 and 1 allows 1e-7). The Gaussian
estimator on recovered latents must be within 5 of its standard errors of the truth: for m pairs of correlation
rho its asymptotic standard error is sqrt(m rho^2 / n) (delta method on the sample correlations), and its upward
bias at most m^2 / (2n) (under independence 2n times the estimate is chi-square with m^2 degrees of freedom).
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from scipy import special

from mibench.estimators.gaussian import GaussianMI
from mibench.suites import HIGHDIM_RENDERED_TASKS, get_suite
from mibench.synthetic import catalogue, get_task, list_tasks
from mibench.synthetic.embeddings import embedding_parts
from mibench.synthetic.highdim import (
    FAMILIES,
    MI_LEVELS,
    STANDARD_SLICE,
    bumps_task,
    catalogue_tasks,
    embedded_task,
    from_id,
    is_highdim,
    latent_task,
    recover_latents,
    rectangles_task,
    render_maps,
)

HIGHDIM = [task for task in catalogue().values() if is_highdim(task)]
#: Small members of every family (cheap to sample at large n) and one catalogue-sized member of each.
SMALL = ["bumps-8-mi2.5", "rectangles-8-mi10", "embedded-k3-d40-mi7.5", "embedded-linear-k10-d30-mi1"]
LARGE = ["bumps-32-mi10", "rectangles-32-mi7.5", "embedded-k5-d1000-mi5", "embedded-linear-k5-d1000-mi0"]


def test_catalogue_holds_every_family_at_every_level():
    ids = {task.id for task in HIGHDIM}
    assert {task.id for task in catalogue_tasks()} == ids
    expected = {
        f"{shape}-mi{format(mi, 'g')}"
        for shape in (
            "bumps-16",
            "bumps-32",
            "rectangles-16",
            "rectangles-32",
            "embedded-k5-d128",
            "embedded-k5-d1000",
            "embedded-linear-k5-d128",
            "embedded-linear-k5-d1000",
        )
        for mi in MI_LEVELS
    }
    assert ids == expected
    assert sorted({task.family for task in HIGHDIM}) == sorted(FAMILIES)
    assert set(STANDARD_SLICE) <= ids


@pytest.mark.parametrize("task", HIGHDIM, ids=lambda t: t.id)
def test_catalogue_ids_round_trip_and_truth_is_the_latent_construction(task):
    rebuilt = from_id(task.id)
    assert rebuilt is not None and get_task(task.id) is task
    assert (rebuilt.id, rebuilt.version, rebuilt.mi, rebuilt.dim_x, rebuilt.dim_y) == (
        task.id,
        task.version,
        task.mi,
        task.dim_x,
        task.dim_y,
    )
    assert task.truth == "closed form" and task.mi_stderr == 0 and not task.discrete
    pairs, rho = task.params["n_pairs"], task.params["rho"]
    # I = -m/2 log(1 - rho^2), the m independent pairs' closed form.
    assert -0.5 * pairs * math.log1p(-(rho**2)) == pytest.approx(task.mi, rel=1e-9, abs=1e-12)
    assert task.mi == task.params["mi"] == latent_task(task).mi
    assert task.params["latent_task"] == latent_task(task).id


@pytest.mark.parametrize(
    ("task_id", "dims", "latent_id"),
    [
        ("bumps-16-mi2.5", (256, 256), "normal_cdf-gaussian-pairs-2x2-mi2.5"),
        ("bumps-32-mi0", (1024, 1024), "normal_cdf-gaussian-pairs-2x2-mi0"),
        ("rectangles-32-mi5", (1024, 1024), "normal_cdf-gaussian-pairs-4x4-mi5"),
        ("rectangles-16-mi0.3", (256, 256), "normal_cdf-gaussian-pairs-4x4-mi0.3"),
        ("embedded-k5-d1000-mi7.5", (1000, 1000), "gaussian-pairs-5x5-mi7.5"),
        ("embedded-linear-k1-d3-mi10", (3, 3), "gaussian-pairs-1x1-mi10"),
        ("embedded-k10-d10-mi1", (10, 10), "gaussian-pairs-10x10-mi1"),
    ],
)
def test_parametric_ids(task_id, dims, latent_id):
    task = get_task(task_id)
    assert task.id == task_id and (task.dim_x, task.dim_y) == dims
    assert latent_task(task_id).id == latent_id == task.params["latent_task"]
    assert get_task(latent_id).id == latent_id


@pytest.mark.parametrize(
    "task_id",
    [
        "bumps-16-mi2.50",  # not canonical
        "bumps-016-mi1",
        "bumps-1-mi1",  # width below 2
        "rectangles-3-mi1",  # no room for 2-pixel sides
        "bumps-16-mi-1",
        "embedded-k11-d100-mi1",  # k above 10
        "embedded-k5-d4-mi1",  # D below k
        "embedded-k0-d4-mi1",
        "embedded-linear-k5-mi1",
        "bumps-16",
    ],
)
def test_malformed_ids_are_not_tasks(task_id):
    assert from_id(task_id) is None


def test_builders_check_their_arguments():
    with pytest.raises(ValueError, match="mi"):
        bumps_task(16, -1.0)
    with pytest.raises(ValueError, match="latent_dim"):
        embedded_task(11, 100, 1.0)
    with pytest.raises(ValueError, match="width"):
        rectangles_task(3, 1.0)
    with pytest.raises(ValueError, match="not a task of the families"):
        latent_task("gaussian-pairs-2x2-mi1")


def test_building_draws_no_matrix():
    # The catalogue is rebuilt by every worker: the embeddings' Q is drawn when a task first samples, not before.
    embedding_parts.cache_clear()
    embedded_task(5, 1000, 2.5)
    list_tasks(family="embedded")
    assert embedding_parts.cache_info().currsize == 0


@pytest.mark.parametrize("task_id", SMALL + LARGE)
def test_samples_are_deterministic_float64_of_the_declared_shape(task_id):
    task = get_task(task_id)
    x, y = task.sample(50, seed=11)
    assert x.shape == (50, task.dim_x) and y.shape == (50, task.dim_y)
    assert x.dtype == np.float64 and y.dtype == np.float64 and np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    x2, y2 = task.sample(50, seed=11)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    x3, _ = task.sample(50, seed=12)
    assert not np.array_equal(x, x3)
    restored = pickle.loads(pickle.dumps(task))
    assert np.array_equal(restored.sample(50, seed=11)[1], y)


@pytest.mark.parametrize("task_id", SMALL + LARGE)
def test_latent_task_renders_to_the_task_and_latents_are_recovered(task_id):
    task = get_task(task_id)
    n, seed = 300, 7
    x, y = task.sample(n, seed)
    u, v = latent_task(task).sample(n, seed)
    fx, fy = render_maps(task)
    # The same seed draws the same latents: rendering them gives the task's sample bit for bit.
    assert np.array_equal(fx(u), x) and np.array_equal(fy(v), y)
    # Injectivity, numerically: the latents come back from the rendered sample.
    ux, uy = recover_latents(task, x, y)
    assert np.max(np.abs(ux - u)) < 1e-9 and np.max(np.abs(uy - v)) < 1e-9


def _gaussian_latents(task_id: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The Gaussian latents of a sample, recovered from the rendered values only."""
    x, y = get_task(task_id).sample(n, seed)
    ux, uy = recover_latents(task_id, x, y)
    if task_id.startswith(("bumps", "rectangles")):
        ux, uy = special.ndtri(ux), special.ndtri(uy)  # the inverse of the normal CDF
    return ux, uy


@pytest.mark.parametrize("task_id", SMALL)
def test_gaussian_estimate_on_recovered_latents_matches_the_truth(task_id):
    task = get_task(task_id)
    n = 20_000
    zx, zy = _gaussian_latents(task_id, n, seed=3)
    # The recovered Gaussian latents are the latent Gaussian pairs of the construction.
    base = get_task(f"gaussian-pairs-{zx.shape[1]}x{zy.shape[1]}-mi{task_id.rsplit('-mi', 1)[1]}")
    gx, gy = base.sample(n, seed=3)
    assert np.max(np.abs(zx - gx)) < 1e-7 and np.max(np.abs(zy - gy)) < 1e-7
    pairs, rho = task.params["n_pairs"], task.params["rho"]
    stderr = math.sqrt(pairs * rho**2 / n)
    bias = pairs**2 / (2 * n)
    estimate = GaussianMI().estimate(zx, zy)
    assert abs(estimate - task.mi) <= 5 * stderr + bias, (estimate, task.mi, stderr)


def test_independent_latents_at_zero_mi():
    # MI 0: the rendered sides are independent; their recovered latents are uncorrelated within 5 standard errors.
    n = 20_000
    zx, zy = _gaussian_latents("bumps-8-mi0", n, seed=4)
    correlation = np.corrcoef(zx.T, zy.T)[:2, 2:]
    assert np.max(np.abs(correlation)) < 5 / math.sqrt(n)


# ----------------------------------------------------------------------------------------------------------------
# The suites
# ----------------------------------------------------------------------------------------------------------------


def test_highdim_suite_runs_every_highdim_catalogue_task_and_its_latents_at_n_5000():
    suite = get_suite("highdim")
    rendered = [task.id for task in HIGHDIM]
    assert list(suite.tasks[:48]) == rendered and len(rendered) == 48
    # The latent twins: bumps share theirs across widths, the embeddings across the linear and smooth maps.
    latents = suite.tasks[48:]
    assert set(latents) == {latent_task(task_id).id for task_id in rendered} and len(latents) == 3 * 6
    assert suite.sample_sizes == (5000,) and suite.repetitions == 3 and suite.timeout == 300.0
    specs = [(spec.name, dict(spec.params)) for spec in suite.estimators]
    assert [name for name, _ in specs] == ["ksg", "kl", "wkl", "gaussian", "mine", "infonce", *["compressed"] * 3]
    compressed = [spec for spec in suite.estimators if spec.name == "compressed"]
    assert [(s.params["compressor"], s.params.get("inner", "ksg")) for s in compressed] == [
        ("pca", "ksg"),
        ("pca", "wkl"),
        ("autoencoder", "ksg"),
    ]
    # Compression only where there is something to compress.
    assert all(s.runs_on(t, 5000) for s in compressed for t in rendered)
    assert not any(s.runs_on(t, 5000) for s in compressed for t in latents)
    # 48 rendered tasks x 3 seeds x 9 specs + 18 latent tasks x 3 seeds x 6 specs.
    assert suite.n_jobs == 48 * 3 * 9 + 18 * 3 * 6 == 1620


def test_selecting_a_name_keeps_every_spec_of_the_suite_with_that_name():
    # Found by use: ``mibench run highdim --estimators compressed`` kept only the last of the compressed specs.
    suite = get_suite("highdim").select(estimators=["compressed"], params={"compressed": {"max_steps": 5}})
    assert [(s.params["compressor"], s.params.get("inner", "ksg")) for s in suite.estimators] == [
        ("pca", "ksg"),
        ("pca", "wkl"),
        ("autoencoder", "ksg"),
    ]
    assert all(s.params["max_steps"] == 5 and s.tasks == HIGHDIM_RENDERED_TASKS for s in suite.estimators)
    assert suite.n_jobs == 48 * 3 * 3


def test_standard_includes_only_the_slice_of_the_highdim_families():
    suite = get_suite("standard")
    highdim_in_standard = [task_id for task_id in suite.tasks if is_highdim(get_task(task_id))]
    assert highdim_in_standard == list(STANDARD_SLICE)
    others = [task.id for task in list_tasks() if not is_highdim(task)]
    assert [task_id for task_id in suite.tasks if task_id not in STANDARD_SLICE] == others
    # The slice's jobs: 4 tasks x 5 seeds x 4 sample sizes (up to 3000) x 6 classical estimators.
    slice_cells = sum(
        spec.runs_on(task_id, n) for spec in suite.estimators for task_id in STANDARD_SLICE for n in suite.sample_sizes
    )
    assert slice_cells * suite.repetitions == 4 * 5 * 4 * 6 == 480

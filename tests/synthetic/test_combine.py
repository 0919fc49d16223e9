"""Independent concatenation: MI adds, blocks are independent and keep their laws, ids, bad arguments."""

from __future__ import annotations

import math
import pickle
import time
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from mibench.interface import Task
from mibench.synthetic import additive, gaussian, student
from mibench.synthetic.additive import additive_uniform
from mibench.synthetic.combine import catalogue_tasks, concatenate, from_id
from mibench.synthetic.gaussian import gaussian_pairs
from mibench.synthetic.student import student_t


@dataclass(frozen=True)
class _CopySampler:
    """x uniform on {0, 1, 2}, y = x (integer valued): a stand-in for discrete, Monte-Carlo-truth parts."""

    def __call__(self, n, rng):
        x = rng.integers(0, 3, size=n)
        return x, x.copy()


def _fake(task_id="fake", *, truth="monte carlo", stderr=0.01, version="7", discrete=True):
    return Task(
        id=task_id,
        family="fake",
        dim_x=1,
        dim_y=1,
        mi=math.log(3),
        sampler=_CopySampler(),
        mi_stderr=stderr,
        truth=truth,
        version=version,
        discrete=discrete,
    )


def _resolve(task_id):
    for parser in (gaussian.from_id, additive.from_id, student.from_id):
        task = parser(task_id)
        if task is not None:
            return task
    raise KeyError(task_id)


def test_mi_adds_and_the_bookkeeping_combines():
    a, b = gaussian_pairs(1, 1, mi=0.5), gaussian_pairs(3, 2, rho=0.6)
    task = concatenate(a, b)
    assert task.mi == pytest.approx(a.mi + b.mi, rel=1e-15)
    assert (task.dim_x, task.dim_y) == (4, 3)
    assert task.id == "concat-gaussian-pairs-1x1-mi0.5+gaussian-pairs-3x2-rho0.6"
    assert task.family == "concatenation"
    assert task.truth == "closed form" and task.mi_stderr == 0.0 and not task.discrete
    assert task.version == "1:1+1"
    mixed = concatenate(a, _fake(stderr=0.03), _fake("fake2", stderr=0.04, version="2"))
    assert mixed.truth == "monte carlo" and mixed.discrete
    assert mixed.mi_stderr == pytest.approx(0.05, rel=1e-12)  # sqrt(0.03^2 + 0.04^2)
    assert mixed.version == "1:1+7+2"
    assert concatenate(a, _fake(truth="quadrature", stderr=0.0)).truth == "quadrature"
    assert concatenate(_fake(truth="exact", stderr=0.0), _fake("f2", truth="exact", stderr=0.0)).truth == "exact"
    assert concatenate(a, _fake(truth="exact", stderr=0.0)).truth == "closed form"
    x, y = mixed.sample(10, 0)
    assert x.dtype == np.float64 and x.shape == (10, 3) and np.array_equal(x[:, 1:], y[:, 1:])


def test_truth_equals_monte_carlo_of_pointwise_mi_under_the_block_diagonal_law():
    # The pointwise MI of the claimed joint law (block-diagonal covariance: blocks independent) averaged over the
    # concatenation's own samples must be within 5 Monte-Carlo SE of the summed truth (false alarm ~6e-7); if the
    # blocks were dependent, the average would be biased.
    a, b = gaussian_pairs(1, 1, mi=0.5), gaussian_pairs(2, 2, mi=1.0)
    task = concatenate(a, b)
    n = 200_000
    x, y = task.sample(n, seed=12)
    rho_a, rho_b = a.params["rho"], b.params["rho"]
    cov = np.eye(6)
    for i, j, r in [(0, 3, rho_a), (1, 4, rho_b), (2, 5, rho_b)]:
        cov[i, j] = cov[j, i] = r
    joint = stats.multivariate_normal(np.zeros(6), cov).logpdf(np.hstack([x, y]))
    pointwise = joint - stats.norm.logpdf(x).sum(axis=1) - stats.norm.logpdf(y).sum(axis=1)
    se = pointwise.std(ddof=1) / math.sqrt(n)
    assert abs(pointwise.mean() - task.mi) < 5 * se


def test_blocks_are_the_parts_own_samples_from_spawned_streams():
    parts = (additive_uniform(0.1), gaussian_pairs(2, 1, rho=0.5), student_t(1, 2, nu=3))
    task = concatenate(*parts)
    x, y = task.sample(500, seed=9)
    children = np.random.default_rng(9).spawn(3)
    col_x = col_y = 0
    for part, child in zip(parts, children, strict=True):
        px, py = part.sampler(500, child)
        assert np.array_equal(x[:, col_x : col_x + part.dim_x], np.asarray(px).reshape(500, -1))
        assert np.array_equal(y[:, col_y : col_y + part.dim_y], np.asarray(py).reshape(500, -1))
        col_x, col_y = col_x + part.dim_x, col_y + part.dim_y


def test_blocks_are_independent_and_keep_their_laws():
    # Two identical parts: were they fed the same stream, their blocks would coincide; correlations across blocks
    # (x1-x2, y1-y2, x1-y2, x2-y1) must be 0 within 5 SE (SE = 1/sqrt(n) for independent normals).
    n = 100_000
    part = gaussian_pairs(1, 1, rho=0.9)
    x, y = concatenate(part, part).sample(n, seed=3)
    for u, v in [(x[:, 0], x[:, 1]), (y[:, 0], y[:, 1]), (x[:, 0], y[:, 1]), (x[:, 1], y[:, 0])]:
        assert abs(np.corrcoef(u, v)[0, 1]) < 5 / math.sqrt(n)
    # Each block keeps its law: within-block correlation 0.9 within 5 SE (SE of r: (1 - r^2)/sqrt(n)).
    for i in range(2):
        assert abs(np.corrcoef(x[:, i], y[:, i])[0, 1] - 0.9) < 5 * (1 - 0.81) / math.sqrt(n)
    # A non-Gaussian block next to a Gaussian one: the additive block's noise is U(-0.1, 0.1) (KS at level 1e-4)
    # and independent of the Gaussian block.
    x, y = concatenate(additive_uniform(0.1), gaussian_pairs(1, 1, rho=0.75)).sample(n, seed=4)
    assert stats.kstest(y[:, 0] - x[:, 0], stats.uniform(-0.1, 0.2).cdf).pvalue > 1e-4
    assert stats.kstest(x[:, 0], stats.uniform(0, 1).cdf).pvalue > 1e-4
    assert stats.kstest(x[:, 1], "norm").pvalue > 1e-4
    assert abs(np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 5 / math.sqrt(n)
    assert abs(np.corrcoef(y[:, 0], y[:, 1])[0, 1]) < 5 / math.sqrt(n)


def test_nested_concatenations_are_flattened():
    a, b, c = gaussian_pairs(1, 1, mi=0.5), additive_uniform(0.5), student_t(1, 1, nu=2)
    flat = concatenate(a, b, c)
    for nested in (concatenate(concatenate(a, b), c), concatenate(a, concatenate(b, c))):
        assert nested.id == flat.id and nested.mi == flat.mi
        assert np.array_equal(nested.sample(50, 1)[0], flat.sample(50, 1)[0])


def test_sampler_is_deterministic_picklable_and_seeds_differ():
    task = concatenate(gaussian_pairs(2, 2, mi=1.0), student_t(1, 1, nu=1))
    a, b, c = task.sample(100, 7), task.sample(100, 7), task.sample(100, 8)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert np.array_equal(pickle.loads(pickle.dumps(task)).sample(100, 7)[1], a[1])


def test_ids_round_trip_with_a_resolver():
    for task in catalogue_tasks():
        rebuilt = from_id(task.id, _resolve)
        assert rebuilt is not None and rebuilt.id == task.id and rebuilt.mi == task.mi
    assert from_id("gaussian-pairs-1x1-mi1", _resolve) is None
    assert from_id("concat-gaussian-pairs-1x1-mi1", _resolve) is None  # a single part
    assert from_id("concat-gaussian-pairs-1x1-mi1+", _resolve) is None
    with pytest.raises(KeyError):  # the resolver's own error about an unknown part propagates
        from_id("concat-gaussian-pairs-1x1-mi1+nonsense", _resolve)


def test_catalogue():
    start = time.perf_counter()
    tasks = list(catalogue_tasks())
    assert time.perf_counter() - start < 0.3
    assert len({t.id for t in tasks}) == len(tasks) == 3
    assert all(t.family == "concatenation" and t.truth == "closed form" and t.version == "1:1+1" for t in tasks)
    assert [t.mi for t in tasks] == pytest.approx([1.5, 1.709438 + 0.413339, 0.431946 + 1.0], abs=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give at least two tasks"),
        ((gaussian_pairs(1, 1, mi=1.0),), "give at least two tasks"),
        ((gaussian_pairs(1, 1, mi=1.0), "gaussian-pairs-1x1-mi1"), "must be mibench Task objects"),
        ((gaussian_pairs(1, 1, mi=1.0), _fake("a+b")), r"must not contain '\+'"),
    ],
)
def test_bad_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        concatenate(*args)

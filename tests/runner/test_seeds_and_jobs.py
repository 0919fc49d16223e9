"""Per-job seeds and job expansion."""

from __future__ import annotations

import hashlib
import subprocess
import sys

from mibench.runner import derive_seed, expand, job_seed
from mibench.suites import get_suite


def test_job_seed_follows_its_documented_definition():
    digest = hashlib.blake2b(b"mibench-job|gaussian-pairs-1x1-rho0.75|1000|2", digest_size=8).digest()
    assert job_seed("gaussian-pairs-1x1-rho0.75", 1000, 2) == int.from_bytes(digest, "little") >> 1


def test_job_seed_is_stable_across_processes_and_fits_63_bits():
    code = "from mibench.runner import job_seed; print(job_seed('t', 10, 0))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(out) == job_seed("t", 10, 0)
    seeds = {job_seed("t", n, r) for n in (10, 100) for r in range(50)}
    assert len(seeds) == 100 and all(0 <= s < 2**63 for s in seeds)


def test_derived_seed_differs_from_its_parent():
    assert derive_seed(5, "estimator") != 5 and derive_seed(5, "estimator") != derive_seed(5, "other")


def test_expand_smoke_is_the_full_grid_with_shared_samples():
    suite = get_suite("smoke")
    jobs = expand(suite)
    assert len(jobs) == suite.n_jobs == len({job.key for job in jobs})
    # Every estimator of a (task, n, repetition) gets the same seed: paired comparisons.
    by_sample = {}
    for job in jobs:
        by_sample.setdefault((job.task_id, job.n, job.repetition), set()).add(job.seed)
    assert all(len(seeds) == 1 for seeds in by_sample.values())
    assert expand(suite) == jobs  # deterministic order


def test_estimator_limits_restrict_the_grid():
    from mibench.suites import EstimatorSpec, Suite

    suite = Suite(
        name="limited",
        tasks=("gaussian-pairs-1x1-rho0.75", "gaussian-pairs-2x2-mi1"),
        estimators=(
            EstimatorSpec("ksg"),
            EstimatorSpec("kde", max_n=300),
            EstimatorSpec("gaussian", tasks=("*-2x2-*",)),
        ),
        sample_sizes=(100, 300, 1000),
        repetitions=2,
    )
    jobs = expand(suite)
    assert len(jobs) == suite.n_jobs == (2 * 3 + 2 * 2 + 1 * 3) * 2
    assert max(job.n for job in jobs if job.estimator == "kde") == 300
    assert {job.task_id for job in jobs if job.estimator == "gaussian"} == {"gaussian-pairs-2x2-mi1"}


TOY = "tests.runner.toys:IgnoresContext"


def test_select_adds_any_registered_estimator_with_the_suites_grid():
    import pytest

    from mibench.suites import EstimatorSpec

    suite = get_suite("quick").select(estimators=["kde", "ksg2", TOY], tasks=["gaussian-pairs-1x1-rho0.75"])
    by_name = {spec.name: spec for spec in suite.estimators}
    assert list(by_name) == ["kde", "ksg2", TOY]
    assert by_name["kde"].max_n == 3000  # the suite's own spec keeps its limit
    assert by_name["ksg2"] == EstimatorSpec("ksg2") and by_name[TOY] == EstimatorSpec(TOY)  # no restriction
    jobs = expand(suite)
    assert {job.n for job in jobs if job.estimator == TOY} == {300, 1000, 3000, 10000}
    assert sum(job.estimator == TOY for job in jobs) == 4 * 5
    # parameters per name: over the suite's own for its estimators, checked against the estimator
    tuned = get_suite("smoke").select(estimators=["ksg", TOY], params={"ksg": {"k": 5}, TOY: {"flag": "x"}})
    assert [(s.name, dict(s.params)) for s in tuned.estimators] == [("ksg", {"k": 5}), (TOY, {"flag": "x"})]
    with pytest.raises(ValueError, match="not selected"):
        get_suite("smoke").select(estimators=["ksg"], params={"gaussian": {"k": 5}})
    with pytest.raises(ValueError, match="valid hyperparameters"):
        get_suite("smoke").select(estimators=["ksg"], params={"ksg": {"nope": 1}})
    # a spec is used as given
    spec = EstimatorSpec("ksg", {"k": 7}, max_n=200)
    assert get_suite("smoke").select(estimators=[spec]).estimators == (spec,)


def test_select_an_unknown_name_lists_the_registered_estimators():
    import pytest

    from mibench.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match=r"unknown estimator 'nope'.*binning.*wkl"):
        get_suite("smoke").select(estimators=["nope"])
    with pytest.raises(ValueError, match="cannot use estimator import path"):
        get_suite("smoke").select(estimators=["tests.runner.toys:Missing"])

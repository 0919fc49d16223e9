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

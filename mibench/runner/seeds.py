"""Per-job seeds from a stable hash.

A job's seed is a pure function of (task id, sample size, repetition) so that

* every estimator in a suite sees the *same* sample for a given (task, n, repetition) -- paired comparisons;
* the seed never depends on Python's per-process salted ``hash()``, the order jobs run in, or the machine.

Definition (fixed; changing it changes every stored sample, so bump the task versions if you ever must)::

    job_seed(task_id, n, r) = int.from_bytes(BLAKE2b-64("mibench-job|{task_id}|{n}|{r}"), "little") >> 1

i.e. the first 8 bytes of a BLAKE2b digest read little-endian, shifted to 63 bits so it fits a signed 64-bit
integer column. Stochastic estimators get ``derive_seed(job_seed, "estimator")``, a different stream from the
sampler's.
"""

from __future__ import annotations

import hashlib


def _digest63(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") >> 1


def job_seed(task_id: str, n: int, repetition: int) -> int:
    """The sample seed of the job (task id, n, repetition): a 63-bit non-negative integer."""
    return _digest63(f"mibench-job|{task_id}|{int(n)}|{int(repetition)}")


def derive_seed(seed: int, label: str) -> int:
    """An independent seed derived from ``seed`` for another purpose named by ``label``."""
    return _digest63(f"mibench-derive|{int(seed)}|{label}")

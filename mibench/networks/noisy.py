r"""Noisy networks as ground truth: a trained network's layer read through Gaussian noise, and its Monte-Carlo truth.

**The channel.** For a training record (:class:`~mibench.networks.training.TrainingRecord`), a layer ``l`` at a
logged epoch and a noise level ``b > 0``,

.. math:: T = S_l(X) + Z, \qquad Z \sim N(0, b^2 I_d), \qquad X \text{ uniform on the } N \text{ rows of the data set},

with :math:`S_l(X)` the layer's values in the *deterministic* network as recorded (quantized or not). The noise is
added where the layer is read, at the measured layer only: these are the networks trained without noise, looked at
through a Gaussian channel -- not networks trained with noise in every layer as Goldfeld et al. (ICML 2019) train
theirs, whose later layers would see the earlier layers' noise. Given :math:`X`, ``T`` is Gaussian around one of
``N`` centres (the layer's values of all ``N`` inputs; inputs with the same value share a centre), so ``T`` is the
exact finite Gaussian mixture :math:`g(t) = \frac1N \sum_i \varphi_b(t - s_i)` and (Goldfeld et al.)

.. math::

    I(X; T) = h(g) - \tfrac d2 \log(2 \pi e b^2), \qquad
    I(T; Y) = h(g) - \textstyle\sum_y p(y)\, h(g_y),

``g_y`` the mixture of class ``y``'s centres. Neither has a closed form; both are computed by
:func:`mibench.synthetic.mixture_truth.channel_mi` (stratified Monte Carlo over the exact mixture, in the log-ratio
form that cancels :math:`\log \varphi_b`; its standard error from the within-stratum variances).

**The truth's precision** (:func:`compute_truth`): every truth has a standard error of at most :data:`MAX_STDERR`
(0.01 nats). A first run draws ``m0 = max(2, ceil(MIN_DRAWS / N))`` noise vectors per input; if its standard error
is above the limit, a new run with ``m = m0 (stderr / (0.8 MAX_STDERR))^2`` draws per input (at least twice as
many) replaces it, with fresh draws, until the limit holds (at most :data:`MAX_STAGES` runs, at most
:data:`MAX_TOTAL_DRAWS` draws). The kept value is the last run's alone (the earlier runs only size it). Seeds come
from the record's digest and the task's key (:func:`truth_seed`), so a truth is reproducible. The value is an
unbiased estimate and can be a little below 0 for a layer that carries almost no label information; a task's
``mi`` is clipped at 0 (the raw value stays in its ``params`` and in the cache).

**The cache** (:class:`TruthCache`). Truths are computed once per (record, layer, epoch, pair, b) and kept in a JSON
file beside the record in its records directory, ``{records dir}/{record name}.truths.json``, written atomically under a
lock on the records directory (read, merge, write to a temporary file, rename), so concurrent studies that share records
keep each other's entries. Each entry carries a check digest over the record's digest, the truth method, its key and its
numbers; an entry that fails the check, of another record digest (the record was retrained) or of another truth method,
or a file that is not valid JSON, is never used: its truths are computed again and the file rewritten.
:func:`fill_truths` computes the missing truths of a list of task ids, on ``jobs`` processes, before a run starts: the
runner's coordinator then resolves every task from the cache, and so do its workers -- none of them computes a truth
again.

**Method version** (:func:`truth_method`): :data:`TRUTH_POLICY` (this module's precision rule) and the source
digest of :mod:`mibench.synthetic.mixture_truth`, so a change of either changes the tasks' versions and the cache
keys, and nothing computed by an earlier method is reused.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mibench.networks.ids import PAIRS, check_noise, format_noise, parse_task_id

if TYPE_CHECKING:  # pragma: no cover
    from mibench.networks.training import TrainingRecord

__all__ = [
    "CACHE_FORMAT",
    "MAX_STAGES",
    "MAX_STDERR",
    "MAX_TOTAL_DRAWS",
    "MIN_DRAWS",
    "TRUTH_POLICY",
    "FillSummary",
    "NoisyTruth",
    "TruthCache",
    "compute_truth",
    "fill_truths",
    "layer_truth",
    "truth_cache_path",
    "truth_key",
    "truth_method",
    "truth_seed",
]

#: The largest standard error (nats) a noisy-network truth may have.
MAX_STDERR = 0.01
#: Draws of the first run at least (``m0 = max(2, ceil(MIN_DRAWS / N))`` per input).
MIN_DRAWS = 4096
#: Runs at most before giving up on the precision.
MAX_STAGES = 5
#: Draws per run at most (the work is draws x distinct centres x dimension).
MAX_TOTAL_DRAWS = 1 << 21
#: The precision rule's version (bump when MAX_STDERR, MIN_DRAWS or the stopping rule change).
TRUTH_POLICY = "t1"
#: The format of the cache file.
CACHE_FORMAT = "1"
_TARGET_FRACTION = 0.8


# --------------------------------------------------------------------------------------------------------------
# The truth of one task
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoisyTruth:
    """The Monte-Carlo truth of one noisy-network task (nats).

    Attributes:
        value: the estimate (unbiased; may be slightly below 0 for a near-zero ``I(T; Y)``).
        stderr: its standard error (at most :data:`MAX_STDERR`).
        draws: noise draws of the run kept.
        draws_per_centre: draws per input of that run.
        seed: its seed.
        method: :func:`truth_method` when it was computed.
        seconds: the time all runs took (not compared: two computations of one truth are equal).
    """

    value: float
    stderr: float
    draws: int
    draws_per_centre: int
    seed: int
    method: str
    seconds: float = field(default=0.0, compare=False)

    @property
    def mi(self) -> float:
        """The value clipped at 0 (a task's ``mi`` must be >= 0)."""
        return max(float(self.value), 0.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoisyTruth:
        """The truth of a :meth:`to_dict` mapping.

        Raises:
            ValueError: a missing field or a value of the wrong type or out of range.
        """
        try:
            truth = cls(
                value=float(data["value"]),
                stderr=float(data["stderr"]),
                draws=int(data["draws"]),
                draws_per_centre=int(data["draws_per_centre"]),
                seed=int(data["seed"]),
                method=str(data["method"]),
                seconds=float(data.get("seconds", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a truth entry ({type(exc).__name__}: {exc})") from None
        if not (math.isfinite(truth.value) and math.isfinite(truth.stderr) and 0 <= truth.stderr <= MAX_STDERR):
            raise ValueError(f"value {truth.value!r} or stderr {truth.stderr!r} out of range")
        if truth.draws < 1 or truth.draws_per_centre < 1:
            raise ValueError(f"draws must be positive, got {truth.draws}, {truth.draws_per_centre}")
        return truth


@functools.cache
def truth_method() -> str:
    """The truth method's version: :data:`TRUTH_POLICY` and the source digest of the Monte-Carlo module."""
    from mibench.estimators.versions import source_digest

    return f"{TRUTH_POLICY}-{source_digest('mibench.synthetic.mixture_truth', 'mibench.synthetic')}"


def truth_key(epoch: int, layer: int, pair: str, noise_std: float) -> str:
    """The cache key of a task of one record: ``e{epoch}-l{layer}-{pair}-b{noise}``."""
    if pair not in PAIRS:
        raise ValueError(f"pair must be one of {PAIRS}, got {pair!r}")
    return f"e{int(epoch)}-l{int(layer)}-{pair}-b{format_noise(noise_std)}"


def truth_seed(record_digest: str, key: str, stage: int = 0) -> int:
    """A 63-bit seed from the record's digest, the task's key and the run's stage (BLAKE2b, stable everywhere)."""
    digest = hashlib.blake2b(f"{record_digest}|{key}|{int(stage)}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def compute_truth(record: TrainingRecord, layer: int, epoch: int, pair: str, noise_std: float) -> NoisyTruth:
    """``I(X; T)`` (``pair="xt"``) or ``I(T; Y)`` (``"ty"``) of ``layer`` at ``epoch`` read with noise ``noise_std``,
    with a standard error of at most :data:`MAX_STDERR` (see the module docstring).

    Raises:
        ValueError: an unknown pair, layer or epoch, or a noise level that is not positive.
        RuntimeError: the precision was not reached within :data:`MAX_STAGES` runs of at most
            :data:`MAX_TOTAL_DRAWS` draws.
    """
    from mibench.synthetic.mixture_truth import channel_mi

    b = check_noise(noise_std)
    key = truth_key(epoch, layer, pair, b)
    centres = record.layer_values(layer, epoch)
    labels = None if pair == "xt" else np.asarray(record.y).reshape(-1)
    k = centres.shape[0]
    cap = max(2, MAX_TOTAL_DRAWS // k)
    m = min(cap, max(2, math.ceil(MIN_DRAWS / k)))
    started = time.perf_counter()
    result = None
    for stage in range(MAX_STAGES):
        seed = truth_seed(record.digest, key, stage)
        result = channel_mi(centres, b, labels=labels, draws_per_centre=m, seed=seed)
        if result.stderr <= MAX_STDERR:
            return NoisyTruth(
                value=float(result.value),
                stderr=float(result.stderr),
                draws=int(result.draws),
                draws_per_centre=m,
                seed=seed,
                method=truth_method(),
                seconds=time.perf_counter() - started,
            )
        if m >= cap:
            break
        wanted = math.ceil(m * (result.stderr / (_TARGET_FRACTION * MAX_STDERR)) ** 2)
        m = min(cap, max(2 * m, wanted))
    assert result is not None
    raise RuntimeError(
        f"{record.name} {key}: the Monte-Carlo truth's standard error is {result.stderr:.4f} nats with "
        f"{result.draws} draws, above the limit of {MAX_STDERR} nats"
    )


# --------------------------------------------------------------------------------------------------------------
# The cache beside the record
# --------------------------------------------------------------------------------------------------------------


def truth_cache_path(records_dir: str | os.PathLike[str], record_name: str) -> Path:
    """The truth cache of the record called ``record_name`` in a records directory."""
    return Path(records_dir) / f"{record_name}.truths.json"


def _entry_check(record_digest: str, method: str, key: str, truth: Mapping[str, Any]) -> str:
    from mibench.interface import canonical_json

    fields = {name: truth[name] for name in sorted(truth) if name != "check"}
    text = canonical_json({"record_digest": record_digest, "method": method, "key": key, "truth": fields})
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on the folder of ``path`` (POSIX ``flock`` on the directory itself, so no lock file is left
    behind; no lock where ``flock`` is missing). Held only while a cache file is read, merged and replaced."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)


@dataclass
class TruthCache:
    """The truths of one record's noisy tasks, in the JSON file ``path`` beside the record (see the module).

    Attributes:
        path: the cache file (:func:`truth_cache_path`).
        record_name, record_digest: the record the truths belong to.
        method: the truth method they must have been computed with (default :func:`truth_method`).
        problems: why entries (or the whole file) were not used at the last read, for messages and tests.
    """

    path: Path
    record_name: str
    record_digest: str
    method: str = ""
    problems: list[str] | None = None

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.method = self.method or truth_method()
        self.problems = []

    @classmethod
    def of(cls, record: TrainingRecord, records_dir: str | os.PathLike[str]) -> TruthCache:
        """The cache of ``record`` in ``records_dir``."""
        return cls(truth_cache_path(records_dir, record.name), record.name, record.digest)

    def read(self) -> dict[str, NoisyTruth]:
        """The valid entries by key (an absent file: none). Invalid ones are left out and described in
        :attr:`problems`; a file that cannot be read as a cache gives a warning, and its truths are recomputed."""
        self.problems = []
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
                raise ValueError(f"not a truth cache of format {CACHE_FORMAT}")
            entries = data["entries"]
            if not isinstance(entries, dict):
                raise ValueError("its entries are not a JSON object")
        except (OSError, UnicodeDecodeError, KeyError, ValueError) as exc:
            self.problems.append(f"unreadable: {exc}")
            warnings.warn(f"{self.path}: {exc}; its truths will be computed again", RuntimeWarning, stacklevel=2)
            return {}
        if data.get("record_digest") != self.record_digest or data.get("method") != self.method:
            self.problems.append("computed for another record digest or truth method")
            return {}
        found: dict[str, NoisyTruth] = {}
        for key, entry in entries.items():
            try:
                if not isinstance(entry, dict):
                    raise ValueError("not a JSON object")
                if entry.get("check") != _entry_check(self.record_digest, self.method, key, entry):
                    raise ValueError("its check digest does not match its content")
                truth = NoisyTruth.from_dict(entry)
                if truth.method != self.method:
                    raise ValueError("another truth method")
            except ValueError as exc:
                self.problems.append(f"{key}: {exc}")
                continue
            found[key] = truth
        if len(found) < len(entries):
            warnings.warn(
                f"{self.path}: {len(entries) - len(found)} entr(y/ies) failed their checks and will be computed again",
                RuntimeWarning,
                stacklevel=2,
            )
        return found

    def get(self, key: str) -> NoisyTruth | None:
        """The valid truth of ``key``, or ``None``."""
        return self.read().get(key)

    def put(self, truths: Mapping[str, NoisyTruth]) -> None:
        """Add ``truths`` (by key) to the file: under the lock, read the valid entries, merge, write atomically."""
        from mibench.networks.records import write_json

        with _locked(self.path), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a broken file is simply replaced
            merged = {key: truth.to_dict() for key, truth in self.read().items()}
            merged.update({key: truth.to_dict() for key, truth in truths.items()})
            for key, entry in merged.items():
                entry["check"] = _entry_check(self.record_digest, self.method, key, entry)
            write_json(
                self.path,
                {
                    "format": CACHE_FORMAT,
                    "record": self.record_name,
                    "record_digest": self.record_digest,
                    "method": self.method,
                    "entries": merged,
                },
            )


def layer_truth(
    record: TrainingRecord,
    layer: int,
    epoch: int,
    pair: str,
    noise_std: float,
    *,
    records_dir: str | os.PathLike[str] | None = None,
) -> NoisyTruth:
    """The truth of one noisy task: from the record's cache in ``records_dir`` when it holds a valid entry, else
    computed (:func:`compute_truth`) and added to the cache. ``records_dir=None``: computed, not cached."""
    key = truth_key(epoch, layer, pair, noise_std)
    cache = None if records_dir is None else TruthCache.of(record, records_dir)
    if cache is not None:
        hit = cache.get(key)
        if hit is not None:
            return hit
    truth = compute_truth(record, layer, epoch, pair, noise_std)
    if cache is not None:
        cache.put({key: truth})
    return truth


# --------------------------------------------------------------------------------------------------------------
# Filling the caches of a run before it starts
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FillSummary:
    """What :func:`fill_truths` did: noisy tasks asked, truths found in the caches, truths computed, seconds."""

    n_tasks: int
    n_cached: int
    n_computed: int
    seconds: float


def _context() -> Any:
    # As the runner's pool: forkserver on Linux (no inherited threads), spawn elsewhere.
    return multiprocessing.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")


def _limit(threads: int) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)


def _compute(path: str, layer: int, epoch: int, pair: str, noise_std: float) -> NoisyTruth:
    from mibench.networks.records import load_record

    return compute_truth(load_record(path), layer, epoch, pair, noise_std)


def fill_truths(
    task_ids: Iterable[str],
    records_dir: str | os.PathLike[str],
    *,
    jobs: int = 1,
    progress: Callable[[str], None] | None = None,
) -> FillSummary:
    """Compute the truths of the noisy tasks among ``task_ids`` that the caches in ``records_dir`` lack, on ``jobs``
    processes, and add them to the caches (in batches, so an interrupted fill keeps what it computed).

    Ids of other tasks, and noisy tasks whose record is not in ``records_dir``, are skipped (resolving them reports
    the problem). ``progress`` receives a few lines (how many truths, then every tenth of them).
    """
    from mibench.networks.records import load_record, record_file

    started = time.perf_counter()
    wanted: dict[str, dict[str, tuple[int, int, str, float]]] = {}
    n_tasks = 0
    for tid in dict.fromkeys(task_ids):
        parts = parse_task_id(tid)
        if parts is None or parts["noise_std"] is None:
            continue
        n_tasks += 1
        key = truth_key(parts["epoch"], parts["layer"], parts["pair"], parts["noise_std"])
        wanted.setdefault(parts["record"], {})[key] = (
            parts["layer"],
            parts["epoch"],
            parts["pair"],
            parts["noise_std"],
        )
    todo: list[tuple[TruthCache, str, str, tuple[int, int, str, float]]] = []
    n_cached = 0
    for name, keys in wanted.items():
        path = record_file(records_dir, name)
        if not path.is_file():
            continue
        record = load_record(path)
        cache = TruthCache.of(record, records_dir)
        have = cache.read()
        for key, item in keys.items():
            if key in have:
                n_cached += 1
                continue
            layer, epoch, _, _ = item
            if not 1 <= layer <= record.n_layers or epoch not in set(record.epochs.tolist()):
                continue  # resolving the task reports it
            todo.append((cache, key, str(path), item))
    if not todo:
        return FillSummary(n_tasks, n_cached, 0, time.perf_counter() - started)
    if progress is not None:
        progress(f"noisy-network truths: {len(todo)} to compute ({n_cached} cached) on {jobs} process(es)")
    pending: dict[Path, dict[str, NoisyTruth]] = {}
    caches = {cache.path: cache for cache, *_ in todo}
    done = 0
    step = max(1, len(todo) // 10)

    def flush(force: bool = False) -> None:
        for path, truths in list(pending.items()):
            if truths and (force or len(truths) >= 32):
                caches[path].put(truths)
                pending[path] = {}

    def finished(cache: TruthCache, key: str, truth: NoisyTruth) -> None:
        nonlocal done
        pending.setdefault(cache.path, {})[key] = truth
        done += 1
        flush()
        if progress is not None and (done % step == 0 or done == len(todo)):
            progress(f"noisy-network truths: {done}/{len(todo)} ({time.perf_counter() - started:.0f} s)")

    try:
        if jobs <= 1 or len(todo) == 1:
            for cache, key, path, (layer, epoch, pair, b) in todo:
                finished(cache, key, _compute(path, layer, epoch, pair, b))
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            from mibench.resources import available_cores

            threads = max(1, available_cores() // jobs)
            with ProcessPoolExecutor(
                max_workers=jobs, mp_context=_context(), initializer=_limit, initargs=(threads,)
            ) as pool:
                futures = {
                    pool.submit(_compute, path, layer, epoch, pair, b): (cache, key)
                    for cache, key, path, (layer, epoch, pair, b) in todo
                }
                try:
                    for future in as_completed(futures):
                        cache, key = futures[future]
                        finished(cache, key, future.result())
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
    finally:
        flush(force=True)
    return FillSummary(n_tasks, n_cached, len(todo), time.perf_counter() - started)

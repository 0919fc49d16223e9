"""Max-norm nearest-neighbour primitives for the k-NN estimators (KSG and relatives).

All distances are max-norm (Chebyshev): ``d(a, b) = max_c |a_c - b_c|``, computed exactly as
``abs(a_c - b_c)`` in float64 so that every code path (trees, sorted arrays, brute force) agrees bit for bit
with a naive reference. Counts come in two flavours: *strict* (``d < eps``, KSG algorithm 1) and *non-strict*
(``d <= eps``, KSG algorithm 2); both exclude the point itself.

Which primitive is used where (chosen by timing the alternatives; reports/ksg_speed.md holds the measurements,
and ``benchmarks/ksg_grid.py`` and ``benchmarks/test_ksg.py`` regenerate them):

* joint k-th neighbour distance: scipy ``cKDTree.query(p=inf, workers=...)`` with the queries issued **in the
  tree's own point order** (``tree.indices``): consecutive queries then walk the same nodes and find them in the
  cache, so this is faster than querying in sample order (identical results; the answers are scattered back);
* marginal counts: ``np.sort`` + ``np.searchsorted`` for 1-D marginals; otherwise mibench's compiled dual-tree
  count (:mod:`mibench.estimators._maxnorm_counts`: queries walk the tree in groups of 64 neighbouring points,
  so one walk decides whole groups where a library tree walks once per query), split over threads. Without
  numba the counts fall back to scikit-learn's ``KDTree.query_radius(count_only=True)`` (it counts whole nodes
  inside the radius, which ``cKDTree.query_ball_point(return_length=True)`` does not), queried in tree order;
* blocked brute-force distances (``cdist``, threads over blocks) where trees prune too little: high dimension,
  or samples so small that building and walking trees costs more than n^2 distances
  (:func:`choose_search`, fitted on the grid of reports/ksg_speed.md).
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist
from sklearn.neighbors import KDTree

# thread_count and query_workers stay reachable here too (the benchmarks read them from this module)
from mibench.estimators._threads import query_workers, thread_count
from mibench.estimators._threads import run_parallel as _run_parallel

#: Sample size below which KSG's blocked brute-force search beats the trees at :data:`BRUTE_FORCE_REFERENCE_DIM`
#: joint dimensions (:func:`choose_search`).
BRUTE_FORCE_REFERENCE_N = 1_000

#: The joint dimension at which :data:`BRUTE_FORCE_REFERENCE_N` was measured.
BRUTE_FORCE_REFERENCE_DIM = 10

#: Factor by which that crossover sample size grows per extra joint dimension (10**0.15).
BRUTE_FORCE_GROWTH_PER_DIM = 10**0.15

#: Tree searches over n points in d dimensions run on one thread while ``n * d`` is below this: on so little work
#: starting threads costs more than it saves, while from about this size on two threads beat one.
PARALLEL_MIN_WORK = 20_000

#: Bytes of distance matrices held at once by the brute-force search (all threads together).
_BRUTE_FORCE_BLOCK_BYTES = 64 * 2**20


def _threads_for(points: np.ndarray) -> int:
    """Threads for a tree search over ``points``: :func:`thread_count`, or 1 below :data:`PARALLEL_MIN_WORK`."""
    return thread_count() if points.shape[0] * points.shape[1] >= PARALLEL_MIN_WORK else 1


def _workers_for(points: np.ndarray) -> int:
    """cKDTree's ``workers`` for a search over ``points`` (:func:`query_workers` or 1, as :func:`_threads_for`)."""
    return query_workers() if points.shape[0] * points.shape[1] >= PARALLEL_MIN_WORK else 1


def brute_force_crossover(joint_dim: int) -> float:
    """The sample size below which brute force beats the trees for KSG in ``joint_dim`` joint dimensions:
    ``BRUTE_FORCE_REFERENCE_N * BRUTE_FORCE_GROWTH_PER_DIM ** (joint_dim - BRUTE_FORCE_REFERENCE_DIM)``."""
    return BRUTE_FORCE_REFERENCE_N * BRUTE_FORCE_GROWTH_PER_DIM ** (joint_dim - BRUTE_FORCE_REFERENCE_DIM)


def choose_search(n: int, joint_dim: int) -> str:
    """``"tree"`` or ``"brute"``: the faster neighbour search for KSG on ``n`` points in ``joint_dim``
    dimensions.

    Brute force costs O(n^2 d) with a small constant; the trees cost roughly O(n log n) with a constant that grows
    about geometrically with the dimension, so brute force wins below a crossover sample size that grows
    geometrically with the dimension (:func:`brute_force_crossover`). The rule is fitted to the crossovers measured
    in reports/ksg_speed.md ("Where brute force takes over"), whose log10 rises by about 0.15 per joint dimension:
    1 000 at 10 joint dimensions, 32 000 at 20, 126 000 at 24, ~10^8 at 40 (so brute force at any practical n in
    20+20), 63 at 2.
    """
    return "brute" if n < brute_force_crossover(joint_dim) else "tree"


# --------------------------------------------------------------------------------------------------------------
# Joint k-nearest neighbours (trees)
# --------------------------------------------------------------------------------------------------------------


def _query_in_tree_order(tree: cKDTree, points: np.ndarray, k: int | list[int]) -> tuple[np.ndarray, np.ndarray]:
    """``tree.query(points, k, p=inf)`` with the queries issued in the tree's point order, results in the
    original order (the same numbers as a plain query, and faster: consecutive queries walk the same nodes)."""
    order = tree.indices
    dist_o, idx_o = tree.query(points[order], k=k, p=np.inf, workers=_workers_for(points))
    dist = np.empty_like(dist_o)
    idx = np.empty_like(idx_o)
    dist[order] = dist_o
    idx[order] = idx_o
    return dist, idx


def kth_neighbour_distance_tree(points: np.ndarray, k: int) -> np.ndarray:
    """Max-norm distance from each point to its k-th nearest other point (cKDTree).

    The query asks for ``k + 1`` neighbours including the point itself (at distance 0), so the last distance
    is the k-th neighbour's even when duplicate points make the tree return another copy before the point
    itself.
    """
    dist, _ = _query_in_tree_order(cKDTree(points), points, [k + 1])
    return np.ascontiguousarray(dist[:, 0])


def _extent(values: np.ndarray, rows: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """``max_m max_c |values[neighbours[r, m], c] - values[rows[r], c]|`` for each r (exact float64)."""
    centre = values[rows]
    out = np.zeros(rows.shape[0])
    for m in range(neighbours.shape[1]):
        np.maximum(out, np.abs(values[neighbours[:, m]] - centre).max(axis=1), out=out)
    return out


def ksg2_extents_tree(x: np.ndarray, y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(eps, eps_x, eps_y)`` for KSG algorithm 2 by cKDTree.

    ``eps[i]`` is the joint max-norm distance to the k-th nearest other point; ``eps_x[i]`` (``eps_y[i]``) the
    largest x (y) distance from point i to the points of its joint neighbour set: the points at joint distance
    ``<= eps[i]``. That set is the k nearest neighbours (plus i itself, which adds nothing to a maximum) unless
    several points tie at distance ``eps[i]``; then it holds all of them, so the result does not depend on the
    order of the sample (see :class:`mibench.estimators.ksg.KSG2`). ``eps_x`` and ``eps_y`` are meaningful
    only where ``eps > 0``; the caller rejects samples with ``eps == 0``.
    """
    n = x.shape[0]
    xy = np.hstack([x, y])
    tree = cKDTree(xy)
    width = min(n, k + 2)  # one more than needed, to see whether the (k+1)-th neighbour ties with the k-th
    dist, idx = _query_in_tree_order(tree, xy, width)
    eps = np.ascontiguousarray(dist[:, k])
    rows = np.arange(n)
    eps_x = _extent(x, rows, idx[:, : k + 1])
    eps_y = _extent(y, rows, idx[:, : k + 1])
    if width > k + 1:
        tied = np.flatnonzero((dist[:, k + 1] == eps) & (eps > 0))
        while tied.size:
            # widen the query for the tied rows until the farthest neighbour returned lies beyond eps
            width = min(n, 2 * width)
            dist_t, idx_t = tree.query(xy[tied], k=width, p=np.inf, workers=_workers_for(xy[tied]))
            inside = dist_t <= eps[tied, None]
            idx_in = np.where(inside, idx_t, tied[:, None])  # points outside the set replaced by i itself
            done = ~inside[:, -1] | (width == n)
            eps_x[tied[done]] = _extent(x, tied[done], idx_in[done])
            eps_y[tied[done]] = _extent(y, tied[done], idx_in[done])
            tied = tied[~done]
    return eps, eps_x, eps_y


# --------------------------------------------------------------------------------------------------------------
# Marginal counts
# --------------------------------------------------------------------------------------------------------------


def count_within_sorted_1d(values: np.ndarray, eps: np.ndarray, strict: bool = True) -> np.ndarray:
    """For each i, the number of j != i with ``|values[j] - values[i]| < eps[i]`` (``<=`` when not
    ``strict``), 1-D, O(n log n).

    ``values`` is 1-D, ``eps`` non-negative (positive when ``strict``). A binary search for
    ``values[i] +- eps[i]`` can be off by one where a point lies exactly at distance eps (which the k-th
    neighbour always does in one marginal), because ``fl(v_i + eps)`` rounds differently from
    ``fl(v_j - v_i)``. The search result is therefore corrected with the exact predicate: ``fl(s - v_i) < eps``
    is monotone in ``s``, so the points within eps form a contiguous run ``[lo, hi)`` of the sorted array, and
    each correction step jumps over a whole run of equal values.
    """
    within = np.less if strict else np.less_equal
    s = np.sort(values)
    n = s.shape[0]
    last = n - 1

    # hi: the number of sorted values s_j with within(s_j - v, eps) (a prefix).
    hi = np.searchsorted(s, values + eps, side="left" if strict else "right")
    # lo: the number of sorted values with NOT within(v - s_j, eps) (a prefix; the rest is a suffix).
    lo = np.searchsorted(s, values - eps, side="right" if strict else "left")
    for _ in range(100):
        changed = False
        prev = np.clip(hi - 1, 0, last)
        too_far = (hi > 0) & ~within(s[prev] - values, eps)
        if too_far.any():
            hi[too_far] = np.searchsorted(s, s[prev[too_far]], side="left")
            changed = True
        cur = np.clip(hi, 0, last)
        too_short = (hi < n) & within(s[cur] - values, eps)
        if too_short.any():
            hi[too_short] = np.searchsorted(s, s[cur[too_short]], side="right")
            changed = True
        cur = np.clip(lo, 0, last)
        too_low = (lo < n) & ~within(values - s[cur], eps)
        if too_low.any():
            lo[too_low] = np.searchsorted(s, s[cur[too_low]], side="right")
            changed = True
        prev = np.clip(lo - 1, 0, last)
        too_high = (lo > 0) & within(values - s[prev], eps)
        if too_high.any():
            lo[too_high] = np.searchsorted(s, s[prev[too_high]], side="left")
            changed = True
        if not changed:
            break
    else:  # pragma: no cover - rounding moves the bounds by a few runs at most
        raise RuntimeError("neighbour counting did not converge")
    return (hi - lo - 1).astype(np.int64)


#: Engines for the tree-based marginal counts (:func:`count_within_tree`).
COUNT_ENGINES = ("auto", "compiled", "sklearn")


@functools.cache
def compiled_counts_available() -> bool:
    """Whether the compiled counts (:mod:`mibench.estimators._maxnorm_counts`) work in this process: numba imports
    and the kernels compile (or load from numba's on-disk cache), checked once by counting around two points.

    Where they do not (numba missing or too old for this Python, no writable cache directory, a compiler error),
    this warns once, naming the cause and the slower fallback, and the counts use scikit-learn's tree: the same
    integers, so the same estimates, only slower (reports/ksg_speed.md compares the two).
    """
    try:
        from mibench.estimators import _maxnorm_counts

        _maxnorm_counts.count_within_radius(np.zeros((2, 2)), np.ones(2))
    except Exception as error:
        warnings.warn(
            f"mibench's compiled neighbour counts are unavailable ({type(error).__name__}: {error}); KSG marginal "
            "counts fall back to scikit-learn's KDTree (same values, slower)",
            RuntimeWarning,
            stacklevel=2,
        )
        return False
    return True


def prepare_compiled_counts() -> None:
    """Import and compile (or load from numba's cache) the compiled counts now, outside any timed call; where they
    are unavailable :func:`compiled_counts_available` warns once."""
    compiled_counts_available()


def _tree_count_tasks(
    points: np.ndarray, eps: np.ndarray, strict: bool, out: np.ndarray, chunks: int, engine: str = "auto"
) -> list[Callable[[], Any]]:
    """Callables that fill ``out`` with tree counts (``engine``: see :func:`count_within_tree`), one per
    contiguous chunk of the tree order."""
    if engine not in COUNT_ENGINES:
        raise ValueError(f"unknown count engine {engine!r}; expected one of {COUNT_ENGINES}")
    # Both engines count d <= radius; d < eps is d <= nextafter(eps, 0), the largest double below eps (d and eps
    # are both doubles).
    radius = np.nextafter(eps, 0.0) if strict else eps
    if engine == "compiled" or (engine == "auto" and compiled_counts_available()):
        from mibench.estimators import _maxnorm_counts

        return _maxnorm_counts.count_within_radius_tasks(points, radius, out, chunks)
    return _sklearn_count_tasks(points, radius, out, chunks)


def _sklearn_count_tasks(
    points: np.ndarray, radius: np.ndarray, out: np.ndarray, chunks: int
) -> list[Callable[[], Any]]:
    """Callables that fill ``out`` with scikit-learn KD-tree counts of ``d <= radius``, one per contiguous chunk of
    the tree order.

    Every chunk queries its own copy of the tree: scikit-learn's tree increments a call counter
    (``n_calls``) at every distance, so threads sharing one tree fight over that cache line and spend more CPU
    than on separate trees. A build costs little next to the queries, and copies built from the same points have
    the same point order.
    """
    tree = KDTree(points, metric="chebyshev")
    order = np.asarray(tree.get_arrays()[1])
    radius = radius[order]  # scikit-learn counts d <= r
    queries = points[order]
    bounds = np.linspace(0, points.shape[0], max(1, chunks) + 1).astype(np.int64)

    def task(lo: int, hi: int, own_tree: KDTree | None) -> Callable[[], None]:
        def run() -> None:
            searcher = own_tree if own_tree is not None else KDTree(points, metric="chebyshev")
            counts = searcher.query_radius(queries[lo:hi], radius[lo:hi], count_only=True)
            out[order[lo:hi]] = np.asarray(counts, dtype=np.int64) - 1  # the point itself is at distance 0

        return run

    return [task(int(lo), int(hi), tree if i == 0 else None) for i, (lo, hi) in enumerate(itertools.pairwise(bounds))]


def count_within_tree(points: np.ndarray, eps: np.ndarray, strict: bool = True, engine: str = "auto") -> np.ndarray:
    """For each i, the number of j != i with max-norm ``d(points[j], points[i]) < eps[i]`` (``<=`` when not
    ``strict``), by a KD-tree.

    ``engine`` is ``"compiled"`` (mibench's dual-tree count, :mod:`mibench.estimators._maxnorm_counts`),
    ``"sklearn"`` (``KDTree.query_radius(count_only=True)``) or ``"auto"`` (compiled where numba imports). Both
    give the same integers; the queries run in the tree's point order (cache locality), split over
    :func:`thread_count` threads.
    """
    out = np.empty(points.shape[0], dtype=np.int64)
    threads = _threads_for(points)
    _run_parallel(_tree_count_tasks(points, eps, strict, out, threads, engine), threads)
    return out


def count_within(points: np.ndarray, eps: np.ndarray, strict: bool = True) -> np.ndarray:
    """Max-norm neighbour counts (self excluded), by sorting for 1-D points, else by KD-tree."""
    if points.shape[1] == 1:
        return count_within_sorted_1d(points[:, 0], eps, strict)
    return count_within_tree(points, eps, strict)


def count_within_pair(
    x: np.ndarray, y: np.ndarray, eps_x: np.ndarray, eps_y: np.ndarray, strict: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`count_within` for both marginals at once: the tree counts of x and y share one thread pool.

    Each tree-counted marginal is split into :func:`thread_count` chunks, so two marginals give the pool twice as
    many tasks as threads: a thread that finishes early takes the next chunk instead of idling while the other
    marginal finishes (faster than one marginal per thread; more chunks than threads gain nothing more)."""
    n_x = np.empty(x.shape[0], dtype=np.int64)
    n_y = np.empty(y.shape[0], dtype=np.int64)
    threads = max(_threads_for(x), _threads_for(y))
    marginals = ((x, eps_x, n_x), (y, eps_y, n_y))
    tasks: list[Callable[[], Any]] = []
    for points, eps, out in marginals:
        if points.shape[1] == 1:
            out[:] = count_within_sorted_1d(points[:, 0], eps, strict)
        else:
            tasks += _tree_count_tasks(points, eps, strict, out, threads)
    _run_parallel(tasks, threads)
    return n_x, n_y


# --------------------------------------------------------------------------------------------------------------
# Brute force
# --------------------------------------------------------------------------------------------------------------


def _brute_block_rows(n: int, threads: int, block_rows: int | None) -> int:
    if block_rows is not None:
        return block_rows
    # dx, dy and their maximum (float64), plus a boolean mask, per row of a block, for each thread
    return max(1, _BRUTE_FORCE_BLOCK_BYTES // (threads * (3 * 8 + 1) * n))


def ksg_counts_brute_force(
    x: np.ndarray, y: np.ndarray, k: int, block_rows: int | None = None, algorithm: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KSG neighbour statistics by blocked brute-force max-norm distances.

    Algorithm 1 returns ``(eps, n_x, n_y)``: the joint k-th neighbour distance and the strict marginal counts
    (``< eps``, self excluded). Algorithm 2 returns ``(eps, n_x, n_y)`` with the non-strict counts
    ``d_x <= eps_x``, ``d_y <= eps_y``, where ``eps_x`` (``eps_y``) is the largest x (y) distance to a point at
    joint distance ``<= eps`` (see :func:`ksg2_extents_tree`). Rows are processed in blocks, spread over
    :func:`thread_count` threads, so memory is O(n * block_rows * threads), never an n x n matrix. The joint
    max-norm distance is the maximum of the two marginal ones, so each block needs only the two marginal
    distance matrices. Where ``eps == 0`` (k + 1 identical joint points) the algorithm-2 counts are not
    meaningful; the caller rejects such samples.
    """
    n = x.shape[0]
    threads = thread_count()  # blocks are big units of work: threads pay off from two blocks on (n >~ 1 500)
    rows = _brute_block_rows(n, threads, block_rows)
    eps = np.empty(n)
    n_x = np.empty(n, dtype=np.int64)
    n_y = np.empty(n, dtype=np.int64)

    def block(start: int) -> None:
        stop = min(n, start + rows)
        dx = cdist(x[start:stop], x, metric="chebyshev")
        dy = cdist(y[start:stop], y, metric="chebyshev")
        joint = np.maximum(dx, dy)
        # Column k of the partition is the (k+1)-th smallest distance, the point itself (0) included.
        block_eps = np.partition(joint, k, axis=1)[:, k]
        eps[start:stop] = block_eps
        if algorithm == 1:
            n_x[start:stop] = np.count_nonzero(dx < block_eps[:, None], axis=1) - 1
            n_y[start:stop] = np.count_nonzero(dy < block_eps[:, None], axis=1) - 1
            return
        outside = joint > block_eps[:, None]  # the joint neighbour set is the complement (i itself included)
        del joint
        for d, out in ((dx, n_x), (dy, n_y)):
            extent = np.where(outside, 0.0, d).max(axis=1)
            out[start:stop] = np.count_nonzero(d <= extent[:, None], axis=1) - 1

    starts = list(range(0, n, rows))
    _run_parallel([lambda s=s: block(s) for s in starts], threads)
    return eps, n_x, n_y

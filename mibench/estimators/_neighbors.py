"""Max-norm nearest-neighbour primitives for the k-NN estimators (KSG and relatives).

All distances are max-norm (Chebyshev): ``d(a, b) = max_c |a_c - b_c|``, computed exactly as
``abs(a_c - b_c)`` in float64 so that every code path (trees, sorted arrays, brute force) agrees bit for bit
with a naive reference. "Strictly within eps" means ``d < eps`` (Kraskov et al. 2004, algorithm 1).

Which primitive is fastest (measured for mibench, see REFERENCES.md "KSG as everybody computes it"):

* joint k-th neighbour distance: scipy ``cKDTree.query(p=inf, workers=-1)`` in low dimension;
* marginal counts: ``np.sort`` + ``np.searchsorted`` for 1-D marginals, scikit-learn
  ``KDTree.query_radius(count_only=True)`` otherwise (it counts whole nodes inside the radius);
* from about 20 joint dimensions on, trees prune nothing and blocked brute-force distances win.
"""

from __future__ import annotations

import os

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist
from sklearn.neighbors import KDTree

#: Joint dimension from which the blocked brute-force search replaces the trees.
BRUTE_FORCE_MIN_DIM = 20

#: Bytes of distance matrix held at once by the brute-force search (per block of query rows).
_BRUTE_FORCE_BLOCK_BYTES = 64 * 2**20


def query_workers() -> int:
    """Threads for cKDTree queries: the runner's per-worker cap (``MIBENCH_WORKER_THREADS``, set by
    :func:`mibench.runner.worker.limit_threads` so parallel jobs do not oversubscribe the cores), else all."""
    try:
        return max(1, int(os.environ["MIBENCH_WORKER_THREADS"]))
    except (KeyError, ValueError):
        return -1


def kth_neighbour_distance_tree(points: np.ndarray, k: int) -> np.ndarray:
    """Max-norm distance from each point to its k-th nearest other point (cKDTree).

    The query asks for ``k + 1`` neighbours including the point itself (at distance 0), so the last distance
    is the k-th neighbour's even when duplicate points make the tree return another copy before the point
    itself.
    """
    tree = cKDTree(points)
    dist, _ = tree.query(points, k=[k + 1], p=np.inf, workers=query_workers())
    return np.ascontiguousarray(dist[:, 0])


def count_within_sorted_1d(values: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """For each i, the number of j != i with ``|values[j] - values[i]| < eps[i]`` (1-D, O(n log n)).

    ``values`` is 1-D, ``eps`` positive. A binary search for ``values[i] +- eps[i]`` can be off by one where a
    point lies exactly at distance eps (which the k-th neighbour always does in one marginal), because
    ``fl(v_i + eps)`` rounds differently from ``fl(v_j - v_i)``. The search result is therefore corrected
    with the exact predicate: ``fl(s - v_i) < eps`` is monotone in ``s``, so the points within eps form a
    contiguous run ``[lo, hi)`` of the sorted array, and each correction step jumps over a whole run of
    equal values.
    """
    s = np.sort(values)
    n = s.shape[0]
    last = n - 1

    # hi: the number of sorted values s_j with s_j - v < eps (a prefix).
    hi = np.searchsorted(s, values + eps, side="left")
    # lo: the number of sorted values with NOT (v - s_j < eps) (a prefix; the rest is a suffix).
    lo = np.searchsorted(s, values - eps, side="right")
    for _ in range(100):
        changed = False
        prev = np.clip(hi - 1, 0, last)
        too_far = (hi > 0) & ~(s[prev] - values < eps)
        if too_far.any():
            hi[too_far] = np.searchsorted(s, s[prev[too_far]], side="left")
            changed = True
        cur = np.clip(hi, 0, last)
        too_short = (hi < n) & (s[cur] - values < eps)
        if too_short.any():
            hi[too_short] = np.searchsorted(s, s[cur[too_short]], side="right")
            changed = True
        cur = np.clip(lo, 0, last)
        too_low = (lo < n) & ~(values - s[cur] < eps)
        if too_low.any():
            lo[too_low] = np.searchsorted(s, s[cur[too_low]], side="right")
            changed = True
        prev = np.clip(lo - 1, 0, last)
        too_high = (lo > 0) & (values - s[prev] < eps)
        if too_high.any():
            lo[too_high] = np.searchsorted(s, s[prev[too_high]], side="left")
            changed = True
        if not changed:
            break
    else:  # pragma: no cover - rounding moves the bounds by a few runs at most
        raise RuntimeError("neighbour counting did not converge")
    return (hi - lo - 1).astype(np.int64)


def count_within_tree(points: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """For each i, the number of j != i with max-norm ``d(points[j], points[i]) < eps[i]`` (KD-tree).

    scikit-learn counts ``d <= r``; with ``r = nextafter(eps, 0)`` (the largest double below eps) that is
    exactly ``d < eps``. The point itself (distance 0) is subtracted.
    """
    tree = KDTree(points, metric="chebyshev")
    radius = np.nextafter(eps, 0.0)
    counts = tree.query_radius(points, radius, count_only=True)
    return np.asarray(counts, dtype=np.int64) - 1


def count_within(points: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Strict max-norm neighbour counts (self excluded), by sorting for 1-D points, else by KD-tree."""
    if points.shape[1] == 1:
        return count_within_sorted_1d(points[:, 0], eps)
    return count_within_tree(points, eps)


def ksg_counts_brute_force(
    x: np.ndarray, y: np.ndarray, k: int, block_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KSG neighbour statistics by blocked brute-force max-norm distances.

    Returns ``(eps, n_x, n_y)``: the joint k-th neighbour distance and the strict marginal counts (self
    excluded). Rows are processed in blocks, so memory is O(n * block_rows), never an n x n matrix. The joint
    max-norm distance is the maximum of the two marginal ones, so each block needs only the two marginal
    distance matrices.
    """
    n = x.shape[0]
    if block_rows is None:
        block_rows = max(1, _BRUTE_FORCE_BLOCK_BYTES // (3 * 8 * n))
    eps = np.empty(n)
    n_x = np.empty(n, dtype=np.int64)
    n_y = np.empty(n, dtype=np.int64)
    for start in range(0, n, block_rows):
        stop = min(n, start + block_rows)
        dx = cdist(x[start:stop], x, metric="chebyshev")
        dy = cdist(y[start:stop], y, metric="chebyshev")
        joint = np.maximum(dx, dy)
        # Column k of the partition is the (k+1)-th smallest distance, the point itself (0) included.
        block_eps = np.partition(joint, k, axis=1)[:, k]
        eps[start:stop] = block_eps
        n_x[start:stop] = np.count_nonzero(dx < block_eps[:, None], axis=1) - 1
        n_y[start:stop] = np.count_nonzero(dy < block_eps[:, None], axis=1) - 1
    return eps, n_x, n_y

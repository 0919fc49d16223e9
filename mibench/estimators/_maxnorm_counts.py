"""Compiled max-norm range counts with a radius per query point: the marginal-count step of KSG.

KSG needs, for every sample point i, ``n(i) = #{j : max_c |p_jc - p_ic| <= r_i}`` (the caller turns the strict
``< eps`` of algorithm 1 into ``<= nextafter(eps, 0)``). General-purpose trees answer this one query point at a
time; here the queries are the tree's own points, so they are processed in *groups*: subtrees of at most
:data:`GROUP_SIZE` points that lie close together and walk the tree together (a dual-tree traversal, Gray and
Moore 2001, "N-body problems in statistical learning").

For a group Q of queries and a tree node N, both with bounding boxes:

* if the boxes are farther apart than the largest radius in Q, N is skipped for the whole group;
* if every point of N is within the smallest radius of every point of Q, all of N counts for the whole group;
* otherwise each query of Q still undecided is tested against N's box on its own (skip, count all of N, or
  keep it undecided); the undecided ones (a 64-bit mask) go on to N's children, or, at a leaf, are compared
  with N's points one by one.

All tests are branch-free maxima of float64 differences. They are exact, not approximate: rounding is monotone, so
``fl(lo_c - q_c) <= fl(p_c - q_c)`` for every point p of a box with lower corner lo (likewise for the upper
corner and between two boxes), and a box test decides only what every point of the box would decide on its own
with the same ``abs(p_c - q_c)`` that every other mibench code path uses. The counts are therefore identical to
a brute-force count, which the tests check.

The kernels are compiled with numba (compiled on first use and cached on disk; this module imports numba, so
:mod:`mibench.estimators._neighbors` imports it only when a count is asked for) and release the GIL, so the
groups are split over mibench's own threads. It replaces scikit-learn's ``KDTree.query_radius(count_only=True)``
(the fallback) because one walk decides a whole group of neighbouring queries where a library tree walks once per
query; reports/ksg_speed.md compares the two (``benchmarks/test_ksg.py`` regenerates the comparison).
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

from mibench.estimators._threads import run_parallel

#: Points per leaf of the tree: the leaf is compared point by point with the undecided queries.
LEAF_SIZE = 16

#: Queries walking the tree together; at most 64 (one bit each in the mask of undecided queries).
GROUP_SIZE = 64

#: Deepest tree the traversal stack holds (a median split halves the points, so depth ~ log2(n / LEAF_SIZE)).
_MAX_DEPTH = 64


_jit = numba.njit(nogil=True, cache=True, boundscheck=False)


@_jit
def _select(order, points, dim, start, stop, kth):  # pragma: no cover - compiled
    """Partially sort ``order[start:stop]`` by ``points[order, dim]`` so that position ``kth`` holds the
    element it would hold in sorted order, smaller-or-equal keys before it and greater-or-equal after
    (quickselect with three-way partitioning, so runs of equal keys from discrete data cost O(m))."""
    lo, hi = start, stop - 1
    while lo < hi:
        mid = (lo + hi) // 2
        a, b, c = points[order[lo], dim], points[order[mid], dim], points[order[hi], dim]
        pivot = max(min(a, b), min(max(a, b), c))  # median of three
        lt, i, gt = lo, lo, hi
        while i <= gt:
            v = points[order[i], dim]
            if v < pivot:
                order[lt], order[i] = order[i], order[lt]
                lt += 1
                i += 1
            elif v > pivot:
                order[gt], order[i] = order[i], order[gt]
                gt -= 1
            else:
                i += 1
        if kth < lt:
            hi = lt - 1
        elif kth > gt:
            lo = gt + 1
        else:
            return


@_jit
def _build(points, leaf_size):  # pragma: no cover - compiled
    """A kd-tree: split each node at the median of its widest coordinate until at most ``leaf_size``
    points remain. Returns the point order and, per node, its range in that order, children (-1 at a
    leaf) and bounding box (the exact minima and maxima of its points)."""
    n, d = points.shape
    capacity = 2 * (n // max(1, leaf_size // 2) + 1)
    order = np.arange(n)
    start = np.empty(capacity, np.int64)
    stop = np.empty(capacity, np.int64)
    left = np.full(capacity, -1, np.int64)
    right = np.full(capacity, -1, np.int64)
    lo = np.empty((capacity, d))
    hi = np.empty((capacity, d))
    pending = np.empty(capacity, np.int64)
    start[0], stop[0] = 0, n
    count, top = 1, 1
    pending[0] = 0
    while top > 0:
        top -= 1
        node = pending[top]
        s, e = start[node], stop[node]
        for c in range(d):
            lo[node, c] = points[order[s], c]
            hi[node, c] = points[order[s], c]
        for t in range(s + 1, e):
            for c in range(d):
                v = points[order[t], c]
                lo[node, c] = min(lo[node, c], v)
                hi[node, c] = max(hi[node, c], v)
        if e - s <= leaf_size:
            continue
        widest, spread = 0, -1.0
        for c in range(d):
            if hi[node, c] - lo[node, c] > spread:
                widest, spread = c, hi[node, c] - lo[node, c]
        mid = (s + e) // 2
        _select(order, points, widest, s, e, mid)
        left[node], right[node] = count, count + 1
        start[count], stop[count] = s, mid
        start[count + 1], stop[count + 1] = mid, e
        pending[top], pending[top + 1] = count, count + 1
        top += 2
        count += 2
    return order, start[:count], stop[:count], left[:count], right[:count], lo[:count], hi[:count]


@_jit
def _count_groups(points, radius, start, stop, left, right, lo, hi, groups, out):  # pragma: no cover
    """For the queries of each group node in ``groups`` (points in tree order, one radius each), write
    ``#{j : max_c |p_jc - p_ic| <= radius_i}`` (the point itself included) into ``out`` (tree order)."""
    d = points.shape[1]
    stack_node = np.empty(2 * _MAX_DEPTH + 2, np.int64)
    stack_mask = np.empty(2 * _MAX_DEPTH + 2, np.uint64)
    one = np.uint64(1)
    for g in range(groups.shape[0]):
        group = groups[g]
        qs, qe = start[group], stop[group]
        r_min, r_max = radius[qs], radius[qs]
        everyone = np.uint64(0)
        for i in range(qs, qe):
            out[i] = 0
            r_min = min(r_min, radius[i])
            r_max = max(r_max, radius[i])
            everyone |= one << np.uint64(i - qs)
        stack_node[0], stack_mask[0] = 0, everyone
        top = 1
        while top > 0:
            top -= 1
            node, mask = stack_node[top], stack_mask[top]
            gap, reach = 0.0, 0.0  # nearest and farthest max-norm distance between the two boxes
            for c in range(d):
                gap = max(gap, max(lo[node, c] - hi[group, c], lo[group, c] - hi[node, c]))
                reach = max(reach, max(hi[node, c] - lo[group, c], hi[group, c] - lo[node, c]))
            if gap > r_max:
                continue
            size = stop[node] - start[node]
            if reach <= r_min:
                for t in range(qe - qs):
                    if (mask >> np.uint64(t)) & one:
                        out[qs + t] += size
                continue
            undecided = np.uint64(0)
            for t in range(qe - qs):
                if not (mask >> np.uint64(t)) & one:
                    continue
                i = qs + t
                near, far = 0.0, 0.0
                for c in range(d):
                    p = points[i, c]
                    near = max(near, max(lo[node, c] - p, p - hi[node, c]))
                    far = max(far, max(hi[node, c] - p, p - lo[node, c]))
                if near > radius[i]:
                    continue
                if far <= radius[i]:
                    out[i] += size
                    continue
                undecided |= one << np.uint64(t)
            if undecided == 0:
                continue
            if left[node] < 0:
                for t in range(qe - qs):
                    if not (undecided >> np.uint64(t)) & one:
                        continue
                    i = qs + t
                    inside = 0
                    for j in range(start[node], stop[node]):
                        distance = 0.0
                        for c in range(d):
                            distance = max(distance, abs(points[j, c] - points[i, c]))
                        inside += distance <= radius[i]
                    out[i] += inside
                continue
            stack_node[top], stack_mask[top] = left[node], undecided
            stack_node[top + 1], stack_mask[top + 1] = right[node], undecided
            top += 2


def _group_nodes(start: np.ndarray, stop: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The largest subtrees of at most :data:`GROUP_SIZE` points (they partition the points), in tree order."""
    size = stop - start
    parent_size = np.full(size.shape[0], np.iinfo(np.int64).max)
    internal = np.flatnonzero(left >= 0)
    parent_size[left[internal]] = size[internal]
    parent_size[right[internal]] = size[internal]
    groups = np.flatnonzero((size <= GROUP_SIZE) & (parent_size > GROUP_SIZE))
    return groups[np.argsort(start[groups], kind="stable")]


def count_within_radius_tasks(
    points: np.ndarray, radius: np.ndarray, out: np.ndarray, chunks: int
) -> list[Callable[[], None]]:
    """Callables that fill ``out[i]`` with ``#{j != i : max_c |points[j, c] - points[i, c]| <= radius[i]}``.

    The tree is built here (once); the queries are split into ``chunks`` contiguous runs of groups, one per
    callable, which release the GIL and write disjoint entries of ``out``, so they may run on threads.
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    if points.shape[0] == 0:
        return []
    if radius.shape[0] and not (radius >= 0).all():
        raise ValueError("radii must be non-negative")
    order, start, stop, left, right, lo, hi = _build(points, LEAF_SIZE)
    if _depth(left, right) > _MAX_DEPTH:  # pragma: no cover - needs more than 2**64 points
        raise ValueError("tree too deep for the counting kernel")
    ordered_points = np.ascontiguousarray(points[order])
    ordered_radius = np.ascontiguousarray(radius[order], dtype=np.float64)
    counts = np.empty(points.shape[0], dtype=np.int64)
    groups = _group_nodes(start, stop, left, right)

    def task(run: np.ndarray) -> Callable[[], None]:
        def count() -> None:
            _count_groups(ordered_points, ordered_radius, start, stop, left, right, lo, hi, run, counts)
            first, last = start[run[0]], stop[run[-1]]
            out[order[first:last]] = counts[first:last] - 1  # the point itself is at distance 0

        return count

    return [task(run) for run in np.array_split(groups, max(1, min(chunks, groups.shape[0]))) if run.size]


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """Number of levels of the tree (1 for a single leaf)."""
    level, depth = np.array([0]), 0
    while level.size:
        depth += 1
        level = np.concatenate([left[level], right[level]])
        level = level[level >= 0]
    return depth


def count_within_radius(points: np.ndarray, radius: np.ndarray, threads: int = 1) -> np.ndarray:
    """``#{j != i : max_c |points[j, c] - points[i, c]| <= radius[i]}`` for each i, on ``threads`` threads."""
    out = np.empty(points.shape[0], dtype=np.int64)
    run_parallel(count_within_radius_tasks(points, radius, out, threads), threads)
    return out

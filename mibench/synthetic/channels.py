r"""Gaussian channels: a uniform input from a finite set of points, observed through additive Gaussian noise.

``X`` is uniform on ``k`` inputs, each with a clean representation (centre) ``c(X)`` in ``R^d``, and

    T = c(X) + Z,    Z ~ N(0, s^2 I_d),

the model of a noisy neural network layer and of the Gaussian-convolution ("sample propagation") estimator (Goldfeld
et al., "Estimating information flow in deep neural networks", ICML 2019; Goldfeld, Greenewald & Polyanskiy,
"Estimating differential entropy under Gaussian convolutions", arXiv 1810.11589). ``I(X; T) = h(T) - d/2 log(2 pi e
s^2)`` with ``h(T)`` the entropy of the Gaussian mixture over the centres; with a label ``Y = y(X)``,
``I(T; Y) = h(T) - sum_y P(y) h(T | Y = y)``. The truths come from :mod:`mibench.synthetic.mixture_truth`.

Every task carries its :class:`~mibench.interface.Channel` (noise ``s``, the clean rows before the noise), so the
white-box estimators (Gaussian convolution, the KDE bounds) can run on it. Two orientations:

* ``target="input"`` (ids without a suffix): the pair ``(X, T)``; ``x`` is the channel's input -- the point (line),
  the corner (cube), the message bits as 0.0/1.0 (Reed-Muller), the neuron's input ``X`` (tanh) -- and ``y = T``.
  Context ``x_strategy="none"`` (binning takes the inputs as symbols, as for the network tasks).
* ``target="labels"`` (suffix ``-labels``): the pair ``(T, Y)``; ``x = T`` and ``y`` an int64 label (0/1).
  Context ``y_strategy="none"``.

Centre sets (family ``"channel"``; ``s`` printed as the shortest decimal, e.g. ``s0.1``, ``s1``):

* **line** -- ``k`` equally spaced points in ``[-1, 1]``, ``d = 1``. Label: ``1`` if the point is ``> 0``. Truth:
  1-D quadrature. Id ``channel-line-k{k}-s{s}[-labels]``.
* **cube** -- the ``2^d`` corners of ``{-1, 1}^d``. The coordinates of a uniform corner are independent and the
  noise is isotropic, so ``I(X; T) = d I_1`` with ``I_1`` the two-point (``+-1``) 1-D quadrature. Label: ``1`` if
  the first coordinate is ``+1``; the other coordinates are independent of ``(Y, T_1)``, so
  ``I(T; Y) = I(T_1; X_1) = I_1``. Id ``channel-cube-d{d}-s{s}[-labels]``.
* **Reed-Muller** ``RM(r, m)`` with BPSK -- the codewords are the evaluations at the ``2^m`` points of ``{0,1}^m``
  of every binary polynomial of degree ``<= r`` in ``m`` variables; a message is the polynomial's
  ``K = sum_{i<=r} C(m, i)`` coefficients, so there are ``2^K`` codewords of length ``2^m`` with minimum Hamming
  distance ``2^(m-r)`` (MacWilliams & Sloane, ch. 13). BPSK sends bit 0 as ``+1`` and 1 as ``-1``. The point with
  index ``j`` has coordinates the bits of ``j`` (``u_i = (j >> i) & 1``); monomials are ordered by degree, then
  lexicographically. Label: the message's parity, i.e. the codeword's bit at the all-ones point (the last
  coordinate: every monomial is 1 there). Truth: Monte Carlo (:func:`~mibench.synthetic.mixture_truth.channel_mi`
  over the whole codebook), stored in :data:`PRECOMPUTED` with the seed and draws used (standard error ``< 1e-3``
  nats); only stored ``(r, m, s)`` are tasks. Id ``channel-rm{r}-{m}-s{s}[-labels]``.
* **tanh neuron** -- ``X`` uniform on ``{-3, -1, 1, 3}``, ``T = tanh(w X) + N(0, s^2)``. REFERENCES records this
  construction from Goldfeld et al. as recalled, not verified in their text (which also has a bias); we use no
  bias and choose ``s = 0.1`` (:data:`TANH_NOISE`) so that the sweep :data:`TANH_WEIGHTS` (``w`` from 0.05 to 10)
  shows the shape described there: ``I(X; T)`` rises from 0.57 bits (``w = 0.05``) to 1.95 bits (``w = 0.5``,
  nearly ``log 4``: the four bumps apart) and falls to 1 bit (``w >= 3``: ``tanh(3w)`` and ``tanh(w)`` merge
  as tanh saturates, leaving two bumps at ``+-1``). Label: ``1`` if ``X > 0``. Truth: 1-D quadrature. Id
  ``channel-tanh-w{w}-s{s}[-labels]``.

Quadrature truths are accurate to 1e-12 nats (``truth="quadrature"``, ``mi_stderr=0``); Monte-Carlo truths
carry their standard error. ``python -m mibench.synthetic.channels`` recomputes and prints :data:`PRECOMPUTED`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np

from mibench.interface import Channel, Task
from mibench.synthetic.mixture_truth import MonteCarloValue, channel_mi, channel_mi_quadrature
from mibench.synthetic.naming import format_number
from mibench.validation import check_int, check_positive, check_real

FAMILY = "channel"
VERSION = "1"

#: The tanh neuron's inputs.
TANH_INPUTS = (-3.0, -1.0, 1.0, 3.0)
#: The noise of the tanh sweep (see the module docstring).
TANH_NOISE = 0.1
#: The weights of the tanh sweep.
TANH_WEIGHTS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)

#: Largest cube dimension and line size accepted (the codebook is drawn by index: nothing of size 2^d is stored).
MAX_CUBE_DIM = 30
MAX_LINE_POINTS = 1 << 20

KINDS = ("line", "cube", "rm", "tanh")


# --------------------------------------------------------------------------------------------------------------
# Codebooks
# --------------------------------------------------------------------------------------------------------------


@cache
def reed_muller_generator(r: int, m: int) -> np.ndarray:
    """The ``K x 2^m`` generator matrix of ``RM(r, m)`` (uint8): row ``S`` is the monomial ``prod_{i in S} u_i``
    (``S`` a subset of ``{0..m-1}`` with ``|S| <= r``, by size then lexicographically) evaluated at the points
    ``u(j) = ((j >> i) & 1)_i``, ``j = 0 .. 2^m - 1``. Read-only."""
    r = check_int("r (degree)", r, 0)
    m = check_int("m (variables)", m, 1, 16)
    if r > m:
        raise ValueError(f"r (degree) must be <= m = {m}, got {r}")
    points = (np.arange(1 << m)[:, None] >> np.arange(m)) & 1  # (2^m, m)
    rows = [
        np.prod(points[:, list(subset)], axis=1) if subset else np.ones(1 << m, dtype=np.int64)
        for size in range(r + 1)
        for subset in itertools.combinations(range(m), size)
    ]
    generator = np.array(rows, dtype=np.uint8)
    generator.setflags(write=False)
    return generator


def reed_muller_codebook(r: int, m: int) -> np.ndarray:
    """All ``2^K`` codewords of ``RM(r, m)`` as 0/1 (uint8), row ``i`` the codeword of the message whose bit ``b``
    (coefficient of the ``b``-th monomial) is ``(i >> b) & 1``."""
    generator = reed_muller_generator(r, m)
    k = generator.shape[0]
    messages = (np.arange(1 << k)[:, None] >> np.arange(k)) & 1
    return ((messages @ generator) & 1).astype(np.uint8)


@dataclass(frozen=True)
class Codebook:
    """A finite set of channel inputs, by kind and parameters (hashable and picklable; nothing large is stored).

    ``line``: ``size`` points; ``cube``: dimension ``size``; ``rm``: ``RM(size, order)`` (``size`` = r, ``order`` =
    m); ``tanh``: weight ``weight``. :meth:`rows` builds the inputs, centres and labels of given indices.
    """

    kind: str
    size: int
    order: int = 0
    weight: float = 0.0

    @property
    def n_inputs(self) -> int:
        """``k``, the number of (equally likely) inputs."""
        if self.kind == "line":
            return self.size
        if self.kind == "cube":
            return 1 << self.size
        if self.kind == "rm":
            return 1 << reed_muller_generator(self.size, self.order).shape[0]
        return len(TANH_INPUTS)

    @property
    def dim_input(self) -> int:
        """The dimension of ``x`` (the input's representation)."""
        if self.kind == "cube":
            return self.size
        if self.kind == "rm":
            return int(reed_muller_generator(self.size, self.order).shape[0])
        return 1

    @property
    def dim_centre(self) -> int:
        """The dimension ``d`` of the centres (and of ``T``)."""
        if self.kind == "cube":
            return self.size
        if self.kind == "rm":
            return 1 << self.order
        return 1

    def rows(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(inputs, centres, labels)`` of the inputs with these indices: float64 ``(n, dim_input)``, float64
        ``(n, dim_centre)``, int64 ``(n,)``."""
        index = np.asarray(index, dtype=np.int64).reshape(-1)
        if self.kind == "line":
            points = np.linspace(-1.0, 1.0, self.size)[index].reshape(-1, 1)
            return points, points.copy(), (points[:, 0] > 0).astype(np.int64)
        if self.kind == "cube":
            corners = 1.0 - 2.0 * ((index[:, None] >> np.arange(self.size)) & 1)
            return corners, corners.copy(), (corners[:, 0] > 0).astype(np.int64)
        if self.kind == "rm":
            generator = reed_muller_generator(self.size, self.order)
            messages = (index[:, None] >> np.arange(generator.shape[0])) & 1
            bits = (messages @ generator) & 1
            return messages.astype(np.float64), 1.0 - 2.0 * bits, bits[:, -1].astype(np.int64)
        inputs = np.asarray(TANH_INPUTS)[index].reshape(-1, 1)
        return inputs, np.tanh(self.weight * inputs), (inputs[:, 0] > 0).astype(np.int64)

    def all_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`rows` of every input, in index order."""
        return self.rows(np.arange(self.n_inputs))


@dataclass(frozen=True)
class CodebookSampler:
    """The clean rows of a channel task: an input index uniform on the codebook, then ``(x, centre)`` for
    ``target="input"`` or ``(centre, label)`` for ``target="labels"`` (the channel adds the noise to the centre)."""

    codebook: Codebook
    target: str

    def __call__(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        inputs, centres, labels = self.codebook.rows(rng.integers(0, self.codebook.n_inputs, size=n))
        if self.target == "input":
            return inputs, centres
        return centres, labels.reshape(n, 1)


# --------------------------------------------------------------------------------------------------------------
# Stored Monte-Carlo truths
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredTruth:
    """A Monte-Carlo truth computed once by :func:`compute_truth` (``channel_mi`` with this seed and draws)."""

    mi: float
    stderr: float
    draws_per_centre: int
    seed: int


#: Reed-Muller truths by task id: ``channel_mi`` over the whole codebook with the stored seed and draws per codeword
#: (``python -m mibench.synthetic.channels`` recomputes them).
PRECOMPUTED: dict[str, StoredTruth] = {
    "channel-rm1-4-s1": StoredTruth(3.3358399192545005, 0.0003165825837117335, 100_000, 1),  # 3_200_000 draws
    "channel-rm1-4-s2": StoredTruth(1.6936999864750697, 0.0004726481264698209, 300_000, 2),  # 9_600_000 draws
    "channel-rm1-4-s2-labels": StoredTruth(0.19270063964284342, 0.00028212662115634246, 100_000, 3),  # 3_200_000 draws
    "channel-rm2-4-s1": StoredTruth(5.297761769612456, 0.0008312487955318854, 3_000, 4),  # 6_144_000 draws
    "channel-rm2-4-s2": StoredTruth(1.783806086942042, 0.0008346600292778929, 2_000, 5),  # 4_096_000 draws
    "channel-rm2-4-s1-labels": StoredTruth(0.3714887532063348, 0.0006174631343061259, 400, 6),  # 819_200 draws
    "channel-rm1-5-s2": StoredTruth(3.00981588641529, 0.0005999782765768987, 100_000, 7),  # 6_400_000 draws
    "channel-rm1-5-s2-labels": StoredTruth(0.3460626274557541, 0.00039632924945638, 30_000, 8),  # 1_920_000 draws
}


def compute_truth(task_id: str) -> MonteCarloValue:
    """Recompute a stored truth from its entry in :data:`PRECOMPUTED` (the same seed and draws: the same value)."""
    stored = PRECOMPUTED[task_id]
    codebook, noise_std, labelled = _parse(task_id)
    return monte_carlo_truth(codebook, noise_std, labelled, draws_per_centre=stored.draws_per_centre, seed=stored.seed)


def monte_carlo_truth(
    codebook: Codebook, noise_std: float, labelled: bool, *, draws_per_centre: int, seed: int
) -> MonteCarloValue:
    """``channel_mi`` over every input of ``codebook`` (``I(T; Y)`` with its labels when ``labelled``)."""
    _, centres, labels = codebook.all_rows()
    return channel_mi(
        centres, noise_std, labels=labels if labelled else None, draws_per_centre=draws_per_centre, seed=seed
    )


# --------------------------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------------------------


def _quadrature_truth(codebook: Codebook, noise_std: float, labels: bool) -> float:
    """The quadrature truth of a codebook of one-dimensional centres: I(X;T), or I(T;Y) with ``labels``."""
    _, centres, y = codebook.all_rows()
    return channel_mi_quadrature(centres[:, 0], noise_std, labels=y if labels else None)


def _suffix(labelled: bool) -> str:
    return "-labels" if labelled else ""


def _task(
    codebook: Codebook,
    task_id: str,
    noise_std: float,
    labelled: bool,
    mi: float,
    *,
    stderr: float,
    truth: str,
    params: dict[str, object],
    description: str,
) -> Task:
    target = "labels" if labelled else "input"
    channel = Channel(noise_std, target, CodebookSampler(codebook, target))
    dims = (codebook.dim_centre, 1) if labelled else (codebook.dim_input, codebook.dim_centre)
    quantity = "I(T; Y)" if labelled else "I(X; T)"
    return Task(
        id=task_id,
        family=FAMILY,
        dim_x=dims[0],
        dim_y=dims[1],
        mi=max(float(mi), 0.0),
        sampler=channel.sampler(),
        mi_stderr=float(stderr),
        truth=truth,
        params={**params, "noise_std": noise_std, "target": target, "n_inputs": codebook.n_inputs},
        version=VERSION,
        description=f"{quantity}, {description} + N(0, {format_number(noise_std)}^2 I)",
        discrete=False,
        context={"y_strategy": "none"} if labelled else {"x_strategy": "none"},
        channel=channel,
    )


def line_channel(k: int, noise_std: float, *, labels: bool = False) -> Task:
    """``k`` equally spaced points in ``[-1, 1]`` through ``N(0, s^2)``: ``I(X; T)``, or ``I(T; Y)`` with
    ``Y = [point > 0]`` (1-D quadrature)."""
    k = check_int("k (number of points)", k, 2, MAX_LINE_POINTS)
    s = check_positive("noise_std", noise_std)
    codebook = Codebook("line", k)
    mi = _quadrature_truth(codebook, s, labels)
    return _task(
        codebook,
        f"{FAMILY}-line-k{k}-s{format_number(s)}{_suffix(labels)}",
        s,
        labels,
        mi,
        stderr=0.0,
        truth="quadrature",
        params={"kind": "line", "k": k, "labels": "point > 0" if labels else None},
        description=f"X uniform on {k} points in [-1, 1], T = X",
    )


def cube_channel(d: int, noise_std: float, *, labels: bool = False) -> Task:
    """The ``2^d`` corners of ``{-1, 1}^d`` through ``N(0, s^2 I_d)``: ``I(X; T) = d I_1``, or ``I(T; Y) = I_1`` with
    ``Y = [first coordinate = +1]`` (``I_1`` the two-point 1-D quadrature)."""
    d = check_int("d (dimension)", d, 1, MAX_CUBE_DIM)
    s = check_positive("noise_std", noise_std)
    one = channel_mi_quadrature(np.array([-1.0, 1.0]), s)
    return _task(
        Codebook("cube", d),
        f"{FAMILY}-cube-d{d}-s{format_number(s)}{_suffix(labels)}",
        s,
        labels,
        one if labels else d * one,
        stderr=0.0,
        truth="quadrature",
        params={"kind": "cube", "d": d, "labels": "first coordinate = +1" if labels else None},
        description=f"X uniform on the {1 << d} corners of {{-1,1}}^{d}, T = X",
    )


def reed_muller_channel(r: int, m: int, noise_std: float, *, labels: bool = False) -> Task:
    """BPSK codewords of ``RM(r, m)`` through ``N(0, s^2 I_{2^m})``: ``I(X; T)``, or ``I(T; Y)`` with ``Y`` the
    message's parity. The truth is the stored Monte Carlo (:data:`PRECOMPUTED`).

    Raises:
        ValueError: no stored truth for this ``(r, m, s)`` (the message lists the stored ids).
    """
    r = check_int("r (degree)", r, 0)
    m = check_int("m (variables)", m, 1, 16)
    s = check_positive("noise_std", noise_std)
    task_id = f"{FAMILY}-rm{r}-{m}-s{format_number(s)}{_suffix(labels)}"
    stored = PRECOMPUTED.get(task_id)
    if stored is None:
        raise ValueError(
            f"no stored Monte-Carlo truth for {task_id}; the stored Reed-Muller tasks are {sorted(PRECOMPUTED)}"
        )
    codebook = Codebook("rm", r, m)
    k = reed_muller_generator(r, m).shape[0]
    return _task(
        codebook,
        task_id,
        s,
        labels,
        stored.mi,
        stderr=stored.stderr,
        truth="monte carlo",
        params={
            "kind": "rm",
            "r": r,
            "m": m,
            "labels": "message parity (last code bit)" if labels else None,
            "truth_draws_per_centre": stored.draws_per_centre,
            "truth_seed": stored.seed,
        },
        description=f"X uniform on the {1 << k} messages of RM({r},{m}), T = BPSK codeword (length {1 << m})",
    )


def tanh_channel(weight: float, noise_std: float = TANH_NOISE, *, labels: bool = False) -> Task:
    """The tanh neuron: ``X`` uniform on ``{-3, -1, 1, 3}``, ``T = tanh(w X) + N(0, s^2)``: ``I(X; T)``, or
    ``I(T; Y)`` with ``Y = [X > 0]`` (1-D quadrature)."""
    w = check_real("weight", weight, 0.0, low_open=True)
    s = check_positive("noise_std", noise_std)
    codebook = Codebook("tanh", 1, weight=w)
    mi = _quadrature_truth(codebook, s, labels)
    return _task(
        codebook,
        f"{FAMILY}-tanh-w{format_number(w)}-s{format_number(s)}{_suffix(labels)}",
        s,
        labels,
        mi,
        stderr=0.0,
        truth="quadrature",
        params={"kind": "tanh", "weight": w, "inputs": list(TANH_INPUTS), "labels": "X > 0" if labels else None},
        description=f"X uniform on {{-3,-1,1,3}}, T = tanh({format_number(w)} X)",
    )


def tanh_sweep(noise_std: float = TANH_NOISE, *, labels: bool = False) -> list[Task]:
    """The tanh neuron over :data:`TANH_WEIGHTS` (rising to ~2 bits, then falling to 1 bit at ``s = 0.1``)."""
    return [tanh_channel(w, noise_std, labels=labels) for w in TANH_WEIGHTS]


_NUMBER = r"(?:\d+(?:\.\d+)?)"
_ID_PATTERN = re.compile(
    rf"^{FAMILY}-(?:line-k(?P<k>\d+)|cube-d(?P<d>\d+)|rm(?P<r>\d+)-(?P<m>\d+)|tanh-w(?P<w>{_NUMBER}))"
    rf"-s(?P<s>{_NUMBER})(?P<labels>-labels)?$"
)


def _parse(task_id: str) -> tuple[Codebook, float, bool]:
    match = _ID_PATTERN.match(task_id)
    if match is None:
        raise ValueError(f"{task_id!r} is not a channel task id")
    s, labelled = float(match["s"]), match["labels"] is not None
    if match["k"] is not None:
        return Codebook("line", int(match["k"])), s, labelled
    if match["d"] is not None:
        return Codebook("cube", int(match["d"])), s, labelled
    if match["r"] is not None:
        return Codebook("rm", int(match["r"]), int(match["m"])), s, labelled
    return Codebook("tanh", 1, weight=float(match["w"])), s, labelled


def from_id(task_id: str) -> Task | None:
    """Rebuild a channel task from its id; ``None`` if the id is not of this family's forms, names parameters out
    of range, is not the canonical spelling, or is a Reed-Muller task without a stored truth."""
    if _ID_PATTERN.match(task_id) is None:
        return None
    codebook, s, labelled = _parse(task_id)
    try:
        if codebook.kind == "line":
            task = line_channel(codebook.size, s, labels=labelled)
        elif codebook.kind == "cube":
            task = cube_channel(codebook.size, s, labels=labelled)
        elif codebook.kind == "rm":
            if task_id not in PRECOMPUTED:
                return None
            task = reed_muller_channel(codebook.size, codebook.order, s, labels=labelled)
        else:
            task = tanh_channel(codebook.weight, s, labels=labelled)
    except ValueError:
        return None
    return task if task.id == task_id else None  # one spelling per task


# --------------------------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------------------------


def catalogue_tasks() -> Iterator[Task]:
    """The channel tasks of the named catalogue: a few lines, cubes up to d = 10, the stored Reed-Muller tasks and
    part of the tanh sweep, with labelled versions of each kind (about two dozen tasks, cheap to build)."""
    for k, s in ((4, 0.5), (8, 0.2), (16, 0.05)):
        yield line_channel(k, s)
    yield line_channel(8, 0.2, labels=True)
    for d, s in ((2, 0.5), (5, 0.5), (10, 0.5), (10, 1.0)):
        yield cube_channel(d, s)
    yield cube_channel(5, 0.5, labels=True)
    for task_id in PRECOMPUTED:
        codebook, s, labelled = _parse(task_id)
        yield reed_muller_channel(codebook.size, codebook.order, s, labels=labelled)
    for w in (0.05, 0.2, 0.5, 1.5, 3.0, 10.0):
        yield tanh_channel(w)
    for w in (0.05, 0.2):
        yield tanh_channel(w, labels=True)


def _print_table() -> None:  # pragma: no cover - run by hand to regenerate PRECOMPUTED
    for task_id, stored in PRECOMPUTED.items():
        value = compute_truth(task_id)
        print(
            f'    "{task_id}": StoredTruth({value.value!r}, {value.stderr!r}, {stored.draws_per_centre}, '
            f"{stored.seed}),  # {value.draws} draws"
        )


if __name__ == "__main__":  # pragma: no cover
    _print_table()

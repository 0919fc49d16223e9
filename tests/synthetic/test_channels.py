"""Gaussian-channel tasks: codebooks from their definitions, truths by independent routes, the samplers (clean rows,
noise, uniform inputs), ids and the catalogue.

Tolerances: a Monte-Carlo value with standard error SE is compared with a quadrature truth (error < 1e-12) within
5 SE, and with another Monte-Carlo value (SE') within 5 sqrt(SE^2 + SE'^2): a false alarm has probability ~6e-7 per
comparison. Goodness-of-fit tests (chi-square, Kolmogorov-Smirnov) reject at p < 1e-6. Quadrature truths are
compared with other quadratures to 1e-12 and with exact limits to 1e-12.

The recomputation of every stored Monte-Carlo truth at its stored precision takes a few minutes; it runs when the
environment variable ``MIBENCH_RECOMPUTE_TRUTHS`` is set (``MIBENCH_RECOMPUTE_TRUTHS=1 pytest -m slow
tests/synthetic/test_channels.py``); the default suite checks every stored truth against independent, cheaper
estimates instead.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import pickle

import numpy as np
import pytest
from scipy import integrate, special, stats

import mibench
from mibench.synthetic import channels
from mibench.synthetic.channels import (
    PRECOMPUTED,
    TANH_INPUTS,
    TANH_NOISE,
    TANH_WEIGHTS,
    Codebook,
    catalogue_tasks,
    compute_truth,
    cube_channel,
    from_id,
    line_channel,
    reed_muller_channel,
    reed_muller_codebook,
    reed_muller_generator,
    tanh_channel,
    tanh_sweep,
)
from mibench.synthetic.mixture_truth import channel_mi

CATALOGUE = list(catalogue_tasks())
QUAD_TOL = 1e-12


def _within(value: float, se: float, other: float, se_other: float = 0.0) -> bool:
    # QUAD_TOL: the error of a quadrature truth (and of rounding when both standard errors are ~0).
    return abs(value - other) < 5 * math.hypot(se, se_other) + QUAD_TOL


def _bpsk_mi(s: float) -> float:
    """X = +-1 through N(0, s^2): I = log 2 - E_z log(1 + exp(-2 (1 + s z) / s^2)) (the posterior log-odds of
    t = 1 + s z is 2 t / s^2), by adaptive quad in z."""

    def integrand(z):
        return np.logaddexp(0.0, -2 * (1 + s * z) / s**2) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    return math.log(2) - integrate.quad(integrand, -40, 40, epsabs=1e-15, limit=500, points=[0.0, -1 / s])[0]


def _centres_and_labels(task):
    codebook, _, _ = channels._parse(task.id)
    _, centres, labels = codebook.all_rows()
    return centres, labels


# --------------------------------------------------------------------------------------------------------------
# Reed-Muller codebooks from the definition
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("r", "m", "words", "length"), [(1, 4, 32, 16), (2, 4, 2048, 16), (1, 5, 64, 32)])
def test_reed_muller_codebooks_have_the_stated_size_and_minimum_distance(r, m, words, length):
    code = reed_muller_codebook(r, m)
    assert code.shape == (words, length)
    assert len({row.tobytes() for row in code}) == words  # distinct codewords
    # Pairwise Hamming distances from the BPSK inner products: d(a, b) = (n - <a, b>) / 2.
    bpsk = 1.0 - 2.0 * code
    distance = (length - bpsk @ bpsk.T) / 2
    off_diagonal = distance[~np.eye(words, dtype=bool)]
    assert off_diagonal.min() == 2 ** (m - r)
    # Linear: the sum of two codewords is a codeword.
    words_set = {row.tobytes() for row in code}
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, words, size=(50, 2)):
        assert (code[i] ^ code[j]).tobytes() in words_set


def test_reed_muller_generator_rows_are_the_monomials_of_degree_at_most_r():
    generator = reed_muller_generator(2, 3)
    assert generator.shape == (1 + 3 + 3, 8)
    assert np.linalg.matrix_rank(generator.astype(float)) == generator.shape[0]
    points = [((j >> 0) & 1, (j >> 1) & 1, (j >> 2) & 1) for j in range(8)]
    expected = [[1] * 8] + [[u[i] for u in points] for i in range(3)]
    expected += [[u[i] * u[j] for u in points] for i, j in itertools.combinations(range(3), 2)]
    assert generator.tolist() == expected
    # RM(m, m) is every binary word; RM(0, m) the repetition code.
    assert len({row.tobytes() for row in reed_muller_codebook(3, 3)}) == 256
    assert reed_muller_codebook(0, 3).tolist() == [[0] * 8, [1] * 8]
    with pytest.raises(ValueError, match="r"):
        reed_muller_generator(4, 3)


def test_reed_muller_rows_are_bpsk_codewords_labelled_by_the_message_parity():
    codebook = Codebook("rm", 1, 4)
    messages, centres, labels = codebook.all_rows()
    code = reed_muller_codebook(1, 4)
    assert np.array_equal(centres, 1.0 - 2.0 * code)  # bit 0 -> +1, bit 1 -> -1
    assert np.array_equal(messages.astype(np.int64) @ reed_muller_generator(1, 4) % 2, code)
    assert np.array_equal(labels, messages.sum(axis=1).astype(np.int64) % 2)
    assert np.array_equal(labels, code[:, -1])  # the bit at the all-ones point


# --------------------------------------------------------------------------------------------------------------
# Truths: quadrature families
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "s"), [(4, 0.5), (8, 0.2), (16, 0.05)])
@pytest.mark.parametrize("labels", [False, True])
def test_line_truth_matches_monte_carlo(k, s, labels):
    task = line_channel(k, s, labels=labels)
    centres, y = _centres_and_labels(task)
    mc = channel_mi(centres, s, labels=y if labels else None, draws_per_centre=20_000 // k, seed=k)
    assert _within(mc.value, mc.stderr, task.mi)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_cube_truth_is_d_times_the_two_point_value_and_matches_monte_carlo(d):
    s = 0.7
    task = cube_channel(d, s)
    assert task.mi == pytest.approx(d * _bpsk_mi(s), abs=d * QUAD_TOL)
    labelled = cube_channel(d, s, labels=True)
    assert labelled.mi == pytest.approx(_bpsk_mi(s), abs=QUAD_TOL)
    centres, y = _centres_and_labels(task)
    assert centres.shape == (2**d, d) and set(np.unique(centres)) == {-1.0, 1.0}
    assert len({row.tobytes() for row in centres}) == 2**d
    mc = channel_mi(centres, s, draws_per_centre=8000 // 2**d, seed=d)
    assert _within(mc.value, mc.stderr, task.mi)
    mc_y = channel_mi(centres, s, labels=y, draws_per_centre=8000 // 2**d, seed=d)
    assert _within(mc_y.value, mc_y.stderr, labelled.mi)


@pytest.mark.parametrize("w", [0.1, 0.3, 2.0])
def test_tanh_truth_matches_monte_carlo(w):
    # Cases where the draws see what the truth depends on: a Monte-Carlo standard error from the sample variance
    # misses events rarer than 1 / draws (at w = 0.5 with labels, the deficit of I(T; Y) below log 2, 2.6e-6 nats,
    # comes from noise crossing the 4.6-sigma gap between the classes, probability 2e-6 per draw).
    for labels in (False, True):
        task = tanh_channel(w, labels=labels)
        centres, y = _centres_and_labels(task)
        assert np.allclose(centres[:, 0], np.tanh(w * np.array(TANH_INPUTS)))
        mc = channel_mi(centres, TANH_NOISE, labels=y if labels else None, draws_per_centre=5000, seed=3)
        assert _within(mc.value, mc.stderr, task.mi)


def test_tanh_sweep_rises_to_about_two_bits_then_falls_to_one_bit():
    bits = np.array([task.mi_bits for task in tanh_sweep()])
    peak = int(np.argmax(bits))
    assert 0 < peak < len(bits) - 1
    assert bits[0] < 1.0 and bits[peak] > 1.9  # 0.57 bits at w = 0.05, ~1.95 at the peak (log 4 = 2 bits)
    assert np.all(np.diff(bits[: peak + 1]) > 0) and np.all(np.diff(bits[peak:]) < 0)
    assert bits[-1] == pytest.approx(1.0, abs=1e-6)  # tanh(30) and tanh(10) merge: two bumps at +-1, 1 bit
    assert [task.params["weight"] for task in tanh_sweep()] == list(TANH_WEIGHTS)
    # I(T; Y) <= H(Y) = 1 bit, and I(T; Y) <= I(X; T) (Y is a function of X).
    for task, labelled in zip(tanh_sweep(), tanh_sweep(labels=True), strict=True):
        assert labelled.mi <= min(math.log(2), task.mi) + QUAD_TOL


def test_small_and_large_noise_limits():
    # s -> 0: log(number of distinct centres) and H(Y); s -> infinity: 0.
    assert line_channel(8, 1e-3).mi == pytest.approx(math.log(8), abs=QUAD_TOL)
    assert line_channel(8, 1e-3, labels=True).mi == pytest.approx(math.log(2), abs=QUAD_TOL)
    assert line_channel(7, 1e-3, labels=True).mi == pytest.approx(
        -(3 / 7) * math.log(3 / 7) - (4 / 7) * math.log(4 / 7), abs=QUAD_TOL
    )
    assert cube_channel(6, 1e-2).mi == pytest.approx(6 * math.log(2), abs=QUAD_TOL)
    assert tanh_channel(0.5, 1e-3).mi == pytest.approx(math.log(4), abs=QUAD_TOL)
    # w = 20: tanh(60) and tanh(20) are the same double, so two distinct centres remain.
    assert tanh_channel(20.0, 1e-3).mi == pytest.approx(math.log(2), abs=QUAD_TOL)
    # Large s: the small-signal limit I = tr Cov(c(X)) / (2 s^2) (1 + O(|c|^2 / s^2)); at s = 1e4 the correction is
    # ~1e-8 relative, below the quadrature's absolute 1e-12 on values ~1e-8 (1e-4 relative).
    for task, variance in (
        (line_channel(8, 1e4), float(np.var(np.linspace(-1, 1, 8)))),
        (cube_channel(3, 1e4), 3.0),
        (tanh_channel(1.0, 1e4), float(np.var(np.tanh(np.array(TANH_INPUTS))))),
    ):
        assert task.mi == pytest.approx(variance / (2 * 1e4**2), rel=1e-4, abs=QUAD_TOL)
    # Below the Gaussian bound 1/2 log(1 + Var / s^2) per coordinate at every s.
    for s in (0.05, 0.3, 1.0, 3.0):
        var = float(np.var(np.linspace(-1, 1, 8)))
        assert line_channel(8, s).mi <= 0.5 * math.log1p(var / s**2) + QUAD_TOL
        assert cube_channel(4, s).mi <= 4 * 0.5 * math.log1p(1 / s**2) + QUAD_TOL


# --------------------------------------------------------------------------------------------------------------
# Truths: stored Monte Carlo (Reed-Muller)
# --------------------------------------------------------------------------------------------------------------


def _single_codeword_estimate(r, m, s, labels, draws, seed):
    """An independent route through the code's symmetry: x -> x * bpsk(c0) maps the BPSK codebook onto itself
    (c -> c xor c0, a linear code) and keeps the noise's law, so every stratum has the same expectation and
    I = E_z[log k - log sum_j exp(t . (c_j - 1) / s^2)] at the all-(+1) codeword (t = 1 + s z; every codeword has
    the same norm, so the quadratic terms cancel). With the parity label (0 at the all-zero word), I(T; Y) =
    E_z[log(S_0 / k_0) - log(S / k)], S_0 the sum over the even-parity words."""
    code = reed_muller_codebook(r, m)
    bpsk = 1.0 - 2.0 * code
    k, n = bpsk.shape
    even = code[:, -1] == 0
    rng = np.random.default_rng(seed)
    values = []
    for start in range(0, draws, 512):
        t = 1.0 + s * rng.standard_normal((min(512, draws - start), n))
        exponents = t @ (bpsk - 1.0).T / s**2
        log_s = special.logsumexp(exponents, axis=1)
        if labels:
            values.append(special.logsumexp(exponents[:, even], axis=1) - math.log(even.sum()) - log_s + math.log(k))
        else:
            values.append(math.log(k) - log_s)
    values = np.concatenate(values)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(draws))


def test_stored_truths_are_the_catalogue_tasks_with_small_errors():
    stored = {task.id: task for task in CATALOGUE if task.id in PRECOMPUTED}
    assert set(stored) == set(PRECOMPUTED)
    for task_id, truth in PRECOMPUTED.items():
        task = stored[task_id]
        assert (task.mi, task.mi_stderr, task.truth) == (truth.mi, truth.stderr, "monte carlo")
        assert 0 < truth.stderr < 1e-3
        assert (task.params["truth_draws_per_centre"], task.params["truth_seed"]) == (
            truth.draws_per_centre,
            truth.seed,
        )


@pytest.mark.parametrize("task_id", sorted(PRECOMPUTED))
def test_stored_truth_agrees_with_an_independent_single_codeword_estimate(task_id):
    codebook, s, labels = channels._parse(task_id)
    k = codebook.n_inputs
    draws = max(2000, 4_000_000 // k)  # ~4e6 exponentials per task
    value, se = _single_codeword_estimate(codebook.size, codebook.order, s, labels, draws, seed=99)
    stored = PRECOMPUTED[task_id]
    assert _within(value, se, stored.mi, stored.stderr)


def test_reed_muller_truths_are_bounded_and_decrease_with_the_noise():
    for task_id, truth in PRECOMPUTED.items():
        codebook, _, labels = channels._parse(task_id)
        ceiling = math.log(2) if labels else math.log(codebook.n_inputs)  # H(Y) = log 2: the parity is balanced
        assert 0 < truth.mi < ceiling
        if labels:  # data processing: I(T; Y) <= I(T; X), where both are stored
            unlabelled = PRECOMPUTED.get(task_id.removesuffix("-labels"))
            if unlabelled is not None:
                assert truth.mi < unlabelled.mi + 5 * math.hypot(truth.stderr, unlabelled.stderr)
    for code in ("rm1-4", "rm2-4"):
        low, high = PRECOMPUTED[f"channel-{code}-s1"], PRECOMPUTED[f"channel-{code}-s2"]
        assert high.mi < low.mi - 5 * math.hypot(low.stderr, high.stderr)


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("MIBENCH_RECOMPUTE_TRUTHS"), reason="minutes of Monte Carlo: set MIBENCH_RECOMPUTE_TRUTHS=1"
)
@pytest.mark.parametrize("task_id", sorted(PRECOMPUTED))
def test_recomputed_truths_match_the_stored_constants(task_id):
    stored = PRECOMPUTED[task_id]
    again = compute_truth(task_id)  # the stored seed and draws: the same number
    assert again.value == pytest.approx(stored.mi, abs=1e-12)
    assert again.stderr == pytest.approx(stored.stderr, rel=1e-9)
    codebook, s, labels = channels._parse(task_id)
    fresh = channels.monte_carlo_truth(codebook, s, labels, draws_per_centre=stored.draws_per_centre, seed=12345)
    assert _within(fresh.value, fresh.stderr, stored.mi, stored.stderr)


def test_reed_muller_factory_refuses_unstored_parameters():
    with pytest.raises(ValueError, match="no stored Monte-Carlo truth"):
        reed_muller_channel(1, 4, 0.3)
    assert from_id("channel-rm1-4-s0.3") is None


# --------------------------------------------------------------------------------------------------------------
# The samplers
# --------------------------------------------------------------------------------------------------------------


def _pointwise_mi(task, x, y):
    """log p(t | x) - log p(t) (input target) or log p(t | y) - log p(t) (labels target) from the exact densities,
    the centre of each input recomputed from x by the definition of its kind."""
    s = task.channel.noise_std
    centres, labels = _centres_and_labels(task)

    def log_mixture(t, members):
        sq = ((t[:, None, :] - centres[None, members, :]) ** 2).sum(-1)
        return special.logsumexp(-sq / (2 * s * s), axis=1) - math.log(members.sum())

    everyone = np.ones(len(centres), dtype=bool)
    if task.channel.target == "labels":
        t, y = x, y[:, 0]
        own = np.array([log_mixture(t[y == c], labels == c) for c in (0, 1)], dtype=object)
        out = np.empty(len(t))
        for c in (0, 1):
            out[y == c] = own[c] - log_mixture(t[y == c], everyone)
        return out
    kind = task.params["kind"]
    if kind == "rm":
        generator = reed_muller_generator(task.params["r"], task.params["m"])
        clean = 1.0 - 2.0 * ((x.astype(np.int64) @ generator) % 2)
    elif kind == "tanh":
        clean = np.tanh(task.params["weight"] * x)
    else:  # line and cube: x is the centre itself
        clean = x
    return -((y - clean) ** 2).sum(1) / (2 * s * s) - log_mixture(y, everyone)


@pytest.mark.parametrize(
    "task_id",
    [
        "channel-line-k8-s0.2",
        "channel-line-k8-s0.2-labels",
        "channel-cube-d3-s0.5",
        "channel-cube-d3-s0.5-labels",
        "channel-tanh-w0.5-s0.1",
        "channel-tanh-w0.2-s0.1-labels",
        "channel-rm1-4-s2",
        "channel-rm1-4-s2-labels",
    ],
)
def test_the_task_sample_has_the_truth_as_its_mean_pointwise_mi(task_id):
    # End to end: the task's own noisy sample, scored with the exact densities of its law, averages to the truth.
    task = mibench.get_task(task_id)
    x, y = task.sample(20_000, seed=5)
    pointwise = _pointwise_mi(task, x, y)
    se = float(pointwise.std(ddof=1) / math.sqrt(len(pointwise)))
    assert _within(float(pointwise.mean()), se, task.mi, task.mi_stderr)


@pytest.mark.parametrize("task", CATALOGUE, ids=lambda t: t.id)
def test_sampling_is_deterministic_and_sample_clean_gives_the_same_rows(task):
    x, y = task.sample(500, 7)
    x2, y2 = task.sample(500, 7)
    assert np.array_equal(x, x2) and np.array_equal(y, y2)
    x3, y3 = task.sample(500, 8)
    assert not np.array_equal(
        x if task.channel.target == "labels" else y, x3 if task.channel.target == "labels" else y3
    )
    cx, cy = task.sample_clean(500, 7)
    assert (x.shape, y.shape) == ((500, task.dim_x), (500, task.dim_y))
    assert x.dtype == np.float64
    if task.channel.target == "input":
        assert np.array_equal(cx, x)  # the input is not noisy
        assert y.dtype == np.float64
    else:
        assert np.array_equal(cy, y)
        assert y.dtype == np.int64 and set(np.unique(y)) <= {0, 1}


@pytest.mark.parametrize("task_id", ["channel-cube-d4-s0.5", "channel-rm2-4-s1-labels", "channel-tanh-w2-s0.1"])
def test_the_noise_is_gaussian_with_the_channel_std_and_inputs_are_uniform(task_id):
    task = mibench.get_task(task_id)
    n = 20_000
    noisy = task.sample(n, 3)
    clean = task.sample_clean(n, 3)
    side = 1 if task.channel.target == "input" else 0
    residual = (noisy[side] - clean[side]).reshape(-1)
    assert stats.kstest(residual / task.channel.noise_std, "norm").pvalue > 1e-6
    # The centres: every input equally likely (chi-square goodness of fit over the k inputs).
    centres, _ = _centres_and_labels(task)
    clean_centres = clean[side]
    lookup = {row.tobytes(): i for i, row in enumerate(centres)}
    index = np.array([lookup[row.tobytes()] for row in clean_centres])
    counts = np.bincount(index, minlength=len(centres))
    assert stats.chisquare(counts).pvalue > 1e-6


@pytest.mark.parametrize("task_id", ["channel-line-k16-s0.05", "channel-cube-d5-s0.5", "channel-rm2-4-s1"])
def test_the_input_identifies_its_centre(task_id):
    task = mibench.get_task(task_id)
    x, centre = task.sample_clean(5000, 1)
    by_input: dict[bytes, bytes] = {}
    for a, c in zip(x, centre, strict=True):
        assert by_input.setdefault(a.tobytes(), c.tobytes()) == c.tobytes()
    assert len(set(by_input.values())) == len(by_input)  # and distinct inputs have distinct centres here


# --------------------------------------------------------------------------------------------------------------
# Ids, registry, catalogue
# --------------------------------------------------------------------------------------------------------------


def test_catalogue_is_moderate_unique_and_rebuilt_from_ids():
    assert 20 <= len(CATALOGUE) <= 30
    assert len({t.id for t in CATALOGUE}) == len(CATALOGUE)
    kinds = {t.params["kind"] for t in CATALOGUE}
    assert kinds == {"line", "cube", "rm", "tanh"}
    for kind in kinds:
        assert any(t.params["kind"] == kind and t.channel.target == "labels" for t in CATALOGUE)
    for task in CATALOGUE:
        assert task.family == "channel" and task.mi > 0 and task.channel is not None
        assert task.truth in ("quadrature", "monte carlo")
        assert (task.mi_stderr == 0) == (task.truth == "quadrature")
        rebuilt = from_id(task.id)
        assert rebuilt == task and rebuilt.version == task.version
        assert mibench.get_task(task.id) == task
        json.dumps(task.describe())
        assert task.context["noise_std"] == task.channel.noise_std
        assert task.context["target"] == task.channel.target
        assert task.context["x_strategy" if task.channel.target == "input" else "y_strategy"] == "none"
        pickle.loads(pickle.dumps(task.sampler))
    listed = {t.id for t in mibench.list_tasks(family="channel")}
    assert listed == {t.id for t in CATALOGUE}


def test_parametric_ids_round_trip_and_other_spellings_are_refused():
    for task_id in ("channel-line-k5-s0.3", "channel-cube-d7-s0.25-labels", "channel-tanh-w2-s0.1", "channel-rm1-4-s1"):
        task = mibench.get_task(task_id)
        assert task.id == task_id
    assert mibench.get_task("channel-cube-d7-s0.25-labels").dim_x == 7
    for bad in (
        "channel-line-k08-s0.2",
        "channel-line-k8-s0.20",
        "channel-line-k1-s0.2",
        "channel-cube-d0-s1",
        "channel-cube-d99-s1",
        "channel-tanh-w0-s0.1",
        "channel-line-k8-s0",
        "channel-line-k8",
        "channel-spiral-k8-s1",
    ):
        assert from_id(bad) is None, bad


def test_dimensions_of_each_kind():
    assert (line_channel(8, 0.2).dim_x, line_channel(8, 0.2).dim_y) == (1, 1)
    assert (cube_channel(5, 0.5).dim_x, cube_channel(5, 0.5).dim_y) == (5, 5)
    assert (cube_channel(5, 0.5, labels=True).dim_x, cube_channel(5, 0.5, labels=True).dim_y) == (5, 1)
    rm = mibench.get_task("channel-rm2-4-s1")
    assert (rm.dim_x, rm.dim_y, rm.params["n_inputs"]) == (11, 16, 2048)
    rm_y = mibench.get_task("channel-rm1-5-s2-labels")
    assert (rm_y.dim_x, rm_y.dim_y, rm_y.params["n_inputs"]) == (32, 1, 64)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="k"):
        line_channel(1, 0.1)
    with pytest.raises(ValueError, match="noise_std"):
        line_channel(4, 0.0)
    with pytest.raises(ValueError, match="d"):
        cube_channel(0, 0.5)
    with pytest.raises(ValueError, match="weight"):
        tanh_channel(-1.0)
    with pytest.raises(ValueError, match="noise_std"):
        cube_channel(2, float("nan"))

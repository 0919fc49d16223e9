"""MI-preserving maps: injectivity by explicit inverses, the claimed marginal effects, bmi's formulas, determinism."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from scipy import stats
from scipy.linalg import expm

from mibench.synthetic import transforms as tr
from mibench.synthetic.transforms import (
    Affine,
    Asinh,
    Bimodal,
    HalfCube,
    NormalCDF,
    Rotation,
    SignedPower,
    Spiral,
    SwissRoll,
    Transform,
    Wiggly,
    parse_label,
)

# Maps of R^d to R^d (any d >= 3 here), each concrete.
VECTOR_MAPS = [
    NormalCDF(),
    HalfCube(),
    SignedPower(0.5),
    SignedPower(2.5),
    Asinh(),
    Wiggly("x"),
    Wiggly("y"),
    Bimodal("x"),
    Bimodal("y"),
    Spiral((0, 1)),
    Spiral((1, 2), speed=0.7),
    Rotation(3),
    Affine(3),
]
COORDINATEWISE_INCREASING = [
    NormalCDF(),
    HalfCube(),
    SignedPower(0.5),
    Asinh(),
    Wiggly("x"),
    Wiggly("y"),
    Bimodal("x"),
    Bimodal("y"),
]


def _gaussian(n: int, d: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return scale * np.random.default_rng(seed).standard_normal((n, d))


def _kurtosis(v: np.ndarray) -> float:
    return float(stats.kurtosis(v.ravel(), fisher=False))


@pytest.mark.parametrize("f", VECTOR_MAPS, ids=lambda f: f.name)
def test_inverse_round_trip(f: Transform):
    # Injectivity: an explicit left inverse recovers the input to 1e-8 relative (absolute 1e-10 near 0).
    scale = 1.0 if isinstance(f, NormalCDF) else 3.0  # Phi saturates in floating point beyond |t| ~ 8
    a = _gaussian(3000, 3, seed=1, scale=scale)
    b = f(a)
    assert b.shape == a.shape and b.dtype == np.float64 and np.all(np.isfinite(b))
    np.testing.assert_allclose(f.inverse(b), a, rtol=1e-8, atol=1e-10)
    # ... and a right inverse on the image.
    np.testing.assert_allclose(f(f.inverse(b)), b, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("f", [*VECTOR_MAPS, SwissRoll()], ids=lambda f: f.name)
def test_input_unchanged_one_dimensional_input_accepted_and_pickle(f: Transform):
    a = np.random.default_rng(2).uniform(0.05, 0.95, size=(50, 1 if isinstance(f, SwissRoll) else 3))
    before = a.copy()
    out = f(a)
    assert np.array_equal(a, before)
    assert out.shape == (50, f.out_dim(a.shape[1]))
    if a.shape[1] == 1:
        assert np.array_equal(f(a[:, 0]), out)
    clone = pickle.loads(pickle.dumps(f))
    assert clone == f and hash(clone) == hash(f) and np.array_equal(clone(a), out)


@pytest.mark.parametrize("f", COORDINATEWISE_INCREASING, ids=lambda f: f.name)
def test_coordinatewise_maps_are_strictly_increasing_and_act_per_coordinate(f: Transform):
    grid = np.linspace(-12, 12, 20_001)
    if isinstance(f, NormalCDF):
        grid = np.linspace(-8, 6, 20_001)  # Phi(t) is within an ulp of 1 beyond t ~ 6.5 at this spacing
    values = f(grid).ravel()
    assert np.all(np.diff(values) > 0)
    # Coordinate-wise: the map of a 3-column array is the 1-D map of each column.
    a = _gaussian(200, 3, seed=3, scale=2.0)
    expected = np.column_stack([f(a[:, k]).ravel() for k in range(3)])
    np.testing.assert_allclose(f(a), expected, rtol=1e-12, atol=1e-14)


def test_normal_cdf_of_standard_normal_is_uniform():
    u = NormalCDF()(_gaussian(20_000, 1, seed=4)).ravel()
    assert u.min() > 0 and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_half_cube_and_powers():
    z = _gaussian(200_000, 1, seed=5)
    assert _kurtosis(z) == pytest.approx(3.0, abs=0.1)
    # Kurtosis of Z|Z|^(1/2): E Z^6 / (E|Z|^3)^2 = 15 / (8 / pi) = 5.89 (sample SD ~0.1 at this n).
    assert _kurtosis(HalfCube()(z)) == pytest.approx(15 / (8 / math.pi), abs=0.5)
    np.testing.assert_allclose(HalfCube()(z), SignedPower(1.5)(z), rtol=1e-14)
    np.testing.assert_allclose(HalfCube()(np.array([-4.0, 0.0, 9.0])).ravel(), [-8.0, 0.0, 27.0])
    assert _kurtosis(SignedPower(0.5)(z)) < 2.5  # lighter tails
    assert SignedPower(1.5).name == "power1.5" and HalfCube().name == "half_cube"


def test_asinh_lightens_tails():
    t = stats.t(df=5).rvs(size=100_000, random_state=6)
    assert _kurtosis(t) > 6  # population kurtosis 9
    assert _kurtosis(Asinh()(t)) < 3.5
    np.testing.assert_allclose(Asinh()(np.array([np.sinh(1.0)])).ravel(), [1.0], rtol=1e-15)


def test_wiggly_formulas_and_monotonicity():
    t = np.linspace(-50, 50, 400_001)
    fx = t + 0.4 * np.sin(t) + 0.2 * np.sin(1.7 * t + 1) + 0.03 * np.sin(3.3 * t - 2.5)
    fy = t - 0.4 * np.sin(0.4 * t) + 0.17 * np.sin(1.3 * t + 3.5) + 0.02 * np.sin(4.3 * t - 2.5)
    np.testing.assert_allclose(Wiggly("x")(t).ravel(), fx, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(Wiggly("y")(t).ravel(), fy, rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(Wiggly()(t), Wiggly("x")(t))  # called directly, "auto" is f_x
    for f, values, bound, deviation in ((Wiggly("x"), fx, 0.161, 0.63), (Wiggly("y"), fy, 0.533, 0.59)):
        assert f.derivative_lower_bound == pytest.approx(bound, abs=1e-12)
        assert f.max_deviation == pytest.approx(deviation, abs=1e-12)
        assert np.max(np.abs(values - t)) <= deviation
        # The analytic derivative agrees with central differences and stays above the analytic bound > 0.
        h = t[1] - t[0]
        numeric = (values[2:] - values[:-2]) / (2 * h)
        analytic = f.derivative(t[1:-1])
        np.testing.assert_allclose(numeric, analytic, atol=1e-6)
        assert analytic.min() >= bound > 0
        assert numeric.min() > 0


def test_bimodal_marginals_are_the_mixtures():
    z = _gaussian(20_000, 1, seed=7)
    for variant, weights, means in (("x", (0.3, 0.7), (0.0, 5.0)), ("y", (0.5, 0.5), (-1.0, 3.0))):
        f = Bimodal(variant)
        assert f.weights == weights and f.means == means
        out = f(z).ravel()

        def cdf(s, weights=weights, means=means):
            return sum(w * stats.norm.cdf(s - m) for w, m in zip(weights, means, strict=True))

        assert stats.kstest(out, cdf).pvalue > 1e-3
        # The defining identity F(b(t)) = Phi(t), to ~1e-12.
        grid = np.linspace(-6, 6, 1001)
        np.testing.assert_allclose(f.mixture_cdf(f(grid).ravel()), stats.norm.cdf(grid), atol=1e-12)
        np.testing.assert_allclose(f.mixture_cdf(grid), cdf(grid), atol=1e-15)
    assert Bimodal("y")(np.zeros(1))[0, 0] == pytest.approx(1.0, abs=1e-12)  # symmetric mixture: median 1


def test_bimodal_tails_are_finite_monotone_and_invertible():
    t = np.concatenate([-np.logspace(3, -3, 200), [-1e-300, 0.0, 1e-300], np.logspace(-3, 3, 200)])
    for f in (Bimodal("x"), Bimodal("y")):
        out = f(t).ravel()
        assert np.all(np.isfinite(out))
        assert np.all(np.diff(out) >= 0)
        assert np.all(np.diff(out[np.abs(t) > 1e-200]) > 0)
        np.testing.assert_allclose(f.inverse(out).ravel(), t, rtol=1e-8, atol=1e-10)
        # Far in the tails the mixture looks like its outer component: b ~ t + mean.
        assert out[0] - t[0] == pytest.approx(min(f.means), abs=0.05)
        assert out[-1] - t[-1] == pytest.approx(max(f.means), abs=0.05)


@pytest.mark.parametrize(("plane", "speed", "dim"), [((0, 1), None, 2), ((0, 1), 0.3, 4), ((1, 2), None, 3)])
def test_spiral_equals_bmi_matrix_exponential(plane, speed, dim):
    # Independent route: bmi's definition exp(s A |x|^2) x with A[i, j] = -1, A[j, i] = 1, by scipy's expm.
    x = _gaussian(20, dim, seed=8, scale=1.5)
    generator = np.zeros((dim, dim))
    generator[plane[0], plane[1]], generator[plane[1], plane[0]] = -1.0, 1.0
    s = speed if speed is not None else 1.0 / dim
    expected = np.array([expm(s * generator * (row @ row)) @ row for row in x])
    f = Spiral(plane, speed)
    out = f(x)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), np.linalg.norm(x, axis=1), rtol=1e-13)
    untouched = [k for k in range(dim) if k not in plane]
    np.testing.assert_array_equal(out[:, untouched], x[:, untouched])


def test_spiral_bmi_example_and_sides():
    # bmi's docstring example: generator [[0, -1], [1, 0]], speed pi/2, x = (1, 0) -> (0, 1).
    np.testing.assert_allclose(Spiral((0, 1), math.pi / 2)(np.array([[1.0, 0.0]])), [[0.0, 1.0]], atol=1e-15)
    assert Spiral().for_side("x") == Spiral((0, 1)) and Spiral().for_side("y") == Spiral((1, 2))
    assert Spiral().label("x") == Spiral().label("y") == "spiral"
    assert Spiral((0, 1)).label("y") == "spiral_p0_1" and Spiral(speed=0.5).label("x") == "spiral_s0.5"
    with pytest.raises(ValueError, match=r"'spiral'.*dimension >= 2, got dimension 1"):
        Spiral()(np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"plane \(1, 2\).*got dimension 2"):
        Spiral().for_side("y").check_dim(2)


def test_swissroll_formula_injectivity_and_dimension():
    f = SwissRoll()
    assert f.out_dim(1) == 2
    u = np.array([0.0, 0.25, 0.5, 1.0])
    t = 1.5 * np.pi * (1 + 2 * u)
    np.testing.assert_allclose(f(u), np.column_stack([t * np.cos(t), t * np.sin(t)]) / 21, rtol=1e-15)
    # Recover u from the output (radius = t / 21), and the angle agrees with t modulo 2 pi.
    grid = NormalCDF()(_gaussian(5000, 1, seed=9))
    out = f(grid)
    np.testing.assert_allclose(f.inverse(out), grid, rtol=1e-8, atol=1e-12)
    t = 1.5 * np.pi * (1 + 2 * grid.ravel())
    angle_error = np.angle(np.exp(1j * (np.arctan2(out[:, 1], out[:, 0]) - t)))
    assert np.max(np.abs(angle_error)) < 1e-9
    for bad_dim in (2, 3):
        with pytest.raises(ValueError, match=rf"'swissroll'.*dimension 1, got dimension {bad_dim}"):
            f.check_dim(bad_dim)
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        f(np.array([[0.5], [1.5]]))


def test_rotation_and_affine_are_deterministic_from_their_seed():
    np.random.seed(123)  # noqa: NPY002 -- global state must not matter
    q = Rotation(3).matrix(5)
    np.random.seed(456)  # noqa: NPY002
    tr._haar_orthogonal.cache_clear()
    tr._well_conditioned_affine.cache_clear()
    assert np.array_equal(Rotation(3).matrix(5), q)
    np.testing.assert_allclose(q.T @ q, np.eye(5), atol=1e-14)
    assert not np.allclose(Rotation(4).matrix(5), q)
    assert Rotation(3).matrix(4).shape == (4, 4)
    expected = np.linalg.qr(np.random.default_rng(3).standard_normal((5, 5)))
    assert np.allclose(np.abs(q), np.abs(expected[0]))  # QR of default_rng(seed), up to column signs
    assert not q.flags.writeable
    m = Affine(3).matrix(6)
    assert np.array_equal(Affine(3).matrix(6), m) and not np.allclose(Affine(4).matrix(6), m)
    singular = np.linalg.svd(m, compute_uv=False)
    assert singular.min() >= 0.5 and singular.max() <= 2.0
    x = _gaussian(10, 6, seed=10)
    np.testing.assert_allclose(Affine(3)(x), x @ m.T + Affine(3).factors(6)[3], rtol=1e-12, atol=1e-12)
    assert Rotation(3).name == "rotation-s3" and Affine(7).name == "affine-s7"


def test_rotation_in_one_dimension_and_haar_column_signs():
    assert abs(Rotation(0).matrix(1)[0, 0]) == 1.0
    # Sign correction makes Q Haar: the diagonal is symmetric around 0 over seeds.
    diagonals = np.array([Rotation(seed).matrix(3)[0, 0] for seed in range(400)])
    assert 0.35 < np.mean(diagonals > 0) < 0.65


def test_side_aware_variants_and_labels():
    assert Wiggly().for_side("y") == Wiggly("y") and Bimodal().for_side("x") == Bimodal("x")
    assert Wiggly().label("x") == Wiggly("x").label("x") == Wiggly("y").label("y") == "wiggly"
    assert Wiggly("y").label("x") == "wiggly_fy" and Bimodal("x").label("y") == "bimodal_fx"
    assert Wiggly().name == "wiggly" and Wiggly("x").name == "wiggly_fx"
    with pytest.raises(ValueError, match="side must be"):
        Wiggly().for_side("z")


LABELLED = [
    NormalCDF(),
    HalfCube(),
    Asinh(),
    SwissRoll(),
    SignedPower(0.5),
    SignedPower(2),
    Wiggly(),
    Wiggly("x"),
    Wiggly("y"),
    Bimodal(),
    Bimodal("y"),
    Spiral(),
    Spiral((0, 2)),
    Spiral((1, 2), 0.25),
    Spiral(speed=3),
    Rotation(0),
    Rotation(12),
    Affine(5),
]


@pytest.mark.parametrize("f", LABELLED, ids=lambda f: f.name)
def test_labels_parse_back(f: Transform):
    for side in ("x", "y"):
        label = f.label(side)
        assert parse_label(label, side) == f.for_side(side)
        assert all(c.isalnum() or c in "_.-" for c in label)
    assert f.spec()["class"] == type(f).__name__
    assert parse_label("no_such_map", "x") is None


def test_labels_are_unique_per_side():
    for side in ("x", "y"):
        concrete = {f.for_side(side) for f in LABELLED}
        assert len({f.label(side) for f in concrete}) == len(concrete)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SignedPower(0), "p must be"),
        (lambda: SignedPower(-1.5), "p must be"),
        (lambda: SignedPower(float("nan")), "p must be"),
        (lambda: Spiral((1, 1)), "plane"),
        (lambda: Spiral((2, 1)), "plane"),
        (lambda: Spiral(speed=0), "speed"),
        (lambda: Wiggly("z"), "variant"),
        (lambda: Bimodal("both"), "variant"),
        (lambda: Rotation(-1), "seed"),
        (lambda: Affine(1.5), "seed"),
    ],
)
def test_bad_parameters(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_dimensions_and_inputs():
    with pytest.raises(ValueError, match=r"'asinh'.*dimension must be an integer >= 1, got 0"):
        Asinh().check_dim(0)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        Asinh()(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="numeric"):
        Asinh()(np.array(["a", "b"]))

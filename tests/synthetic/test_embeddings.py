"""The embeddings of low-dimensional latents: the matrices are what they claim (orthogonal, seeded), the maps follow
their formulas, and injectivity is shown by recovering the latents (``Q^T``) to 1e-10."""

from __future__ import annotations

import numpy as np
import pytest

from mibench.synthetic.embeddings import FEATURE_GAIN, Embedding, embedding_parts


@pytest.mark.parametrize(("k", "dim"), [(1, 1), (2, 7), (5, 200)])
def test_parts_are_seeded_and_orthogonal(k, dim):
    q, weights, bias = embedding_parts(k, dim, 0)
    np.testing.assert_allclose(q.T @ q, np.eye(dim), rtol=0, atol=1e-12)
    assert weights.shape == (dim - k, k) and bias.shape == (dim - k,)
    assert not q.flags.writeable
    embedding_parts.cache_clear()
    again = embedding_parts(k, dim, 0)
    for first, second in zip((q, weights, bias), again, strict=True):
        assert np.array_equal(first, second)
    if dim > 1:
        assert not np.array_equal(embedding_parts(k, dim, 1)[0], q)


def test_feature_weights_have_the_stated_scale():
    _, weights, bias = embedding_parts(10, 510, 3)
    # The sample SD of N draws has a relative standard error of 1 / sqrt(2N): 1% for the 5000 N(0, gain^2 / k)
    # weights, 3.2% for the 500 N(0, 1) biases; allow 5 standard errors.
    assert np.std(weights) == pytest.approx(FEATURE_GAIN / np.sqrt(10), rel=0.05)
    assert np.std(bias) == pytest.approx(1.0, rel=0.16)


@pytest.mark.parametrize("linear", [False, True])
@pytest.mark.parametrize(("k", "dim"), [(1, 3), (5, 1000), (10, 10)])
def test_maps_follow_their_formulas_and_invert(k, dim, linear):
    z = np.random.default_rng(5).standard_normal((400, k)) * 2.0
    transform = Embedding(k, dim, seed=2, linear=linear)
    x = transform(z)
    assert x.shape == (400, dim) and x.dtype == np.float64
    q, weights, bias = transform.parts()
    features = np.zeros((400, dim - k)) if linear else np.tanh(z @ weights.T + bias)
    np.testing.assert_allclose(x @ q, np.hstack([z, features]), rtol=0, atol=1e-10)
    assert np.max(np.abs(transform.inverse(x) - z)) < 1e-10
    if linear:
        assert np.linalg.matrix_rank(x) == k  # a k-dimensional subspace of R^D
        np.testing.assert_allclose(np.linalg.norm(x, axis=1), np.linalg.norm(z, axis=1), rtol=1e-12)


def test_smooth_embedding_spreads_over_every_coordinate():
    z = np.random.default_rng(6).standard_normal((2000, 5))
    x = Embedding(5, 1000, seed=0)(z)
    # Not a subspace: the sample spans far more than 5 dimensions, and no coordinate is constant.
    singular = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
    assert np.sum(singular > 1e-6 * singular[0]) > 100
    assert np.all(np.std(x, axis=0) > 0.05)


def test_embedding_checks_its_input():
    assert Embedding(3, 10).out_dim(3) == 10
    assert Embedding(3, 10, seed=4, linear=True).name == "linear_embedding-k3-d10-s4"
    with pytest.raises(ValueError, match="3-dimensional"):
        Embedding(3, 10)(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="dim"):
        Embedding(5, 4)
    with pytest.raises(ValueError, match="linear"):
        Embedding(2, 4, linear=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="10 columns"):
        Embedding(3, 10).inverse(np.zeros((2, 9)))

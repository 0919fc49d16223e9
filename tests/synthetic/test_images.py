"""The image renderers: each pixel against its definition computed another way, and injectivity shown by recovering
the latents from the images (the inverses) to 1e-9.

Tolerances: rendering is compared with a direct per-pixel formula to 1e-12 (rounding of a few operations); latents
are recovered to 1e-9 in absolute terms (the inverses are exact in exact arithmetic; rounding in a sum of at most
W = 32 terms, amplified at most ~1e3 times by the rectangle inverse near its edges, stays below 1e-11).
"""

from __future__ import annotations

import numpy as np
import pytest

from mibench.synthetic.images import RECTANGLE_MIN_SIDE_PX, Bumps, Rectangles, rectangle_corners

RECOVERY_TOL = 1e-9


def _naive_bump(c: np.ndarray, width: int) -> np.ndarray:
    g = np.linspace(0.0, 1.0, width)
    image = np.empty((width, width))
    for a in range(width):
        for b in range(width):
            image[a, b] = np.exp(-10.0 * ((g[a] - c[0]) ** 2 + (g[b] - c[1]) ** 2))
    return image.ravel()


@pytest.mark.parametrize("width", [2, 5, 16, 32])
def test_bumps_pixels_follow_the_definition(width):
    centres = np.random.default_rng(0).uniform(size=(5, 2))
    images = Bumps(width)(centres)
    assert images.shape == (5, width * width) and images.dtype == np.float64
    for c, image in zip(centres, images, strict=True):
        np.testing.assert_allclose(image, _naive_bump(c, width), rtol=1e-12, atol=0)


@pytest.mark.parametrize("width", [2, 16, 32])
def test_bumps_inverse_recovers_the_centres(width):
    rng = np.random.default_rng(1)
    centres = np.vstack([rng.uniform(size=(2000, 2)), [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.5, 0.5]]])
    recovered = Bumps(width).inverse(Bumps(width)(centres))
    assert np.max(np.abs(recovered - centres)) < RECOVERY_TOL
    # The argmax pixel is the nearest grid point: a cruder route to the same centres.
    nearest = np.argmax(Bumps(width)(centres), axis=1)
    g = Bumps(width).grid()
    assert np.all(np.abs(g[nearest // width] - centres[:, 0]) <= 0.5 / (width - 1) + 1e-12)
    assert np.all(np.abs(g[nearest % width] - centres[:, 1]) <= 0.5 / (width - 1) + 1e-12)


def test_bumps_checks_its_input():
    assert Bumps(16).out_dim(2) == 256
    with pytest.raises(ValueError, match="2 latents"):
        Bumps(16)(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="width"):
        Bumps(1)
    with pytest.raises(ValueError, match="16x16"):
        Bumps(32).inverse(np.ones((2, 256)))


def _naive_rectangle(corners: np.ndarray, width: int) -> np.ndarray:
    """Area of the rectangle inside each pixel, divided by the pixel's area, one pixel at a time."""
    x0, x1, y0, y1 = corners
    image = np.empty((width, width))
    for a in range(width):
        for b in range(width):
            overlap_x = max(0.0, min(x1, (a + 1) / width) - max(x0, a / width))
            overlap_y = max(0.0, min(y1, (b + 1) / width) - max(y0, b / width))
            image[a, b] = overlap_x * overlap_y * width * width
    return image.ravel()


def test_rectangle_corners_follow_the_definition():
    width = 32
    m = RECTANGLE_MIN_SIDE_PX / width
    u = np.random.default_rng(2).uniform(size=(1000, 4))
    corners = rectangle_corners(u, width)
    x0 = (1 - m) * (1 - np.sqrt(1 - u[:, 0]))
    np.testing.assert_allclose(corners[:, 0], x0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(corners[:, 1], u[:, 1] * (1 - x0 - m) + x0 + m, rtol=0, atol=1e-15)
    for lo in (0, 2):
        assert np.all(corners[:, lo] >= 0) and np.all(corners[:, lo + 1] <= 1 + 1e-15)
        assert np.all(corners[:, lo + 1] - corners[:, lo] >= m - 1e-15)
    # The extremes of the latents give the extreme rectangles.
    edge = rectangle_corners(np.array([[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]]), width)
    np.testing.assert_allclose(edge, [[0, m, 1 - m, 1], [1 - m, 1, 0, 1]], atol=1e-15)


@pytest.mark.parametrize("width", [4, 8, 32])
def test_rectangle_pixels_are_the_covered_area(width):
    u = np.random.default_rng(3).uniform(size=(6, 4))
    transform = Rectangles(width)
    images = transform(u)
    assert images.shape == (6, width * width)
    for corners, image in zip(transform.corners(u), images, strict=True):
        np.testing.assert_allclose(image, _naive_rectangle(corners, width), rtol=0, atol=1e-12)
        area = (corners[1] - corners[0]) * (corners[3] - corners[2])
        assert image.sum() / width**2 == pytest.approx(area, rel=1e-12)
        assert image.max() == pytest.approx(1.0, abs=1e-12)  # a side of 2 pixels covers a whole pixel


@pytest.mark.parametrize("width", [4, 8, 32])
def test_rectangles_inverse_recovers_the_latents(width):
    rng = np.random.default_rng(4)
    u = rng.uniform(size=(3000, 4))
    # Corners on pixel edges, the smallest sides and latents close to the ends of (0, 1).
    special = np.array(
        [
            [0.0, 0.0, 0.0, 0.0],
            [1e-12, 1e-12, 1 - 1e-9, 1 - 1e-12],
            [0.999, 0.5, 0.001, 0.999],
            [0.5, 1.0, 0.25, 1.0],
        ]
    )
    u = np.vstack([u, special])
    transform = Rectangles(width)
    images = transform(u)
    np.testing.assert_allclose(transform.corners_from_images(images), transform.corners(u), rtol=0, atol=1e-12)
    assert np.max(np.abs(transform.inverse(images) - u)) < RECOVERY_TOL


def test_rectangles_check_their_input():
    assert Rectangles(32).out_dim(4) == 1024
    with pytest.raises(ValueError, match="4 latents"):
        Rectangles(32)(np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Rectangles(32)(np.full((2, 4), 1.5))
    with pytest.raises(ValueError, match="width"):
        Rectangles(3)
    with pytest.raises(ValueError, match="W\\*W"):
        Rectangles(32).inverse(np.ones((2, 1000)))


def test_renderers_are_id_safe_and_describe_themselves():
    assert Bumps(16).name == "bumps16" and Rectangles(32).name == "rectangles32"
    assert Bumps(16).spec() == {"class": "Bumps", "version": "1", "width": 16}
    assert Bumps(16) == Bumps(16) and hash(Bumps(16)) == hash(Bumps(16)) and Bumps(16) != Bumps(32)

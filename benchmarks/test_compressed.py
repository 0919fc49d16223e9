"""The compression estimator (``compressed``) on bump images: speed and peak memory at 16 x 16, n = 5000, the
PCA-versus-autoencoder comparison, and the seed spread behind the tolerances of ``tests/estimators/test_compressed.py``.

Bump images (Butakov et al., ICLR 2024): two pairs of correlated standard normal latents per side with MI 1.5 nats
in total, mapped through the normal CDF to a centre c in (0, 1)^2 and rendered as exp(-10 |p - c|^2) on a W x W
grid of linspace(0, 1, W); the rendering is injective, so I(X; Y) = 1.5 nats.

Each timed call is one round, called directly (no runner) at the defaults on this machine's cores, after an
untimed warm-up on 300 rows (imports, torch's allocator and thread pools are not charged to the call, as in
``benchmarks/test_memory.py``). ``extra_info`` carries the memory-table fields of ``benchmarks/memory_table.py``
(``estimator``, ``n``, ``peak_memory_mb``, ``input_mb``, ``n_by_n_mb``, ``estimate_nats``, ``true_mi_nats``), the
estimate's diagnostics, KSG on the latents, and the load average while it ran (the machine is shared)::

    .venv/bin/python -m pytest benchmarks/test_compressed.py --benchmark-json /tmp/compressed.json
    .venv/bin/python benchmarks/memory_table.py /tmp/compressed.json
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy.stats import norm

from mibench.estimators.compressed import Compressed
from mibench.estimators.ksg import KSG
from mibench.runner.memory import PeakMemory

pytest.importorskip("torch")

BUMP_MI = 1.5
WIDTH = 16
N = 5000

#: The timed configurations: the defaults (PCA, 99 %-variance rule), PCA cut to the generator's 2 latents, and the
#: autoencoder at its defaults (TwoNN latent dimension).
CASES = {
    "pca": {},
    "pca-latent2": {"latent_dim": 2},
    "autoencoder": {"compressor": "autoencoder"},
}


def bump_images(n: int, seed: int, width: int, mi: float = BUMP_MI, sharpness: float = 10.0) -> tuple[np.ndarray, ...]:
    """``(x, y, z_x, z_y)``: n pairs of width x width bump images exp(-sharpness |p - c|^2) (flattened, C order)
    and their latents."""
    rng = np.random.default_rng(seed)
    rho = math.sqrt(1.0 - math.exp(-2.0 * mi / 2))
    z_x = rng.standard_normal((n, 2))
    z_y = rho * z_x + math.sqrt(1.0 - rho**2) * rng.standard_normal((n, 2))
    grid = np.linspace(0.0, 1.0, width)
    pixels = np.stack(np.meshgrid(grid, grid, indexing="ij"), axis=-1).reshape(-1, 2)

    def render(latents: np.ndarray) -> np.ndarray:
        centres = norm.cdf(latents)
        return np.exp(-sharpness * ((pixels[None, :, :] - centres[:, None, :]) ** 2).sum(axis=-1))

    return render(z_x), render(z_y), z_x, z_y


@pytest.mark.parametrize("case", sorted(CASES))
def test_bumps_16x16_at_n_5000(benchmark, case: str) -> None:
    x, y, z_x, z_y = bump_images(N, seed=0, width=WIDTH)
    estimator = Compressed(seed=0, **CASES[case])
    estimator.prepare()
    warm_up = Compressed(seed=0, **{**CASES[case], "max_steps": 5})
    warm_up.estimate(x[:300], y[:300])
    load_before = os.getloadavg()[0]
    with PeakMemory() as memory:
        result = benchmark.pedantic(estimator.estimate_with_info, args=(x, y), rounds=1, iterations=1)
    info = result.info
    benchmark.extra_info.update(
        estimator=f"compressed ({case})",
        params=repr(estimator),
        task=f"bumps {WIDTH}x{WIDTH}, 2 latents per side, {BUMP_MI} nats",
        n=N,
        estimate_nats=result.value,
        true_mi_nats=BUMP_MI,
        ksg_on_latents_nats=KSG().estimate(z_x, z_y),
        latent_dims=info["latent_dims"],
        relative_mse=info["relative_mse"],
        seconds_compression=info["seconds"]["compression"],
        seconds_inner=info["seconds"]["inner"],
        steps={name: v.get("steps") for name, v in info["variables"].items()},
        torch_threads=info.get("torch_threads"),
        peak_memory_mb=memory.peak_mb,
        input_mb=(x.nbytes + y.nbytes) / 2**20,
        n_by_n_mb=N * N * 8 / 2**20,
        load_average=[load_before, os.getloadavg()[0]],
        cores=len(os.sched_getaffinity(0)),
    )


def test_ksg_on_the_raw_16x16_images(benchmark) -> None:
    """The baseline compression is meant to beat: KSG on the 256 + 256 raw pixels."""
    x, y, z_x, z_y = bump_images(N, seed=0, width=WIDTH)
    KSG().estimate(x[:300], y[:300])
    load_before = os.getloadavg()[0]
    with PeakMemory() as memory:
        value = benchmark.pedantic(KSG().estimate, args=(x, y), rounds=1, iterations=1)
    benchmark.extra_info.update(
        estimator="ksg (raw pixels)",
        task=f"bumps {WIDTH}x{WIDTH}, 2 latents per side, {BUMP_MI} nats",
        n=N,
        estimate_nats=value,
        true_mi_nats=BUMP_MI,
        ksg_on_latents_nats=KSG().estimate(z_x, z_y),
        peak_memory_mb=memory.peak_mb,
        input_mb=(x.nbytes + y.nbytes) / 2**20,
        n_by_n_mb=N * N * 8 / 2**20,
        load_average=[load_before, os.getloadavg()[0]],
        cores=len(os.sched_getaffinity(0)),
    )


#: The configuration of the accuracy tests of ``tests/estimators/test_compressed.py`` and the seeds measured.
SPREAD_WIDTH, SPREAD_N, SPREAD_STEPS, SPREAD_SEEDS = 8, 1000, 600, 20


def test_spread_of_the_tested_configuration_over_seeds(benchmark) -> None:
    """Per seed s (data and estimator seed): the autoencoder (max_steps=600, otherwise defaults), PCA at
    latent_dim=2, KSG on the latents and on the bump centres Phi(z); ``extra_info`` holds the per-seed values and
    the mean and SD of autoencoder - KSG(latents), autoencoder - PCA(2), KSG(latents) - PCA(2) and KSG(centres) -
    KSG(latents), from which the tests' bounds are set."""

    def run() -> dict[str, list[float]]:
        rows: dict[str, list[float]] = {"autoencoder": [], "pca2": [], "ksg_latents": [], "ksg_centres": []}
        for seed in range(SPREAD_SEEDS):
            x, y, z_x, z_y = bump_images(SPREAD_N, seed=seed, width=SPREAD_WIDTH)
            ae = Compressed(compressor="autoencoder", max_steps=SPREAD_STEPS, seed=seed)
            rows["autoencoder"].append(ae.estimate(x, y))
            rows["pca2"].append(Compressed(latent_dim=2, seed=seed).estimate(x, y))
            rows["ksg_latents"].append(KSG().estimate(z_x, z_y))
            rows["ksg_centres"].append(KSG().estimate(norm.cdf(z_x), norm.cdf(z_y)))
        return rows

    rows = benchmark.pedantic(run, rounds=1, iterations=1)
    values = {name: np.array(v) for name, v in rows.items()}
    differences = {
        "autoencoder_minus_ksg_latents": values["autoencoder"] - values["ksg_latents"],
        "autoencoder_minus_pca2": values["autoencoder"] - values["pca2"],
        "ksg_latents_minus_pca2": values["ksg_latents"] - values["pca2"],
        "ksg_centres_minus_ksg_latents": values["ksg_centres"] - values["ksg_latents"],
    }
    benchmark.extra_info.update(
        width=SPREAD_WIDTH,
        n=SPREAD_N,
        max_steps=SPREAD_STEPS,
        seeds=SPREAD_SEEDS,
        values=rows,
        **{f"{name}_mean": float(d.mean()) for name, d in differences.items()},
        **{f"{name}_sd": float(d.std(ddof=1)) for name, d in differences.items()},
    )


@pytest.mark.parametrize("mi", [1.5, 3.0, 5.0])
def test_compressors_against_raw_ksg_by_mi(benchmark, mi: float) -> None:
    """16 x 16 bump images at n = 5000, seed 0, at a growing MI: KSG on the raw 256 + 256 pixels, ``compressed`` at
    its defaults (PCA), PCA cut to the generator's 2 latents, the autoencoder at its defaults, and KSG on the latents
    (the reference a faithful compression can reach) and on the bump centres Phi(z) (KSG's own change under an
    injective map). The timed call is the autoencoder's."""
    x, y, z_x, z_y = bump_images(N, seed=0, width=WIDTH, mi=mi)
    autoencoder = Compressed(compressor="autoencoder", seed=0)
    autoencoder.prepare()
    result = benchmark.pedantic(autoencoder.estimate_with_info, args=(x, y), rounds=1, iterations=1)
    benchmark.extra_info.update(
        true_mi_nats=mi,
        n=N,
        autoencoder=result.value,
        autoencoder_relative_mse=result.info["relative_mse"],
        autoencoder_latent_dims=result.info["latent_dims"],
        pca=Compressed(seed=0).estimate(x, y),
        pca_latent2=Compressed(latent_dim=2, seed=0).estimate(x, y),
        ksg_raw=KSG().estimate(x, y),
        ksg_latents=KSG().estimate(z_x, z_y),
        ksg_centres=KSG().estimate(norm.cdf(z_x), norm.cdf(z_y)),
        load_average=os.getloadavg()[0],
    )


def test_narrow_bumps_at_3_nats(benchmark) -> None:
    """Bumps ten times sharper, exp(-100 |p - c|^2) (a width of about one pixel), 3 nats, n = 5000, seed 0: the
    autoencoder at its defaults reconstructs them poorly (``relative_mse`` in ``extra_info``), and its estimate
    shows it, beside PCA at its defaults, KSG on the raw pixels and on the latents and centres."""
    x, y, z_x, z_y = bump_images(N, seed=0, width=WIDTH, mi=3.0, sharpness=100.0)
    autoencoder = Compressed(compressor="autoencoder", seed=0)
    autoencoder.prepare()
    result = benchmark.pedantic(autoencoder.estimate_with_info, args=(x, y), rounds=1, iterations=1)
    benchmark.extra_info.update(
        true_mi_nats=3.0,
        n=N,
        autoencoder=result.value,
        autoencoder_relative_mse=result.info["relative_mse"],
        autoencoder_latent_dims=result.info["latent_dims"],
        pca=Compressed(seed=0).estimate(x, y),
        ksg_raw=KSG().estimate(x, y),
        ksg_latents=KSG().estimate(z_x, z_y),
        ksg_centres=KSG().estimate(norm.cdf(z_x), norm.cdf(z_y)),
        load_average=os.getloadavg()[0],
    )

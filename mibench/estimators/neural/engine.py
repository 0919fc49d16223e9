"""The one critic-training engine behind every neural estimator (MINE, DV, NWJ, InfoNCE, SMILE).

Procedure (:func:`train_and_estimate`):

1. **Split.** The rows are permuted with ``numpy.random.default_rng`` (seeded from ``seed``) and cut into a
   training part, a validation part (``validation_fraction``) and a test part (``test_fraction``). Each part
   needs at least 2 rows.
2. **Standardise** (``standardize=True``): every column of x and y is centred and scaled by the training part's
   mean and SD (MI is invariant under such maps; it only conditions the optimisation).
3. **Train** the critic with Adam on mini-batches of ``batch_size`` training rows: each epoch is a fresh random
   permutation of the training rows (same numpy generator family), cut into full batches (a final partial batch
   is dropped, so every batch has the same size and InfoNCE the same ceiling). Within a batch each positive pair
   ``(x_i, y_i)`` is scored against K negatives ``(x_i, y_j)``, ``j != i`` ("shuffled negatives": all other rows
   of the batch, or k random cyclic offsets drawn per step). The loss is the objective's (see
   :mod:`.objectives`).
4. **Early stopping on validation MI.** Every ``eval_every`` steps (and at step 0 and the last step) the bound is
   evaluated on the whole validation part; the critic with the highest validation value is kept, and training
   stops after ``patience`` evaluations without improvement, or at ``max_steps``.
5. **Final estimate on held-out data.** The kept critic is evaluated once on the test part, which took part in
   neither training nor the choice of the stopping step, so the reported value carries no selection bias (the
   best validation value, which does, is reported in the info only as a diagnostic; a training-batch value is
   never reported). Held-out parts are evaluated in blocks of ``batch_size`` rows (the same negatives scheme as
   training), with the per-row statistics pooled over the blocks; the delta-method standard error of the test
   value is returned as ``test_stderr``.

**Failures.** A non-finite loss during training, a non-finite validation or test value, a critic scoring
validation pairs beyond 1000 in magnitude (numerically diverged: e^1000 overflows even float64; not applied to
InfoNCE, whose value is bounded whatever the scale and whose scores grow harmlessly once positives are perfectly
separated, e.g. at MI far above log(batch size)), or a test value below 0 by more than 3 standard errors + 0.01
nats (a trained critic should not do worse than a constant one on held-out data except by noise, so this means
training failed; the noise scale is the smaller of the delta-method SEs of the kept critic's value on the test and
on the validation part, so that a single wild test pair that blows up the test SE cannot hide itself; the 0.01
nats keep an almost constant critic, whose SE is tiny and whose value is a hair below 0, from counting as failed)
sets ``info["failed"] = True`` with ``info["failure_reason"]``, and the value is
NaN: the runner counts the job as failed instead of averaging a number in.

**Reproducibility.** ``numpy.random.SeedSequence(seed)`` spawns three independent streams: the split, the
batching/negatives (both ``numpy.random.default_rng``), and the seed of a ``torch.Generator`` used only for the
initial weights, which are drawn on the CPU and then moved, so the initial critic is the same on every device.
The global numpy and torch generators are neither used nor changed. On the CPU the same seed gives the same
value bit for bit (for a fixed number of torch threads: a different thread count can change the summation order
of matrix products). ``torch.use_deterministic_algorithms`` is not set: it is a process-wide switch, the CPU
kernels used here are deterministic without it, and on CUDA it would require a cuBLAS workspace environment
variable; CUDA results are reproducible only up to cuBLAS's own guarantees. The engine changes torch's thread
count only when the estimator's ``threads`` is set, and restores it afterwards (the runner caps it per worker).

This module imports torch at import time; it is imported only from inside an estimate.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from mibench.estimators._scale import rescale_columns
from mibench.estimators.neural.config import AUTO_BATCH_SIZE, NeuralConfig
from mibench.estimators.neural.critics import build_critic
from mibench.estimators.neural.objectives import Objective, build_objective
from mibench.interface import Estimate

__all__ = ["held_out_failure", "resolve_device", "split_sizes", "train_and_estimate"]

#: A test value below ``-(FAILURE_SIGMAS * stderr + FAILURE_FLOOR)`` marks the training as failed. The floor
#: (nats) keeps a critic that learned nothing from counting as failed: an almost constant critic has a tiny SE and
#: a value a hair below 0 (DV ~ -Var(T)/2), which means "no dependence found", not a broken training.
FAILURE_SIGMAS = 3.0
FAILURE_FLOOR = 0.01

#: A critic scoring held-out pairs beyond this magnitude has diverged numerically (e^1000 overflows even
#: float64; a log density ratio of that size would mean hundreds of nats).
SCORE_LIMIT = 1e3


def resolve_device(device: str, owner: str) -> torch.device:
    """``"auto"``: CUDA when available, else the CPU; an explicit device must be available (ValueError)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{owner}: device={device!r} but CUDA is not available here; use 'auto' or 'cpu'")
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise ValueError(f"{owner}: device={device!r} but only {torch.cuda.device_count()} CUDA device(s) exist")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{owner}: device={device!r} but MPS is not available here; use 'auto' or 'cpu'")
    return resolved


def split_sizes(n: int, cfg: NeuralConfig, owner: str) -> tuple[int, int, int]:
    """``(n_train, n_validation, n_test)``; ValueError when a part would have fewer than 2 rows."""
    n_val = round(n * cfg.validation_fraction)
    n_test = round(n * cfg.test_fraction)
    n_train = n - n_val - n_test
    if min(n_train, n_val, n_test) < 2:
        raise ValueError(
            f"too few samples: got n={n}, which splits into {n_train} training, {n_val} validation and {n_test} "
            f"test rows; {owner} needs at least 2 in each (more samples, or other validation_fraction/test_fraction)"
        )
    return n_train, n_val, n_test


def _seeds(seed: int) -> tuple[np.random.Generator, np.random.Generator, int]:
    split_seq, batch_seq, torch_seq = np.random.SeedSequence(seed).spawn(3)
    torch_seed = int(torch_seq.generate_state(1, dtype=np.uint64)[0] & np.uint64(2**63 - 1))
    return np.random.default_rng(split_seq), np.random.default_rng(batch_seq), torch_seed


def _standardise(x: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Centre and scale each column by the training rows' mean and SD (columns of extreme magnitude rescaled by a
    power of two first, so the SD neither overflows nor underflows)."""
    x, _ = rescale_columns(x)
    mean = x[train].mean(axis=0)
    sd = x[train].std(axis=0)
    sd[sd == 0] = 1.0  # a constant column carries no information; leave it at 0
    return (x - mean) / sd


class _HeldOut:
    """A held-out part cut into blocks of at most ``batch_size`` rows, evaluated with fixed negatives."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, negatives: int | None):
        n = x.shape[0]
        self.blocks = []
        for idx in np.array_split(np.arange(n), math.ceil(n / batch_size)):
            size = len(idx)
            offsets = None if negatives is None else tuple(range(1, min(negatives, size - 1) + 1))
            self.blocks.append((x[idx[0] : idx[-1] + 1], y[idx[0] : idx[-1] + 1], offsets))

    @torch.no_grad()
    def evaluate(self, critic: torch.nn.Module, objective: Objective) -> tuple[float, float, float]:
        """``(value, standard error, largest |score|)``, pooled over the blocks (float64 pooling)."""
        rows = []
        largest = 0.0
        for xb, yb, offsets in self.blocks:
            pos, neg = critic.scores(xb, yb, offsets)
            largest = max(largest, float(pos.abs().max()), float(neg.abs().max()) if neg.numel() else 0.0)
            rows.append(objective.summarise(pos.double(), neg.double()))
        stats = torch.cat(rows)
        value = float(objective.pool(stats))
        influence = objective.influence(stats)
        stderr = float(influence.std(unbiased=True) / math.sqrt(stats.shape[0])) if stats.shape[0] > 1 else math.nan
        return value, stderr, largest


def held_out_failure(test_value: float, test_stderr: float, validation_stderr: float, step: int) -> str | None:
    """Why the kept critic's test value cannot be reported (None: it can).

    Failed when the value is not finite, or below 0 by more than :data:`FAILURE_SIGMAS` standard errors plus
    :data:`FAILURE_FLOOR` nats. The noise scale is the smaller of the critic's SE on the test part and on the
    validation part (independent data), so that one wild test pair that inflates the test SE cannot hide itself.
    """
    if not math.isfinite(test_value):
        return f"non-finite test value ({test_value}) of the critic kept at step {step}"
    noise = min((s for s in (test_stderr, validation_stderr) if math.isfinite(s)), default=0.0)
    if test_value < -(FAILURE_SIGMAS * noise + FAILURE_FLOOR):
        return (
            f"test value {test_value:.4g} nats is below 0 by more than {FAILURE_SIGMAS:g} standard errors "
            f"({noise:.3g}) + {FAILURE_FLOOR:g} nats: the critic kept at step {step} does not generalise "
            "(diverged, overfitted or failed to train)"
        )
    return None


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def train_and_estimate(x: np.ndarray, y: np.ndarray, cfg: NeuralConfig, owner: str) -> Estimate:
    """Train a critic on validated float64 arrays and estimate the MI on held-out data (see module docstring).

    With ``cfg.threads`` set, torch's intra-op thread count is set for the duration and restored afterwards.
    """
    if cfg.threads is None:
        return _train_and_estimate(x, y, cfg, owner)
    previous = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        return _train_and_estimate(x, y, cfg, owner)
    finally:
        torch.set_num_threads(previous)


def _train_and_estimate(x: np.ndarray, y: np.ndarray, cfg: NeuralConfig, owner: str) -> Estimate:
    start = time.perf_counter()
    n = x.shape[0]
    n_train, n_val, n_test = split_sizes(n, cfg, owner)
    batch_size = min(AUTO_BATCH_SIZE, n_train) if cfg.batch_size is None else cfg.batch_size
    if batch_size > n_train:
        raise ValueError(
            f"{owner}: batch_size={batch_size} exceeds the {n_train} training rows of this sample (n={n}); "
            "use a smaller batch_size or 'auto'"
        )
    if cfg.negatives is not None and cfg.negatives > batch_size - 1:
        raise ValueError(f"{owner}: negatives={cfg.negatives} needs batch_size >= negatives + 1 (got {batch_size})")
    device = resolve_device(cfg.device, owner)

    seed = cfg.seed if cfg.seed is not None else int(np.random.SeedSequence().entropy % (2**63))
    split_rng, batch_rng, torch_seed = _seeds(seed)
    order = split_rng.permutation(n)
    train_idx, val_idx, test_idx = order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]
    if cfg.standardize:
        x = _standardise(x, train_idx)
        y = _standardise(y, train_idx)

    def to_device(array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(array), dtype=torch.float32).to(device)

    x_train, y_train = to_device(x[train_idx]), to_device(y[train_idx])
    validation = _HeldOut(to_device(x[val_idx]), to_device(y[val_idx]), batch_size, cfg.negatives)
    test = _HeldOut(to_device(x[test_idx]), to_device(y[test_idx]), batch_size, cfg.negatives)

    generator = torch.Generator(device="cpu").manual_seed(torch_seed)
    critic = build_critic(cfg.critic, x.shape[1], y.shape[1], cfg.hidden, cfg.embed_dim, cfg.activation, generator)
    critic = critic.to(device)
    objective = build_objective(cfg.objective, ema_rate=cfg.ema_rate, clip=cfg.clip)
    optimiser = torch.optim.Adam(critic.parameters(), lr=cfg.learning_rate)

    train_curve: list[list[float]] = []
    validation_curve: list[list[float]] = []
    failure: str | None = None

    def snapshot() -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in critic.state_dict().items()}

    value0, _, _ = validation.evaluate(critic, objective)
    validation_curve.append([0, value0])
    best_value, best_step, best_state = value0, 0, snapshot()
    evals_since_best = 0
    stop_reason = "max_steps"
    if not math.isfinite(value0):
        failure = f"non-finite validation value ({value0}) of the initial critic"
        stop_reason = "diverged"
    step = 0
    interval_sum, interval_count = 0.0, 0
    batches_per_epoch = n_train // batch_size
    perm = np.empty(0, dtype=np.int64)

    critic.train()
    while failure is None and step < cfg.max_steps:
        position = step % batches_per_epoch
        if position == 0:
            perm = batch_rng.permutation(n_train)
        idx = torch.as_tensor(perm[position * batch_size : (position + 1) * batch_size], device=device)
        offsets = None
        if cfg.negatives is not None:
            drawn = batch_rng.choice(np.arange(1, batch_size), size=cfg.negatives, replace=False)
            offsets = tuple(sorted(int(o) for o in drawn))
        pos, neg = critic.scores(x_train[idx], y_train[idx], offsets)
        loss = objective.loss(pos, neg)
        loss_value = float(loss.detach())
        step += 1
        if not math.isfinite(loss_value):
            failure = f"training diverged: non-finite loss ({loss_value}) at step {step}"
            stop_reason = "diverged"
            break
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        interval_sum += -loss_value
        interval_count += 1

        if step % cfg.eval_every == 0 or step == cfg.max_steps:
            train_curve.append([step, interval_sum / interval_count])
            interval_sum, interval_count = 0.0, 0
            value, _, largest = validation.evaluate(critic, objective)
            validation_curve.append([step, value])
            if not math.isfinite(value) or (objective.scale_sensitive and not largest <= SCORE_LIMIT):
                failure = (
                    f"training diverged: non-finite validation value ({value}) at step {step}"
                    if not math.isfinite(value)
                    else f"training diverged: the critic scores validation pairs up to {largest:.3g} in magnitude "
                    f"(more than {SCORE_LIMIT:g}) at step {step}"
                )
                stop_reason = "diverged"
                break
            if value > best_value:
                best_value, best_step, best_state = value, step, snapshot()
                evals_since_best = 0
            else:
                evals_since_best += 1
            if cfg.patience is not None and evals_since_best >= cfg.patience:
                stop_reason = "early stopping"
                break

    test_value, test_stderr = math.nan, math.nan
    if failure is None:
        critic.load_state_dict(best_state)
        critic.eval()
        test_value, test_stderr, _ = test.evaluate(critic, objective)
        _, validation_stderr, _ = validation.evaluate(critic, objective)
        failure = held_out_failure(test_value, test_stderr, validation_stderr, best_step)

    candidates = batch_size if cfg.negatives is None else cfg.negatives + 1
    info: dict[str, Any] = {
        "objective": cfg.objective,
        "critic": cfg.critic,
        "device": str(device),
        "seed_used": seed,
        "n_train": n_train,
        "n_validation": n_val,
        "n_test": n_test,
        "batch_size": batch_size,
        "negatives_per_positive": candidates - 1,
        "steps": step,
        "epochs": step / batches_per_epoch,
        "stopping_step": best_step,
        "stop_reason": stop_reason,
        "validation_best": _finite_or_none(best_value),
        "test_estimate": _finite_or_none(test_value),
        "test_stderr": _finite_or_none(test_stderr),
        "train_curve": train_curve,
        "validation_curve": [[s, _finite_or_none(v)] for s, v in validation_curve],
        "torch_threads": torch.get_num_threads(),
        "failed": failure is not None,
    }
    ceiling = objective.ceiling(candidates)
    if ceiling is not None:
        info["infonce_ceiling"] = ceiling
    if failure is not None:
        info["failure_reason"] = failure
    info["seconds"] = time.perf_counter() - start
    value = math.nan if failure is not None else test_value
    return Estimate(value, info)

r"""The variational MI bounds: each turns critic scores into a value (nats) and a training loss.

Notation: for a block of B paired rows, ``pos[i] = T(x_i, y_i)`` are scores of samples of the joint P and
``neg[i, k] = T(x_i, y_j(k))``, ``j(k) != i``, K scores per row of samples of the product of marginals Q.
Every objective works through per-row statistics (``summarise``: shape ``(B, 2)``) that ``pool`` turns into one
value, so the value of a training batch and the value of a whole held-out set pooled over many blocks use the
same formula, and ``influence`` gives per-row influence values whose standard deviation / sqrt(rows) is the
delta-method standard error of a held-out value (rows treated as independent; an approximation, since rows
share their negatives' y's).

==========  =====================================================================  ===========================
name        value                                                                   trained by
==========  =====================================================================  ===========================
dv          :math:`E_P[T] - \log E_Q[e^T]` (Donsker-Varadhan)                      its own gradient
mine        the DV value, unchanged                                                 DV with MINE's moving-average
                                                                                    bias-corrected gradient
nwj         :math:`E_P[T] - e^{-1} E_Q[e^T]` (Nguyen-Wainwright-Jordan, f-div.)    its own gradient
infonce     :math:`\frac1B \sum_i [T_{ii} - \log\frac{1}{K+1}(e^{T_{ii}}           its own gradient
            + \sum_k e^{T_{ik}})]`, at most :math:`\log(K+1)`
smile       :math:`E_P[T] - \log E_Q[\mathrm{clip}(e^T, e^{-\tau}, e^{\tau})]`     the Jensen-Shannon (f-GAN)
                                                                                    bound's gradient
==========  =====================================================================  ===========================

References: Belghazi et al. 2018 (MINE, eq. 12 for the corrected gradient); Nguyen, Wainwright & Jordan 2010;
van den Oord et al. 2018 and Poole et al. 2019 (InfoNCE, its log K ceiling, NWJ as "f" with T - 1); Song & Ermon
2020 (SMILE: the clipped DV value with the JS gradient, as in their reference code ``smile_lower_bound``).

With ``negatives="all"`` K = B - 1, so InfoNCE's ceiling is ``log B``: it can never report more than log(batch
size) nats, however large the true MI (a known limitation, returned in the info as ``infonce_ceiling``).

This module imports torch at import time; it is imported only from inside an estimate.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["DV", "MINE", "NWJ", "OBJECTIVES", "SMILE", "InfoNCE", "Objective", "build_objective", "logmeanexp"]


def logmeanexp(values: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    """``log(mean(exp(values)))`` along ``dim`` (all elements when ``None``), computed stably."""
    if dim is None:
        values = values.reshape(-1)
        dim = 0
    return torch.logsumexp(values, dim=dim) - math.log(values.shape[dim])


class Objective:
    """Base class: a DV-style bound whose rows are ``(pos_i, logmeanexp_k neg_ik)``."""

    name = "dv"
    #: Whether huge critic scores make the value meaningless (guarded by the engine); False for a bounded value.
    scale_sensitive = True

    def summarise(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """Per-row statistics ``(B, 2)``: the positive score and the log-mean-exp of the row's negatives."""
        return torch.stack([pos, logmeanexp(neg, dim=1)], dim=1)

    def pool(self, rows: torch.Tensor) -> torch.Tensor:
        """The value (nats) of the rows of one or more blocks."""
        return rows[:, 0].mean() - logmeanexp(rows[:, 1])

    def influence(self, rows: torch.Tensor) -> torch.Tensor:
        """Per-row influence values (delta method) of :meth:`pool`; their SD / sqrt(rows) is the SE."""
        return rows[:, 0] - torch.exp(rows[:, 1] - logmeanexp(rows[:, 1]))

    def value(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """The value of one block (differentiable)."""
        return self.pool(self.summarise(pos, neg))

    def loss(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        """The training loss of one batch; its forward value is always ``-value(pos, neg)``."""
        return -self.value(pos, neg)

    def ceiling(self, candidates: int) -> float | None:
        """The largest value the bound can take with ``candidates`` = 1 + K scores per row (None: unbounded)."""
        return None


class DV(Objective):
    """Donsker-Varadhan: ``E_P[T] - log E_Q[exp T]``, trained by its own (biased mini-batch) gradient."""

    name = "dv"


class MINE(DV):
    """MINE: the DV value with the bias-corrected gradient of Belghazi et al. (2018), section 3.2.

    The mini-batch gradient of ``log E_Q[e^T]`` is ``grad E_Q[e^T] / E_Q[e^T]``; MINE replaces the batch
    denominator by an exponential moving average ``m`` over batches (``m <- (1 - rate) m + rate * batch mean``,
    updated before use, started at the first batch's value), which reduces the bias of the gradient. Only the
    gradient changes: the loss's forward value is exactly ``-DV``, and the reported value is the DV formula.
    The average is kept in log space, so it cannot overflow.
    """

    name = "mine"

    def __init__(self, ema_rate: float):
        self.ema_rate = float(ema_rate)
        self.log_ema: torch.Tensor | None = None

    def loss(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        log_partition = logmeanexp(neg)
        batch = log_partition.detach()
        if self.log_ema is None or self.ema_rate >= 1.0:
            self.log_ema = batch
        else:
            self.log_ema = torch.logaddexp(math.log1p(-self.ema_rate) + self.log_ema, math.log(self.ema_rate) + batch)
        # forward value log_partition; gradient exp(log_partition - log_ema) * grad(log_partition)
        #   = grad E_Q[e^T] / ema(E_Q[e^T])
        ratio = torch.exp(log_partition - self.log_ema)
        corrected = batch + (ratio - ratio.detach())
        return -(pos.mean() - corrected)


class NWJ(Objective):
    """Nguyen-Wainwright-Jordan (f-divergence) bound ``E_P[T] - e^{-1} E_Q[e^T]`` (optimum T = 1 + log p/q)."""

    name = "nwj"

    def pool(self, rows: torch.Tensor) -> torch.Tensor:
        return rows[:, 0].mean() - torch.exp(rows[:, 1] - 1.0).mean()

    def influence(self, rows: torch.Tensor) -> torch.Tensor:
        return rows[:, 0] - torch.exp(rows[:, 1] - 1.0)


class InfoNCE(Objective):
    """InfoNCE (CPC): each positive is classified against its K negatives; the value is at most log(K + 1)."""

    name = "infonce"
    # the value lies in (-inf, log(K + 1)] whatever the scale of the scores; a perfectly separating critic keeps
    # growing its scores harmlessly (logsumexp is stable), so the engine does not guard its scale
    scale_sensitive = False

    def summarise(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        candidates = neg.shape[1] + 1
        all_scores = torch.cat([pos[:, None], neg], dim=1)
        # pos - logsumexp(all) <= 0 exactly (all contains pos), so each row is <= log(candidates)
        term = torch.clamp(pos - torch.logsumexp(all_scores, dim=1), max=0.0) + math.log(candidates)
        return torch.stack([term, torch.full_like(term, math.log(candidates))], dim=1)

    def pool(self, rows: torch.Tensor) -> torch.Tensor:
        return rows[:, 0].mean()

    def influence(self, rows: torch.Tensor) -> torch.Tensor:
        return rows[:, 0]

    def ceiling(self, candidates: int) -> float | None:
        return math.log(candidates)


class SMILE(Objective):
    """SMILE (Song & Ermon 2020): DV with ``e^T`` clipped to ``[e^-clip, e^clip]`` in the partition term.

    Trained by the gradient of the Jensen-Shannon (f-GAN) bound ``E_P[-softplus(-T)] - E_Q[softplus(T)]`` with
    the forward value of the clipped DV, exactly as the authors' ``smile_lower_bound``. Clipping trades bias for
    variance: the value is unbiased for the MI only as clip -> infinity.
    """

    name = "smile"

    def __init__(self, clip: float):
        self.clip = float(clip)

    def summarise(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        return torch.stack([pos, logmeanexp(torch.clamp(neg, -self.clip, self.clip), dim=1)], dim=1)

    def loss(self, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
        js = -F.softplus(-pos).mean() - F.softplus(neg).mean()
        dv = self.value(pos, neg)
        return -(js + (dv - js).detach())


OBJECTIVES = ("mine", "dv", "nwj", "infonce", "smile")


def build_objective(name: str, *, ema_rate: float = 0.01, clip: float = 5.0) -> Objective:
    """A fresh objective (MINE's moving average starts empty)."""
    if name == "mine":
        return MINE(ema_rate)
    if name == "smile":
        return SMILE(clip)
    return {"dv": DV, "nwj": NWJ, "infonce": InfoNCE}[name]()

"""How faithfully an estimator draws the information plane, and what the exact planes show.

Input: the tidy planes table of :mod:`~mibench.report.information_plane` (``activation, seed, layer, epoch, source,
i_xt_bits, i_ty_bits, ...``; the truth's source is ``"exact"`` for quantized layers and ``"truth"`` for the
Monte-Carlo truth of a noisy study, :data:`TRUTH_SOURCES`; a table holds one of them). Estimator rows are compared
with the exact row of the same (activation, seed, layer, epoch); estimators may cover only some of the logged
epochs, and the comparisons use exactly the epochs an estimator has. Failed estimates are NaN and are left out
(counted).

Scores per estimator (:func:`error_table`, :func:`trajectory_scores`, :func:`fidelity`):

* **error in bits**: ``|estimate - exact|`` per layer and epoch, averaged over seeds (``mae_xt_bits``,
  ``mae_ty_bits``), and the signed mean (bias).
* **rank correlation**: Spearman's rho between the estimator's ``I(X; T)`` trajectory over epochs and the exact
  one, per (seed, layer); NaN when either trajectory is constant (e.g. a tanh layer that stays injective at 12
  bits) or fewer than 3 epochs are valid.
* **phase agreement**: per (seed, layer), ``m`` = the epoch of the exact maximum of ``I(X; T)`` (the first one if
  it repeats), over the epochs the estimator covers. Fitting sign = sign of ``I(m) - I(first)``, compression sign
  = sign of ``I(last) - I(m)``, each 0 ("flat") when the change is within the tolerance
  :data:`PHASE_TOLERANCE_BITS` = 0.05 bits (a change of a few hundredths of a bit is within the estimators'
  noise and a fraction of one sample's worth of plug-in information at n = 4096). The *same* epochs ``first``,
  ``m``, ``last`` are used for the estimator (the phases are defined by the truth; the question is whether the
  estimator moves the same way in each). Agreement = both signs equal the exact ones.

Findings of the exact planes (:func:`findings`), on the seed-averaged curves (and the fraction of seeds): a
fitting phase (``I(T; Y)`` or ``I(X; T)`` rises above its first value by more than the tolerance); compression
(``I(X; T)`` ends more than the tolerance below its maximum), in the output layer and in the hidden layers by
activation (Lorenzen, Igel & Nielsen, ICLR 2022: every layer fits; the output compresses in all experiments;
hidden-layer compression depends on the activation).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "CLUSTERING_TOLERANCE",
    "PHASE_TOLERANCE_BITS",
    "TRUTH_SOURCES",
    "aligned",
    "clustering_findings",
    "error_table",
    "exact_curves",
    "fidelity",
    "findings",
    "is_truth",
    "phase_signs",
    "sign_with_tolerance",
    "spearman",
    "trajectory_scores",
]

#: Changes of I(X;T) smaller than this (bits) count as flat in the phase signs and the findings.
PHASE_TOLERANCE_BITS = 0.05
#: A relative change of the clustering ratio smaller than this counts as no change (see :func:`clustering_findings`).
CLUSTERING_TOLERANCE = 0.05
EXACT = "exact"
#: The sources that hold the truth in a planes table: the exact planes, the Monte-Carlo truth of a noisy study.
TRUTH_SOURCES = (EXACT, "truth")
_KEYS = ["activation", "seed", "layer", "epoch"]


def sign_with_tolerance(change: float, tol: float = PHASE_TOLERANCE_BITS) -> float:
    """``+1`` if ``change > tol``, ``-1`` if ``change < -tol``, ``0`` (flat) otherwise, NaN for NaN."""
    if change is None or not math.isfinite(change):
        return math.nan
    return 1.0 if change > tol else -1.0 if change < -tol else 0.0


def phase_signs(values: Any, max_index: int | None = None, tol: float = PHASE_TOLERANCE_BITS) -> tuple[float, float]:
    """``(fitting, compression)`` signs of a trajectory: the change from the first value to the value at
    ``max_index`` (default: the position of the first maximum of ``values``) and from there to the last value."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return math.nan, math.nan
    if max_index is None:
        if not np.all(np.isfinite(v)):
            return math.nan, math.nan
        max_index = int(np.argmax(v))
    return sign_with_tolerance(v[max_index] - v[0], tol), sign_with_tolerance(v[-1] - v[max_index], tol)


def spearman(a: Any, b: Any) -> float:
    """Spearman's rank correlation over the positions where both are finite; NaN when fewer than 3 remain or
    either side is constant there."""
    from scipy.stats import spearmanr

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearmanr(a[ok], b[ok]).statistic)


def is_truth(planes: pd.DataFrame) -> pd.Series:
    """Which rows of a planes table hold the truth (:data:`TRUTH_SOURCES`)."""
    return planes["source"].isin(TRUTH_SOURCES)


def _check(planes: pd.DataFrame) -> None:
    missing = [c for c in [*_KEYS, "source", "i_xt_bits", "i_ty_bits"] if c not in planes.columns]
    if missing:
        raise ValueError(f"planes table lacks columns {missing}")
    if not is_truth(planes).any():
        raise ValueError(f"planes table has no truth rows (source in {TRUTH_SOURCES})")


def aligned(planes: pd.DataFrame) -> pd.DataFrame:
    """Estimator rows joined with their exact rows: ``source, activation, seed, layer, epoch, est_xt, est_ty,
    exact_xt, exact_ty`` (bits)."""
    _check(planes)
    exact = planes[is_truth(planes)][[*_KEYS, "i_xt_bits", "i_ty_bits"]].rename(
        columns={"i_xt_bits": "exact_xt", "i_ty_bits": "exact_ty"}
    )
    est = planes[~is_truth(planes)][["source", *_KEYS, "i_xt_bits", "i_ty_bits"]].rename(
        columns={"i_xt_bits": "est_xt", "i_ty_bits": "est_ty"}
    )
    out = est.merge(exact, on=_KEYS, how="inner")
    for column in ("est_xt", "est_ty", "exact_xt", "exact_ty"):
        out[column] = out[column].astype(float)
    return out.sort_values(["source", *_KEYS]).reset_index(drop=True)


def error_table(planes: pd.DataFrame) -> pd.DataFrame:
    """Per (source, activation, layer, epoch): mean absolute error and mean signed error (bias) in bits over the
    seeds with a valid estimate, and how many seeds that was (``n_xt``, ``n_ty``) of ``n_seeds``."""
    data = aligned(planes)
    data = data.assign(
        err_xt=data["est_xt"] - data["exact_xt"],
        err_ty=data["est_ty"] - data["exact_ty"],
    )
    data = data.assign(abs_xt=data["err_xt"].abs(), abs_ty=data["err_ty"].abs())
    grouped = data.groupby(["source", "activation", "layer", "epoch"], sort=True)
    out = grouped.agg(
        mae_xt_bits=("abs_xt", "mean"),
        mae_ty_bits=("abs_ty", "mean"),
        bias_xt_bits=("err_xt", "mean"),
        bias_ty_bits=("err_ty", "mean"),
        n_xt=("err_xt", "count"),
        n_ty=("err_ty", "count"),
        n_seeds=("seed", "nunique"),
    )
    return out.reset_index()


def trajectory_scores(planes: pd.DataFrame, tol: float = PHASE_TOLERANCE_BITS) -> pd.DataFrame:
    """Per (source, activation, seed, layer): Spearman rho of the I(X;T) trajectories and the phase signs.

    Columns: ``n_epochs``, ``spearman_xt``, ``max_epoch`` (of the exact I(X;T)), ``exact_fitting``,
    ``exact_compression``, ``est_fitting``, ``est_compression`` (+1 / 0 / -1, NaN if undefined),
    ``fitting_agrees``, ``compression_agrees``, ``phase_agrees`` (booleans; NaN when the estimator's value is
    missing at the first, maximum or last epoch).
    """
    import pandas as pd

    data = aligned(planes)
    rows = []
    for (source, activation, seed, layer), group in data.groupby(["source", "activation", "seed", "layer"]):
        group = group.sort_values("epoch")
        exact = group["exact_xt"].to_numpy()
        est = group["est_xt"].to_numpy()
        m = int(np.argmax(exact))
        exact_fit, exact_comp = phase_signs(exact, m, tol)
        est_fit, est_comp = phase_signs(est, m, tol)
        defined = math.isfinite(est_fit) and math.isfinite(est_comp)
        fit_ok = est_fit == exact_fit if math.isfinite(est_fit) else math.nan
        comp_ok = est_comp == exact_comp if math.isfinite(est_comp) else math.nan
        rows.append(
            {
                "source": source,
                "activation": activation,
                "seed": seed,
                "layer": layer,
                "n_epochs": len(group),
                "spearman_xt": spearman(est, exact),
                "max_epoch": int(group["epoch"].iloc[m]),
                "exact_fitting": exact_fit,
                "exact_compression": exact_comp,
                "est_fitting": est_fit,
                "est_compression": est_comp,
                "fitting_agrees": fit_ok,
                "compression_agrees": comp_ok,
                "phase_agrees": (bool(fit_ok) and bool(comp_ok)) if defined else math.nan,
            }
        )
    columns = [
        "source",
        "activation",
        "seed",
        "layer",
        "n_epochs",
        "spearman_xt",
        "max_epoch",
        "exact_fitting",
        "exact_compression",
        "est_fitting",
        "est_compression",
        "fitting_agrees",
        "compression_agrees",
        "phase_agrees",
    ]
    return pd.DataFrame(rows, columns=columns)


def _mean(values: Any) -> float:
    v = np.asarray(_floats(values), dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else math.nan


def _floats(values: Any) -> np.ndarray:
    return np.array([math.nan if v is None else float(v) for v in list(values)], dtype=np.float64)


def fidelity(planes: pd.DataFrame, tol: float = PHASE_TOLERANCE_BITS) -> pd.DataFrame:
    """The fidelity table: per (source, activation, layer), and per (source, activation) with ``layer="all"``.

    Columns: ``mae_xt_bits``, ``mae_ty_bits`` (mean absolute error over all valid (seed, epoch) cells),
    ``bias_xt_bits``, ``bias_ty_bits``, ``spearman_xt`` (mean over seeds of the defined rhos) with
    ``n_spearman``, ``phase_agreement`` (fraction of (seed, layer) whose fitting and compression signs both
    agree, over those where it is defined) with ``n_phase``, ``fitting_agreement``, ``compression_agreement``,
    and the failure rates ``failed_xt``, ``failed_ty`` (fraction of cells without a valid estimate).
    """
    import pandas as pd

    data = aligned(planes)
    traj = trajectory_scores(planes, tol)
    data = data.assign(
        abs_xt=(data["est_xt"] - data["exact_xt"]).abs(),
        abs_ty=(data["est_ty"] - data["exact_ty"]).abs(),
        err_xt=data["est_xt"] - data["exact_xt"],
        err_ty=data["est_ty"] - data["exact_ty"],
    )
    rows = []
    for by_layer in (True, False):
        keys = ["source", "activation", "layer"] if by_layer else ["source", "activation"]
        traj_groups = dict(list(traj.groupby(keys))) if len(traj) else {}
        for key, group in data.groupby(keys):
            key = key if isinstance(key, tuple) else (key,)
            t = traj_groups.get(key)
            if t is None:
                t = traj.iloc[0:0]
            row = dict(zip(keys, key, strict=True))
            if not by_layer:
                row["layer"] = "all"
            phase = _floats(t["phase_agrees"])
            row.update(
                mae_xt_bits=_mean(group["abs_xt"]),
                mae_ty_bits=_mean(group["abs_ty"]),
                bias_xt_bits=_mean(group["err_xt"]),
                bias_ty_bits=_mean(group["err_ty"]),
                spearman_xt=_mean(t["spearman_xt"]),
                n_spearman=int(np.isfinite(_floats(t["spearman_xt"])).sum()),
                phase_agreement=_mean(phase),
                n_phase=int(np.isfinite(phase).sum()),
                fitting_agreement=_mean(t["fitting_agrees"]),
                compression_agreement=_mean(t["compression_agrees"]),
                failed_xt=float(group["est_xt"].isna().mean()),
                failed_ty=float(group["est_ty"].isna().mean()),
                n_cells=len(group),
            )
            rows.append(row)
    columns = [
        "source",
        "activation",
        "layer",
        "mae_xt_bits",
        "mae_ty_bits",
        "bias_xt_bits",
        "bias_ty_bits",
        "spearman_xt",
        "n_spearman",
        "phase_agreement",
        "n_phase",
        "fitting_agreement",
        "compression_agreement",
        "failed_xt",
        "failed_ty",
        "n_cells",
    ]
    out = pd.DataFrame(rows, columns=columns)
    if len(out):
        order = out["layer"].map(lambda v: 10**9 if v == "all" else int(v))
        out = out.assign(_o=order).sort_values(["source", "activation", "_o"]).drop(columns="_o")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------------------------
# Findings of the exact planes
# --------------------------------------------------------------------------------------------------------------


def exact_curves(planes: pd.DataFrame) -> pd.DataFrame:
    """Seed-averaged exact curves: per (activation, layer, epoch) the mean ``i_xt_bits``, ``i_ty_bits``."""
    _check(planes)
    exact = planes[is_truth(planes)]
    out = exact.groupby(["activation", "layer", "epoch"], sort=True)[["i_xt_bits", "i_ty_bits"]].mean()
    return out.reset_index()


def _curve_facts(epochs: np.ndarray, xt: np.ndarray, ty: np.ndarray, tol: float) -> dict[str, Any]:
    m = int(np.argmax(xt))
    fit_xt = float(xt[m] - xt[0])
    fit_ty = float(np.max(ty) - ty[0])
    compression = float(xt[m] - xt[-1])
    return {
        "first_xt_bits": float(xt[0]),
        "max_xt_bits": float(xt[m]),
        "last_xt_bits": float(xt[-1]),
        "max_xt_epoch": int(epochs[m]),
        "first_ty_bits": float(ty[0]),
        "max_ty_bits": float(np.max(ty)),
        "max_ty_epoch": int(epochs[int(np.argmax(ty))]),
        "last_ty_bits": float(ty[-1]),
        "fitting_xt_bits": fit_xt,
        "fitting_ty_bits": fit_ty,
        "fitting": bool(fit_xt > tol or fit_ty > tol),
        "compression_bits": compression,
        "compression": bool(compression > tol),
    }


def findings(
    planes: pd.DataFrame,
    tol: float = PHASE_TOLERANCE_BITS,
    *,
    log2_n: float | None = None,
    label_entropy: float | None = None,
) -> dict[str, Any]:
    """The qualitative findings of the exact planes, as booleans and numbers (JSON-able).

    Per activation and layer (``"layers"``), on the seed-averaged curve: first / maximum / last ``I(X; T)`` and
    ``I(T; Y)`` (bits), ``fitting`` (``I(T; Y)`` rises above its first value, or ``I(X; T)`` does, by more than
    ``tol``), ``compression`` (``I(X; T)`` ends more than ``tol`` below its maximum), ``saturated`` (``I(T; Y)``
    starts within ``tol`` of ``H(Y)``: the layer holds all label information from the start -- an injective
    tanh layer at 12 bits, say -- so no fitting can show), ``injective`` (``I(X; T)`` within ``tol`` of
    ``log2 n`` at every epoch), and the fraction of seeds for which ``fitting`` / ``compression`` hold on their
    own curves. ``log2_n`` (12 for the 12-bit set) and ``label_entropy`` (``H(Y)`` in bits, 0.99916 there)
    default to the largest exact ``I(X; T)`` and ``I(T; Y)`` in the table.

    Summary keys: ``fitting_every_layer`` (all activations and layers); ``fitting_every_unsaturated_layer``
    (every layer not ``saturated``); ``output_compression`` (the output layer compresses for every activation)
    with ``output_compression_bits`` and ``output_compression_seed_fraction`` per activation;
    ``hidden_compression_bits`` (per activation and hidden layer) and ``hidden_compressing_layers``, both on the
    seed-averaged curves; ``hidden_compression_mean_bits`` (their mean over hidden layers);
    ``hidden_compression_seed_mean_bits`` and ``hidden_compression_seed_fraction`` (per hidden layer, from each
    seed's own curve); ``hidden_layers_compressing_in_every_seed``; and, when both tanh and ReLU are present,
    ``hidden_compression_depends_on_activation`` (the hidden layers compressing in every seed differ between the
    activations: a crude yes/no, read the numbers beside it) and ``tanh_compresses_more_than_relu`` (larger
    ``hidden_compression_mean_bits``); ``None`` otherwise.
    """
    _check(planes)
    exact = planes[is_truth(planes)]
    n_layers = int(exact["layer"].max())
    log_n = float(np.nanmax(exact["i_xt_bits"].to_numpy(dtype=float))) if log2_n is None else float(log2_n)
    h_y = float(np.nanmax(exact["i_ty_bits"].to_numpy(dtype=float))) if label_entropy is None else label_entropy
    activations = sorted(exact["activation"].unique(), key=lambda a: (a != "tanh", a))
    layers: dict[str, dict[str, Any]] = {}
    for activation in activations:
        per_layer: dict[str, Any] = {}
        for layer in range(1, n_layers + 1):
            sel = exact[(exact["activation"] == activation) & (exact["layer"] == layer)]
            if sel.empty:
                continue
            mean = sel.groupby("epoch")[["i_xt_bits", "i_ty_bits"]].mean().sort_index()
            epochs = mean.index.to_numpy()
            facts = _curve_facts(epochs, mean["i_xt_bits"].to_numpy(), mean["i_ty_bits"].to_numpy(), tol)
            seed_fit, seed_comp, seed_bits = [], [], []
            for _, one in sel.groupby("seed"):
                one = one.sort_values("epoch")
                f = _curve_facts(
                    one["epoch"].to_numpy(), one["i_xt_bits"].to_numpy(float), one["i_ty_bits"].to_numpy(float), tol
                )
                seed_fit.append(f["fitting"])
                seed_comp.append(f["compression"])
                seed_bits.append(f["compression_bits"])
            xt = mean["i_xt_bits"].to_numpy()
            facts.update(
                saturated=bool(facts["first_ty_bits"] >= h_y - tol),
                injective=bool(np.all(xt >= log_n - tol)),
                fitting_seed_fraction=float(np.mean(seed_fit)),
                compression_seed_fraction=float(np.mean(seed_comp)),
                compression_seed_mean_bits=float(np.mean(seed_bits)),
                n_seeds=len(seed_fit),
                output=layer == n_layers,
            )
            per_layer[str(layer)] = facts
        layers[activation] = per_layer

    every = [f["fitting"] for per in layers.values() for f in per.values()]
    unsaturated = [f["fitting"] for per in layers.values() for f in per.values() if not f["saturated"]]
    output = {a: layers[a].get(str(n_layers)) for a in activations}
    hidden_bits = {a: {k: f["compression_bits"] for k, f in layers[a].items() if not f["output"]} for a in activations}
    hidden_layers = {
        a: [int(k) for k, f in layers[a].items() if not f["output"] and f["compression"]] for a in activations
    }
    hidden_mean = {a: (float(np.mean(list(v.values()))) if v else math.nan) for a, v in hidden_bits.items()}
    hidden_every_seed = {
        a: [int(k) for k, f in layers[a].items() if not f["output"] and f["compression_seed_fraction"] == 1.0]
        for a in activations
    }
    hidden_seed_bits = {
        a: {k: f["compression_seed_mean_bits"] for k, f in layers[a].items() if not f["output"]} for a in activations
    }
    hidden_seed_fraction = {
        a: {k: f["compression_seed_fraction"] for k, f in layers[a].items() if not f["output"]} for a in activations
    }
    both = "tanh" in layers and "relu" in layers
    return {
        "tolerance_bits": tol,
        "log2_n": log_n,
        "label_entropy_bits": h_y,
        "n_layers": n_layers,
        "activations": activations,
        "layers": layers,
        "fitting_every_layer": bool(all(every)) if every else None,
        "fitting_every_unsaturated_layer": bool(all(unsaturated)) if unsaturated else None,
        "fitting_by_activation": {a: {k: f["fitting"] for k, f in layers[a].items()} for a in activations},
        "output_compression": bool(all(o is not None and o["compression"] for o in output.values())),
        "output_compression_by_activation": {a: bool(o and o["compression"]) for a, o in output.items()},
        "output_compression_bits": {a: (o["compression_bits"] if o else math.nan) for a, o in output.items()},
        "output_compression_seed_fraction": {
            a: (o["compression_seed_fraction"] if o else math.nan) for a, o in output.items()
        },
        "hidden_compression_bits": hidden_bits,
        "hidden_compressing_layers": hidden_layers,
        "hidden_compression_mean_bits": hidden_mean,
        "hidden_compression_seed_mean_bits": hidden_seed_bits,
        "hidden_compression_seed_fraction": hidden_seed_fraction,
        "hidden_layers_compressing_in_every_seed": hidden_every_seed,
        "hidden_compression_depends_on_activation": (
            (hidden_every_seed["tanh"] != hidden_every_seed["relu"]) if both else None
        ),
        "tanh_compresses_more_than_relu": (bool(hidden_mean["tanh"] > hidden_mean["relu"]) if both else None),
    }


# --------------------------------------------------------------------------------------------------------------
# Compression and clustering (noisy planes)
# --------------------------------------------------------------------------------------------------------------


def clustering_findings(
    planes: pd.DataFrame,
    clusters: pd.DataFrame,
    tol: float = PHASE_TOLERANCE_BITS,
    cluster_tol: float = CLUSTERING_TOLERANCE,
) -> dict[str, Any]:
    """Whether the truth's compression of ``I(X; T)`` coincides with same-class clustering (Goldfeld et al. 2019).

    ``clusters`` is :func:`mibench.networks.clustering.clustering_table` (``activation, seed, layer, epoch, ratio``
    and optionally ``within_over_noise``). Per (activation, layer), on the seed-averaged truth curve at its epochs
    (``first`` .. ``last``) and the seed-averaged measures at the same epochs:

    * ``m`` = the epoch of the maximum of ``I(X; T)``; ``compresses`` when ``I(X; T)`` ends more than ``tol`` bits
      below it; ``window`` when ``m`` comes before the last epoch (only then can a layer compress at all).
    * clustering after the maximum: ``ratio_at_max``, ``ratio_last``, ``ratio_change`` (relative) of ``W/B``;
      ``clusters`` when it falls by more than the fraction ``cluster_tol``; ``coincide`` (``compresses ==
      clusters``) for a layer with a window, ``None`` without one. The same at the noise's scale with ``W/b^2``
      (``noise_scale_at_max``, ``noise_scale_last``, ``noise_scale_change``, ``clusters_at_noise_scale``,
      ``coincide_at_noise_scale``): the noise merges only what is close at its own scale, so Goldfeld et al.'s
      mechanism needs the classes to tighten relative to b, not only relative to each other.
    * clustering over the whole training: ``ratio_first`` and ``clusters_over_training`` (``W/B`` at the last epoch
      more than ``cluster_tol`` below the first).
    * ``spearman``: Spearman's rho between ``I(X; T)`` and ``W/B`` over the epochs, averaged over seeds (negative:
      ``I(X; T)`` rises while the classes tighten, as while a layer fits; positive: it falls with them).

    Summary keys: ``layers`` (the facts by activation and layer), ``n_layers``, ``n_window``, ``n_compressing``,
    ``n_compressing_and_clustering``, ``n_clustering_without_compression`` (layers with a window), ``n_coincide`` and
    ``fraction_coincide`` (of the layers with a window), their ``..._at_noise_scale`` counterparts,
    ``n_clustering_over_training`` and ``n_clustering_over_training_without_compression``, ``tolerance_bits``,
    ``cluster_tolerance``.
    """
    import pandas as pd

    _check(planes)
    truth = planes[is_truth(planes)]
    needed = {"activation", "seed", "layer", "epoch", "ratio"}
    if not needed <= set(clusters.columns):
        raise ValueError(f"clustering table lacks columns {sorted(needed - set(clusters.columns))}")

    def change(series: pd.Series, start: Any, stop: Any) -> tuple[float, float, float]:
        a, b = float(series.get(start, math.nan)), float(series.get(stop, math.nan))
        return a, b, (b - a) / a if math.isfinite(a) and math.isfinite(b) and a > 0 else math.nan

    def falls(relative: float) -> bool:
        return bool(math.isfinite(relative) and relative < -cluster_tol)

    activations = sorted(truth["activation"].unique(), key=lambda a: (a != "tanh", a))
    layers: dict[str, dict[str, Any]] = {}
    for activation in activations:
        per: dict[str, Any] = {}
        for layer in sorted(int(v) for v in truth.loc[truth["activation"] == activation, "layer"].unique()):
            sel = truth[(truth["activation"] == activation) & (truth["layer"] == layer)]
            cl = clusters[(clusters["activation"] == activation) & (clusters["layer"] == layer)]
            mean = sel.groupby("epoch")["i_xt_bits"].mean().sort_index()
            ratio = cl.groupby("epoch")["ratio"].mean()
            has_scale = "within_over_noise" in cl.columns
            scale = cl.groupby("epoch")["within_over_noise"].mean() if has_scale else pd.Series(dtype=float)
            epochs = mean.index.to_numpy()
            m = int(np.argmax(mean.to_numpy()))
            window = m < len(epochs) - 1
            compression = float(mean.iloc[m] - mean.iloc[-1])
            compresses = compression > tol
            r_first, r_last, overall = change(ratio, epochs[0], epochs[-1])
            r_max, _, r_change = change(ratio, epochs[m], epochs[-1])
            s_max, s_last, s_change = change(scale, epochs[m], epochs[-1])
            tighter, tighter_at_b = falls(r_change), falls(s_change)
            rhos = []
            for seed, one in sel.groupby("seed"):
                one = one.sort_values("epoch")
                seed_ratio = cl[cl["seed"] == seed].set_index("epoch")["ratio"]
                rhos.append(spearman(one["i_xt_bits"], seed_ratio.reindex(one["epoch"]).to_numpy()))
            per[str(layer)] = {
                "max_xt_epoch": int(epochs[m]),
                "window": bool(window),
                "compression_bits": compression,
                "compresses": bool(compresses),
                "ratio_first": r_first,
                "ratio_at_max": r_max,
                "ratio_last": r_last,
                "ratio_change": r_change,
                "clusters": tighter,
                "coincide": bool(compresses == tighter) if window else None,
                "clusters_over_training": falls(overall),
                "spearman": _mean(rhos),
                "noise_scale_at_max": s_max,
                "noise_scale_last": s_last,
                "noise_scale_change": s_change,
                "clusters_at_noise_scale": tighter_at_b,
                "coincide_at_noise_scale": bool(compresses == tighter_at_b) if window and has_scale else None,
            }
        layers[activation] = per
    facts = [f for per in layers.values() for f in per.values()]
    windowed = [f for f in facts if f["window"]]
    n_coincide = sum(bool(f["coincide"]) for f in windowed)
    n_noise = sum(bool(f["coincide_at_noise_scale"]) for f in windowed)
    return {
        "tolerance_bits": tol,
        "cluster_tolerance": cluster_tol,
        "layers": layers,
        "n_layers": len(facts),
        "n_window": len(windowed),
        "n_compressing": sum(f["compresses"] for f in facts),
        "n_compressing_and_clustering": sum(f["compresses"] and f["clusters"] for f in facts),
        "n_clustering_without_compression": sum(f["clusters"] and not f["compresses"] for f in windowed),
        "n_coincide": n_coincide,
        "fraction_coincide": n_coincide / len(windowed) if windowed else math.nan,
        "n_compressing_and_clustering_at_noise_scale": sum(
            f["compresses"] and f["clusters_at_noise_scale"] for f in facts
        ),
        "n_clustering_at_noise_scale_without_compression": sum(
            f["clusters_at_noise_scale"] and not f["compresses"] for f in windowed
        ),
        "n_coincide_at_noise_scale": n_noise,
        "fraction_coincide_at_noise_scale": n_noise / len(windowed) if windowed else math.nan,
        "n_clustering_over_training": sum(f["clusters_over_training"] for f in facts),
        "n_clustering_over_training_without_compression": sum(
            f["clusters_over_training"] and not f["compresses"] for f in facts
        ),
    }

"""Fidelity scores and findings on constructed information planes (known errors, ranks and phase signs)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mibench.networks.fidelity import (
    PHASE_TOLERANCE_BITS,
    error_table,
    fidelity,
    findings,
    phase_signs,
    sign_with_tolerance,
    spearman,
    trajectory_scores,
)

EPOCHS = [0, 1, 2, 3, 4]


def _rows(source: str, xt, ty=None, *, activation="tanh", seed=0, layer=1, epochs=EPOCHS) -> list[dict]:
    ty = [0.5] * len(xt) if ty is None else ty
    return [
        {
            "study": "t",
            "activation": activation,
            "seed": seed,
            "layer": layer,
            "epoch": e,
            "source": source,
            "i_xt_bits": x,
            "i_ty_bits": t,
            "status": "ok",
            "error": "",
        }
        for e, x, t in zip(epochs, xt, ty, strict=True)
    ]


EXACT = [1.0, 3.0, 5.0, 4.0, 2.0]  # maximum at epoch 2: fitting up, then compression


def _table(*parts: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([row for part in parts for row in part])


def test_sign_with_tolerance() -> None:
    assert sign_with_tolerance(0.2) == 1.0
    assert sign_with_tolerance(-0.2) == -1.0
    assert sign_with_tolerance(0.05) == 0.0  # at the tolerance: flat
    assert sign_with_tolerance(-0.049) == 0.0
    assert math.isnan(sign_with_tolerance(math.nan))
    assert PHASE_TOLERANCE_BITS == 0.05


def test_phase_signs() -> None:
    assert phase_signs(EXACT) == (1.0, -1.0)
    assert phase_signs([1.0, 1.02, 1.03, 1.0]) == (0.0, 0.0)  # flat within 0.05 bits
    assert phase_signs([1.0, 2.0, 3.0]) == (1.0, 0.0)  # maximum at the end: no compression
    assert phase_signs([3.0, 2.0, 1.0]) == (0.0, -1.0)  # maximum at the start
    assert phase_signs([1.0, 5.0, 0.0], max_index=0) == (0.0, -1.0)


def test_spearman_known_values() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # ranks [1,3,5,4,2] vs [2,4,5,3,1]: sum d^2 = 4, rho = 1 - 6*4/(5*24) = 0.8
    assert spearman(EXACT, [2.0, 4.0, 5.0, 3.0, 1.0]) == pytest.approx(0.8)
    assert math.isnan(spearman([1, 1, 1, 1], [1, 2, 3, 4]))  # constant: undefined
    assert math.isnan(spearman([1, 2, np.nan, np.nan], [1, 2, 3, 4]))  # fewer than 3 valid pairs


def test_mae_spearman_and_phases_on_constructed_curves() -> None:
    shifted = [v + 0.5 for v in EXACT]
    reordered = [2.0, 4.0, 5.0, 3.0, 1.0]
    rising = [1.0, 2.0, 3.0, 4.0, 5.0]
    planes = _table(
        _rows("exact", EXACT, [0.1, 0.2, 0.3, 0.3, 0.3]),
        _rows("shifted", shifted, [0.2, 0.3, 0.4, 0.4, 0.4]),
        _rows("reordered", reordered),
        _rows("rising", rising),
    )
    table = fidelity(planes).set_index(["source", "layer"])
    assert table.loc[("shifted", 1), "mae_xt_bits"] == pytest.approx(0.5)
    assert table.loc[("shifted", 1), "bias_xt_bits"] == pytest.approx(0.5)
    assert table.loc[("shifted", 1), "mae_ty_bits"] == pytest.approx(0.1)
    assert table.loc[("shifted", 1), "spearman_xt"] == pytest.approx(1.0)
    assert table.loc[("shifted", 1), "phase_agreement"] == 1.0
    assert table.loc[("reordered", 1), "spearman_xt"] == pytest.approx(0.8)
    assert table.loc[("reordered", 1), "phase_agreement"] == 1.0  # 2 -> 5 up, 5 -> 1 down, like the truth
    # rising: up to the exact maximum (epoch 2) it fits, after it keeps rising: compression disagrees
    traj = trajectory_scores(planes).set_index("source")
    assert traj.loc["rising", "max_epoch"] == 2
    assert traj.loc["rising", "exact_fitting"] == 1.0 and traj.loc["rising", "exact_compression"] == -1.0
    assert traj.loc["rising", "est_fitting"] == 1.0 and traj.loc["rising", "est_compression"] == 1.0
    assert bool(traj.loc["rising", "fitting_agrees"]) and not bool(traj.loc["rising", "compression_agrees"])
    assert table.loc[("rising", 1), "phase_agreement"] == 0.0
    assert table.loc[("rising", "all"), "n_phase"] == 1


def test_flat_exact_curve_and_missing_estimates() -> None:
    flat = [1.0, 1.02, 1.03, 1.0, 1.01]
    planes = _table(
        _rows("exact", flat),
        _rows("also-flat", [2.0, 2.0, 2.01, 2.0, 2.04]),
        _rows("moving", [1.0, 1.5, 2.0, 2.5, 3.0]),
        _rows("gappy", [1.0, np.nan, 1.03, 1.0, 1.01]),
        _rows("broken", [np.nan] * 5, [np.nan] * 5),
    )
    traj = trajectory_scores(planes).set_index("source")
    assert traj.loc["also-flat", "exact_fitting"] == 0.0 and traj.loc["also-flat", "exact_compression"] == 0.0
    assert bool(traj.loc["also-flat", "phase_agrees"])
    assert not bool(traj.loc["moving", "phase_agrees"])
    assert bool(traj.loc["gappy", "phase_agrees"])  # the gap is not at the first, maximum or last epoch
    assert math.isnan(traj.loc["broken", "phase_agrees"])
    table = fidelity(planes).set_index(["source", "layer"])
    assert table.loc[("gappy", 1), "mae_xt_bits"] == pytest.approx(0.0)
    assert table.loc[("gappy", 1), "failed_xt"] == pytest.approx(0.2)
    assert table.loc[("broken", 1), "failed_xt"] == 1.0
    assert math.isnan(table.loc[("broken", 1), "mae_xt_bits"])
    assert table.loc[("broken", 1), "n_phase"] == 0


def test_error_table_averages_over_seeds() -> None:
    planes = _table(
        _rows("exact", EXACT, seed=0),
        _rows("exact", EXACT, seed=1),
        _rows("est", [v + 1.0 for v in EXACT], seed=0),
        _rows("est", [v - 3.0 for v in EXACT], seed=1),
    )
    errors = error_table(planes)
    assert len(errors) == len(EPOCHS)
    assert errors["mae_xt_bits"].tolist() == pytest.approx([2.0] * 5)
    assert errors["bias_xt_bits"].tolist() == pytest.approx([-1.0] * 5)
    assert (errors["n_xt"] == 2).all()


def test_fidelity_needs_exact_rows() -> None:
    with pytest.raises(ValueError, match="exact"):
        fidelity(_table(_rows("est", EXACT)))


def _findings_planes() -> pd.DataFrame:
    rise_fall = [2.0, 6.0, 8.0, 7.0, 6.5]  # compression 1.5 bits
    rise = [2.0, 6.0, 8.0, 9.0, 10.0]
    parts = []
    for seed in (0, 1):
        # tanh: T1 injective from the start (12 bits, all label information), T2 compresses, output compresses
        parts.append(_rows("exact", [12.0] * 5, [1.0] * 5, activation="tanh", seed=seed, layer=1))
        parts.append(_rows("exact", rise_fall, [0.2, 0.6, 0.9, 0.9, 0.9], activation="tanh", seed=seed, layer=2))
        parts.append(
            _rows("exact", [1.0, 3.0, 4.0, 3.0, 2.0], [0.1, 0.5, 0.8, 0.8, 0.8], activation="tanh", seed=seed, layer=3)
        )
        # relu: hidden layers keep rising, output compresses
        parts.append(_rows("exact", rise, [0.3, 0.5, 0.8, 0.9, 1.0], activation="relu", seed=seed, layer=1))
        parts.append(_rows("exact", rise, [0.2, 0.4, 0.7, 0.8, 0.9], activation="relu", seed=seed, layer=2))
        parts.append(
            _rows("exact", [1.0, 3.0, 4.0, 3.9, 3.0], [0.1, 0.5, 0.8, 0.8, 0.8], activation="relu", seed=seed, layer=3)
        )
    return _table(*parts)


def test_findings_on_constructed_planes() -> None:
    facts = findings(_findings_planes(), log2_n=12.0, label_entropy=1.0)
    assert facts["n_layers"] == 3
    assert facts["activations"] == ["tanh", "relu"]
    tanh, relu = facts["layers"]["tanh"], facts["layers"]["relu"]
    assert tanh["1"]["saturated"] and tanh["1"]["injective"] and not tanh["1"]["fitting"]
    assert tanh["2"]["fitting"] and tanh["2"]["compression"]
    assert tanh["2"]["compression_bits"] == pytest.approx(1.5)
    assert tanh["2"]["max_xt_epoch"] == 2 and tanh["2"]["fitting_ty_bits"] == pytest.approx(0.7)
    assert tanh["2"]["compression_seed_fraction"] == 1.0 and tanh["2"]["n_seeds"] == 2
    assert tanh["2"]["compression_seed_mean_bits"] == pytest.approx(1.5)
    assert facts["hidden_compression_seed_fraction"]["relu"] == {"1": 0.0, "2": 0.0}
    assert facts["fitting_every_layer"] is False  # tanh T1 cannot fit
    assert facts["fitting_every_unsaturated_layer"] is True
    assert facts["output_compression"] is True
    assert facts["output_compression_bits"] == {"tanh": pytest.approx(2.0), "relu": pytest.approx(1.0)}
    assert facts["hidden_compressing_layers"] == {"tanh": [2], "relu": []}
    assert facts["hidden_compression_bits"]["relu"] == {"1": 0.0, "2": 0.0}
    assert facts["hidden_compression_mean_bits"]["tanh"] == pytest.approx(0.75)
    assert facts["hidden_layers_compressing_in_every_seed"] == {"tanh": [2], "relu": []}
    assert facts["hidden_compression_depends_on_activation"] is True
    assert facts["tanh_compresses_more_than_relu"] is True
    assert not relu["1"]["compression"] and relu["3"]["output"]


def test_findings_single_activation_and_flat_output() -> None:
    planes = _findings_planes()
    planes = planes[planes["activation"] == "relu"].copy()
    out = planes["layer"] == 3
    planes.loc[out, "i_xt_bits"] = 4.0 + 0.01 * planes.loc[out, "epoch"]  # rises by 0.04 bits: flat
    facts = findings(planes)
    assert facts["output_compression"] is False
    assert facts["hidden_compression_depends_on_activation"] is None
    assert facts["tanh_compresses_more_than_relu"] is None
    assert facts["layers"]["relu"]["3"]["fitting"] is True  # I(T;Y) rises 0.7 bits


def test_truth_rows_of_a_noisy_plane_are_the_reference() -> None:
    planes = _table(_rows("truth", EXACT), _rows("est", [x + 0.5 for x in EXACT]))
    table = fidelity(planes)
    overall = table[table["layer"].astype(str) == "all"].iloc[0]
    assert overall["source"] == "est" and overall["mae_xt_bits"] == pytest.approx(0.5)
    assert findings(planes)["layers"]["tanh"]["1"]["compression"]


def test_clustering_findings_pair_compression_with_the_ratio() -> None:
    from mibench.networks.fidelity import clustering_findings

    flat = [2.0, 2.0, 2.0, 2.0, 2.0]
    planes = _table(_rows("truth", EXACT, layer=1), _rows("truth", flat, layer=2))

    def clusters(layer: int, ratios: list[float], seed: int = 0) -> list[dict]:
        return [
            {"activation": "tanh", "seed": seed, "layer": layer, "epoch": e, "ratio": r}
            for e, r in zip(EPOCHS, ratios, strict=True)
        ]

    # layer 1 compresses from epoch 2 on while its classes tighten; layer 2 neither compresses nor clusters
    table = pd.DataFrame(clusters(1, [0.9, 0.9, 0.8, 0.6, 0.4]) + clusters(2, [0.5] * 5))
    facts = clustering_findings(planes, table)
    one, two = facts["layers"]["tanh"]["1"], facts["layers"]["tanh"]["2"]
    assert one["compresses"] and one["clusters"] and one["coincide"] and one["max_xt_epoch"] == 2
    assert one["ratio_at_max"] == 0.8 and one["ratio_last"] == 0.4 and one["ratio_change"] == pytest.approx(-0.5)
    assert one["spearman"] == pytest.approx(spearman(EXACT, [0.9, 0.9, 0.8, 0.6, 0.4]))
    assert not two["compresses"] and not two["clusters"] and two["coincide"] and math.isnan(two["spearman"])
    assert (facts["n_layers"], facts["n_compressing"], facts["n_coincide"], facts["fraction_coincide"]) == (2, 1, 2, 1)
    # clustering without compression, and compression without clustering, do not coincide
    table = pd.DataFrame(clusters(1, [0.9] * 5) + clusters(2, [0.9, 0.9, 0.9, 0.5, 0.3]))
    facts = clustering_findings(planes, table)
    assert facts["n_coincide"] == 0 and facts["n_clustering_without_compression"] == 1
    with pytest.raises(ValueError, match="lacks columns"):
        clustering_findings(planes, table.drop(columns="ratio"))

"""The information-plane figure: panels per activation and source, a source that always failed, empty input."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mibench.report.plane_figures import plot_information_planes


def _planes() -> pd.DataFrame:
    rows = []
    for activation in ("tanh", "relu"):
        for epoch in (0, 10, 100):
            for layer in (1, 2):
                exact = (12 - layer - epoch / 100, 0.5 + epoch / 400)
                for source, (xt, ty) in (("exact", exact), ("failing", (math.nan, math.nan))):
                    rows.append(
                        {
                            "activation": activation,
                            "seed": 0,
                            "layer": layer,
                            "epoch": epoch,
                            "source": source,
                            "i_xt_bits": xt,
                            "i_ty_bits": ty,
                        }
                    )
    return pd.DataFrame(rows)


def test_plot_with_a_source_that_always_failed(tmp_path) -> None:
    planes = _planes()
    path = plot_information_planes(planes, tmp_path / "sub" / "p.png", title="toy")
    assert path.is_file() and path.read_bytes()[:4] == b"\x89PNG"
    path = plot_information_planes(planes[planes["activation"] == "relu"], tmp_path / "q.png", sources=["exact"])
    assert path.is_file()


def test_bad_tables_are_refused(tmp_path) -> None:
    planes = _planes()
    with pytest.raises(ValueError, match="empty"):
        plot_information_planes(planes.iloc[0:0], tmp_path / "q.png")
    with pytest.raises(ValueError, match="lacks columns"):
        plot_information_planes(planes.drop(columns="i_ty_bits"), tmp_path / "r.png")


def test_truth_first_labels_and_the_clustering_figure(tmp_path) -> None:
    from mibench.report.plane_figures import plot_clustering

    planes = _planes().replace({"source": {"exact": "truth"}})
    path = plot_information_planes(planes, tmp_path / "n.png", labels={"truth": "truth (Monte Carlo, b = 0.1)"})
    assert path.read_bytes()[:4] == b"\x89PNG"
    clusters = pd.DataFrame(
        [
            {"activation": a, "seed": 0, "layer": layer, "epoch": e, "ratio": 1 - e / 200}
            for a in ("tanh", "relu")
            for layer in (1, 2)
            for e in (0, 1, 10, 50, 100)
        ]
    )
    path = plot_clustering(planes, clusters, tmp_path / "c.png", title="toy")
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="no truth rows"):
        plot_clustering(planes[planes["source"] != "truth"], clusters, tmp_path / "d.png")

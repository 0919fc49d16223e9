"""The information-plane section of a report: the truth's planes beside the estimators' planes, fidelity and findings.

Inputs are the two halves of a study: the stored results of network tasks (one row per job, nats, from the
runner's store) and the training records (the exact planes at *every* logged epoch, whereas estimators run on some
of them). :func:`planes_table` joins them into the tidy planes table, one row per (activation, seed, layer, epoch,
source)::

    study, activation, seed, layer, epoch, source, i_xt_bits, i_ty_bits, status, error, seconds

``source`` is ``"exact"`` or the estimator's label (its name, plus its parameters where one name has several
settings); the values are in **bits** (this table is for display and for the fidelity scores, whose phase
tolerance is stated in bits); an estimator's value is the mean over the repetitions a store holds (a study has one);
``status`` uses the store's vocabulary (``ok``, ``error``, ``timeout``, ``memory``): ``ok`` when both quantities are,
otherwise the status of the failed one, with the messages in ``error`` (``"I(X;T): ...; I(T;Y): ..."``); a failed
value is NaN. :func:`write_information_plane_report` scores the table (:mod:`mibench.networks.fidelity`), draws it
(:mod:`mibench.report.plane_figures`) and writes the Markdown.

**Noisy planes** (:func:`noisy_planes_table`, :func:`write_noisy_plane_report`): the same layers read through
Gaussian noise ``N(0, b^2 I)`` (:mod:`mibench.networks.noisy`). The truth's rows have ``source = "truth"``: Monte
Carlo over the exact mixture (standard error at most 0.01 nats, in the columns ``stderr_xt_bits`` and
``stderr_ty_bits``), at the epochs and layers the noisy study estimates. Each noise level is its own table. Beside
the planes the report sets each layer's class clustering (:mod:`mibench.networks.clustering`, Goldfeld et al. 2019)
and whether compression coincides with it (:func:`mibench.networks.fidelity.clustering_findings`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mibench.units import nats_to_bits

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mibench.networks.training import TrainingRecord

__all__ = [
    "CLUSTERING_CSV",
    "CLUSTERING_PNG",
    "EXACT",
    "FIDELITY_CSV",
    "FINDINGS_JSON",
    "PLANES_CSV",
    "PLANES_PNG",
    "PLANE_COLUMNS",
    "REPORT_MD",
    "TRUTH",
    "estimator_plane_rows",
    "exact_plane_rows",
    "information_plane_section",
    "load_planes",
    "noisy_planes_table",
    "noisy_truth_rows",
    "planes_table",
    "write_information_plane_report",
    "write_noisy_plane_report",
]

PLANES_CSV = "planes.csv"
FIDELITY_CSV = "fidelity.csv"
FINDINGS_JSON = "findings.json"
PLANES_PNG = "planes.png"
CLUSTERING_CSV = "clustering.csv"
CLUSTERING_PNG = "clustering.png"
REPORT_MD = "report.md"
EXACT = "exact"
#: The source of a noisy plane's truth (Monte Carlo over the exact mixture).
TRUTH = "truth"
#: The study name of the planes that ``mibench report`` draws from a store's network tasks.
_SECTION_STUDY = "stored network tasks"
#: White-box estimators of a noisy study read the clean values; figures and tables mark them.
_WHITE_BOX_NOTE = "white box"
PLANE_COLUMNS = [
    "study",
    "activation",
    "seed",
    "layer",
    "epoch",
    "source",
    "i_xt_bits",
    "i_ty_bits",
    "status",
    "error",
    "seconds",
]
_QUANTITY = {"xt": "I(X;T)", "ty": "I(T;Y)"}
#: The truth's sources in a planes table (as :data:`mibench.networks.fidelity.TRUTH_SOURCES`).
TRUTH_SOURCES = ("exact", "truth")
#: The order in which the report lists the machine and environment (the manifest keeps them sorted by name).
_ENVIRONMENT_ORDER = ("CPU", "cores", "system", "Python", "libraries", "BLAS/OpenMP", "mibench")


def exact_plane_rows(records: Mapping[str, TrainingRecord], study: str) -> pd.DataFrame:
    """The exact planes of the records at every logged epoch (``source == "exact"``), in bits."""
    import pandas as pd

    from mibench.networks.exact import information_plane
    from mibench.networks.restarts import study_seed

    rows = []
    for record in records.values():
        plane = information_plane(record, unit="bits")
        for j, epoch in enumerate(plane["epochs"].tolist()):
            for layer in range(1, record.n_layers + 1):
                rows.append(
                    {
                        "study": study,
                        "activation": record.spec.activation,
                        "seed": study_seed(record.seed),
                        "layer": layer,
                        "epoch": int(epoch),
                        "source": EXACT,
                        "i_xt_bits": float(plane["i_xt"][j, layer - 1]),
                        "i_ty_bits": float(plane["i_ty"][j, layer - 1]),
                        "status": "ok",
                        "error": "",
                        "seconds": 0.0,
                    }
                )
    return pd.DataFrame(rows, columns=PLANE_COLUMNS)


def estimator_plane_rows(
    results: pd.DataFrame, records: Mapping[str, TrainingRecord], study: str, noise_std: float | None = None
) -> pd.DataFrame:
    """The estimators' planes from stored results of network tasks (other rows are ignored), in bits.

    Both quantities of one (record, epoch, layer, estimator configuration) become one row, the mean over the
    repetitions whose estimate is ok (a failed repetition is counted in ``status`` and ``error``; a quantity with no
    ok repetition is NaN); results of a task whose record is not in ``records`` are left out (the record fixes the
    activation and seed). ``noise_std``: the noisy tasks of this noise level; ``None``: the quantized ones.
    """
    import pandas as pd

    from mibench import scoring as s
    from mibench.networks.restarts import study_seed
    from mibench.networks.tasks import parse_task_id
    from mibench.report.tables import estimator_labels

    if results.empty:
        return pd.DataFrame(columns=PLANE_COLUMNS)
    parts = results[s.TASK_ID].map(parse_task_id)
    keep = parts.map(
        lambda p: (
            p is not None
            and p["record"] in records
            and p["representation"] == "values"
            and _same_noise(p["noise_std"], noise_std)
        )
    )
    results, parts = results[keep], parts[keep]
    if results.empty:
        return pd.DataFrame(columns=PLANE_COLUMNS)
    labels = estimator_labels(results)
    cells: dict[tuple[str, int, int, str], dict[str, Any]] = {}
    for (_, row), part, label in zip(results.iterrows(), parts, labels, strict=True):
        record = records[part["record"]]
        key = (part["record"], int(part["epoch"]), int(part["layer"]), str(label))
        cell = cells.setdefault(
            key,
            {
                "study": study,
                "activation": record.spec.activation,
                "seed": study_seed(record.seed),
                "layer": int(part["layer"]),
                "epoch": int(part["epoch"]),
                "source": str(label),
                "i_xt_bits": math.nan,
                "i_ty_bits": math.nan,
                "status": "ok",
                "error": "",
                "seconds": 0.0,
                "_errors": [],
                "_values": {"xt": [], "ty": []},
            },
        )
        pair = str(part["pair"])
        if row[s.STATUS] == s.STATUS_OK:
            cell["_values"][pair].append(nats_to_bits(float(row[s.ESTIMATE])))
        else:
            if cell["status"] == "ok":
                cell["status"] = str(row[s.STATUS])
            message = str(row[s.ERROR] or "").strip().splitlines()
            cell["_errors"].append(f"{_QUANTITY[pair]}: {message[0] if message else row[s.STATUS]}")
        seconds = row[s.SECONDS]
        if seconds is not None and math.isfinite(float(seconds)):
            cell["seconds"] += float(seconds)
    for cell in cells.values():
        cell["error"] = "; ".join(sorted(set(cell.pop("_errors"))))
        for pair, values in cell.pop("_values").items():
            cell[f"i_{pair}_bits"] = float(np.mean(values)) if values else math.nan
    frame = pd.DataFrame(list(cells.values()), columns=PLANE_COLUMNS)
    return frame.sort_values(["activation", "seed", "source", "epoch", "layer"], kind="stable").reset_index(drop=True)


def _same_noise(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12))


def planes_table(results: pd.DataFrame, records: Mapping[str, TrainingRecord], study: str) -> pd.DataFrame:
    """The tidy planes table: exact rows for every logged epoch, then the estimators' rows (see the module)."""
    import pandas as pd

    exact = exact_plane_rows(records, study)
    estimated = estimator_plane_rows(results, records, study)
    return pd.concat([exact, estimated], ignore_index=True) if len(estimated) else exact


def noisy_truth_rows(
    records: Mapping[str, TrainingRecord],
    study: str,
    noise_std: float,
    epochs: Sequence[int],
    layers: Sequence[int] | None = None,
    records_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The noisy planes' truth (``source = "truth"``) at ``epochs`` and ``layers`` (default: all), in bits, with the
    standard errors in ``stderr_xt_bits`` and ``stderr_ty_bits``: read from the records' truth caches in
    ``records_dir`` (computed and cached where missing; :func:`mibench.networks.noisy.layer_truth`)."""
    import pandas as pd

    from mibench.networks.ids import PAIRS
    from mibench.networks.noisy import layer_truth
    from mibench.networks.restarts import study_seed

    rows = []
    for record in records.values():
        chosen = range(1, record.n_layers + 1) if layers is None else layers
        for epoch in epochs:
            for layer in chosen:
                truths = {
                    pair: layer_truth(record, int(layer), int(epoch), pair, noise_std, records_dir=records_dir)
                    for pair in PAIRS
                }
                rows.append(
                    _truth_row(study, record, int(layer), int(epoch), truths["xt"].mi, truths["ty"].mi)
                    | {
                        "seed": study_seed(record.seed),
                        "stderr_xt_bits": nats_to_bits(truths["xt"].stderr),
                        "stderr_ty_bits": nats_to_bits(truths["ty"].stderr),
                    }
                )
    return pd.DataFrame(rows, columns=[*PLANE_COLUMNS, "stderr_xt_bits", "stderr_ty_bits"])


def _truth_row(study: str, record: TrainingRecord, layer: int, epoch: int, xt: float, ty: float) -> dict[str, Any]:
    return {
        "study": study,
        "activation": record.spec.activation,
        "seed": record.seed,
        "layer": layer,
        "epoch": epoch,
        "source": TRUTH,
        "i_xt_bits": nats_to_bits(xt),
        "i_ty_bits": nats_to_bits(ty),
        "status": "ok",
        "error": "",
        "seconds": 0.0,
    }


def _noisy_truth_rows_from_results(
    results: pd.DataFrame, records: Mapping[str, TrainingRecord], study: str, noise_std: float
) -> pd.DataFrame:
    """The noisy truth rows of the tasks the results hold (their stored ``true_mi`` and ``mi_stderr``), in bits."""
    import pandas as pd

    from mibench import scoring as s
    from mibench.networks.restarts import study_seed
    from mibench.networks.tasks import parse_task_id

    found: dict[tuple[str, int, int], dict[str, tuple[float, float]]] = {}
    for task, group in results.groupby(s.TASK_ID):
        part = parse_task_id(str(task))
        if part is None or part["record"] not in records or not _same_noise(part["noise_std"], noise_std):
            continue
        last = group.iloc[-1]
        stderr = float(last[s.MI_STDERR]) if s.MI_STDERR in group.columns else math.nan
        found.setdefault((part["record"], part["epoch"], part["layer"]), {})[part["pair"]] = (
            float(last[s.TRUE_MI]),
            stderr,
        )
    rows = []
    for (name, epoch, layer), pairs in sorted(found.items()):
        record = records[name]
        xt, xt_err = pairs.get("xt", (math.nan, math.nan))
        ty, ty_err = pairs.get("ty", (math.nan, math.nan))
        rows.append(
            _truth_row(study, record, layer, epoch, xt, ty)
            | {
                "seed": study_seed(record.seed),
                "stderr_xt_bits": nats_to_bits(xt_err),
                "stderr_ty_bits": nats_to_bits(ty_err),
            }
        )
    return pd.DataFrame(rows, columns=[*PLANE_COLUMNS, "stderr_xt_bits", "stderr_ty_bits"])


def noisy_planes_table(
    results: pd.DataFrame,
    records: Mapping[str, TrainingRecord],
    study: str,
    noise_std: float,
    epochs: Sequence[int],
    layers: Sequence[int] | None = None,
    records_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The tidy planes table of a noisy study: the truth's rows (:func:`noisy_truth_rows`), then the estimators'
    rows on the noisy tasks of ``noise_std``."""
    import pandas as pd

    truth = noisy_truth_rows(records, study, noise_std, epochs, layers, records_dir)
    estimated = estimator_plane_rows(results, records, study, noise_std)
    return pd.concat([truth, estimated], ignore_index=True) if len(estimated) else truth


def load_planes(path: str | Path) -> pd.DataFrame:
    """A stored ``planes.csv`` (or the one in a study directory) as a DataFrame."""
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        path = path / PLANES_CSV
    if not path.is_file():
        raise ValueError(f"{path}: no planes table (run `mibench ib run` first)")
    planes = pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"])
    missing = [c for c in PLANE_COLUMNS if c not in planes.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    planes["error"] = [e if isinstance(e, str) else "" for e in planes["error"].astype(object)]
    return planes


def write_information_plane_report(
    planes: pd.DataFrame,
    out_dir: str | Path,
    *,
    manifest: Mapping[str, Any] | None = None,
    tol: float | None = None,
    share_axes: bool = False,
) -> dict[str, Path]:
    """Score and draw a planes table: writes ``planes.csv``, ``fidelity.csv``, ``findings.json``, ``planes.png``
    and ``report.md`` in ``out_dir``; returns their paths by name.

    ``manifest`` (the study's, when there is one) adds the configuration, the runs and the timings to the
    report. ``tol``: the phase tolerance in bits (default :data:`~mibench.networks.fidelity.PHASE_TOLERANCE_BITS`).
    ``share_axes``: draw every panel on the same axes (:func:`~mibench.report.plane_figures.plot_information_planes`).
    """
    from mibench.networks import fidelity as fid
    from mibench.networks.records import write_json
    from mibench.report.plane_figures import plot_information_planes

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = dict(manifest or {})
    if not (planes["source"] == EXACT).any():
        raise ValueError("the planes table has no exact rows: the training records are needed")
    tol = fid.PHASE_TOLERANCE_BITS if tol is None else float(tol)
    planes.to_csv(out_dir / PLANES_CSV, index=False)
    dataset = manifest.get("dataset") or {}
    log2_n = math.log2(dataset["n"]) if dataset.get("n") else None
    has_estimators = bool((planes["source"] != EXACT).any())
    table = fid.fidelity(planes, tol) if has_estimators else None
    if table is not None:
        table.to_csv(out_dir / FIDELITY_CSV, index=False)
    else:
        (out_dir / FIDELITY_CSV).write_text("source,activation,layer\n", encoding="utf-8")
    facts = fid.findings(planes, tol, log2_n=log2_n, label_entropy=dataset.get("label_entropy_bits"))
    write_json(out_dir / FINDINGS_JSON, _jsonable(facts))
    study = manifest.get("study", planes["study"].iloc[0])
    title = f"information planes: {study} ({planes['seed'].nunique()} seed(s))"
    present = list(dict.fromkeys(str(source) for source in planes["source"]))
    configured = [e["name"] for e in (manifest.get("config") or {}).get("estimators", []) if e["name"] in present]
    order = [EXACT, *configured, *(s for s in present if s not in configured and s != EXACT)]
    png = plot_information_planes(planes, out_dir / PLANES_PNG, sources=order, title=title, share_axes=share_axes)
    report = "\n".join(_report_lines(planes, table, facts, manifest))
    (out_dir / REPORT_MD).write_text(report, encoding="utf-8")
    return {
        "planes": out_dir / PLANES_CSV,
        "fidelity": out_dir / FIDELITY_CSV,
        "findings": out_dir / FINDINGS_JSON,
        "figure": png,
        "report": out_dir / REPORT_MD,
    }


def write_noisy_plane_report(
    planes: pd.DataFrame,
    clusters: pd.DataFrame,
    out_dir: str | Path,
    *,
    manifest: Mapping[str, Any] | None = None,
    tol: float | None = None,
    noise_std: float | None = None,
) -> dict[str, Path]:
    """Score and draw a noisy planes table (:func:`noisy_planes_table`) with the layers' clustering
    (:func:`mibench.networks.clustering.clustering_table`): writes ``planes.csv``, ``clustering.csv``,
    ``fidelity.csv``, ``findings.json`` (the truth's findings, and whether compression coincides with clustering),
    ``planes.png`` (truth and estimators side by side; white-box estimators marked), ``clustering.png`` and
    ``report.md`` in ``out_dir``; returns their paths by name. ``noise_std`` defaults to the manifest's."""
    from mibench.networks import fidelity as fid
    from mibench.networks.records import write_json
    from mibench.report.plane_figures import plot_clustering, plot_information_planes

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = dict(manifest or {})
    config = manifest.get("config") or {}
    noise = noise_std if noise_std is not None else config.get("noise_std")
    if noise is None:
        raise ValueError("a noisy planes report needs the noise level (noise_std, or the manifest's config)")
    if not (planes["source"] == TRUTH).any():
        raise ValueError("the planes table has no truth rows (source == 'truth')")
    tol = fid.PHASE_TOLERANCE_BITS if tol is None else float(tol)
    planes.to_csv(out_dir / PLANES_CSV, index=False)
    clusters.to_csv(out_dir / CLUSTERING_CSV, index=False)
    dataset = manifest.get("dataset") or {}
    log2_n = math.log2(dataset["n"]) if dataset.get("n") else None
    table = fid.fidelity(planes, tol) if (planes["source"] != TRUTH).any() else None
    if table is not None:
        table.to_csv(out_dir / FIDELITY_CSV, index=False)
    else:
        (out_dir / FIDELITY_CSV).write_text("source,activation,layer\n", encoding="utf-8")
    facts = fid.findings(planes, tol, log2_n=log2_n, label_entropy=dataset.get("label_entropy_bits"))
    clustering = fid.clustering_findings(planes, clusters, tol)
    write_json(out_dir / FINDINGS_JSON, _jsonable({"noise_std": noise, "planes": facts, "clustering": clustering}))
    present = list(dict.fromkeys(str(source) for source in planes["source"]))
    configured = [e["name"] for e in config.get("estimators", []) if e["name"] in present]
    order = [TRUTH, *configured, *(s for s in present if s not in configured and s != TRUTH)]
    labels = {source: _source_label(source, noise) for source in order}
    study = manifest.get("study", planes["study"].iloc[0])
    title = f"noisy information planes: {study}, b = {noise} ({planes['seed'].nunique()} seed(s))"
    png = plot_information_planes(
        planes, out_dir / PLANES_PNG, sources=order, title=title, labels=labels, share_axes=True
    )
    cluster_png = plot_clustering(
        planes,
        clusters,
        out_dir / CLUSTERING_PNG,
        title=f"compression and clustering: {study}, b = {noise} (mean over seeds)",
    )
    lines = _noisy_report_lines(planes, table, facts, clustering, manifest, noise, labels)
    (out_dir / REPORT_MD).write_text("\n".join(lines), encoding="utf-8")
    return {
        "planes": out_dir / PLANES_CSV,
        "clustering": out_dir / CLUSTERING_CSV,
        "fidelity": out_dir / FIDELITY_CSV,
        "findings": out_dir / FINDINGS_JSON,
        "figure": png,
        "clustering_figure": cluster_png,
        "report": out_dir / REPORT_MD,
    }


def _is_white_box(source: str) -> bool:
    """Whether the estimator a planes source names (its label starts with the registry name) reads clean values."""
    from mibench.estimators import get_estimator_class

    try:
        return bool(getattr(get_estimator_class(source.split(" ")[0]).tags, "white_box", False))
    except Exception:  # an unregistered or unloadable estimator: nothing to mark
        return False


def _source_label(source: str, noise_std: float) -> str:
    if source == TRUTH:
        return f"truth (Monte Carlo, b = {noise_std})"
    return f"{source} ({_WHITE_BOX_NOTE})" if _is_white_box(source) else source


def information_plane_section(
    results: pd.DataFrame, out_dir: str | Path, records_dirs: list[Path], *, heading: str = "##"
) -> list[str]:
    """Markdown lines of the information-plane section of ``mibench report`` for the network-task rows of
    ``results``: the quantized tasks' figure, fidelity table and findings, written under
    ``out_dir/information-plane/``, and for each noise level of noisy-network tasks the same for the noisy planes
    (truth from the stored rows' Monte-Carlo truths, with the layers' clustering) under
    ``out_dir/information-plane-b{noise}/``.

    The planes need the training records, found in ``records_dirs`` (the records directories recorded in the
    runs' options). Without them the section says where it looked.
    """
    from mibench import scoring as s
    from mibench.networks.ids import format_noise
    from mibench.networks.records import load_record, record_file
    from mibench.networks.tasks import parse_task_id

    parts = [p for p in results[s.TASK_ID].map(parse_task_id) if p is not None]
    names = sorted({p["record"] for p in parts})
    records = {}
    for name in names:
        for folder in records_dirs:
            path = record_file(folder, name)
            if path.is_file():
                records[name] = load_record(path)
                break
    lines = [f"{heading} Information planes", ""]
    missing = [name for name in names if name not in records]
    if missing:
        where = ", ".join(str(d) for d in records_dirs) or "no records directory was recorded with the runs"
        lines += [f"Training records not found ({', '.join(missing)}; looked in: {where}); planes of the others.", ""]
    if not records:
        return lines
    if any(p["noise_std"] is None and p["record"] in records for p in parts):
        planes = planes_table(results, records, _SECTION_STUDY)
        estimated = planes[planes["source"] != EXACT]
        if len(estimated):  # the exact planes of the layers the estimators ran on (every logged epoch)
            planes = planes[planes["layer"].isin(set(estimated["layer"]))].reset_index(drop=True)
        folder = Path(out_dir) / "information-plane"
        paths = write_information_plane_report(planes, folder, share_axes=True)
        lines += [
            f"Exact planes and the estimators' planes of {len(records)} training record(s); details, fidelity and "
            f"findings in [information-plane/{REPORT_MD}](information-plane/{REPORT_MD}).",
            "",
            f"![information planes](information-plane/{paths['figure'].name})",
            "",
        ]
    levels = sorted({float(p["noise_std"]) for p in parts if p["noise_std"] is not None and p["record"] in records})
    for noise in levels:
        from mibench.networks.clustering import clustering_table

        planes = _concat(
            _noisy_truth_rows_from_results(results, records, _SECTION_STUDY, noise),
            estimator_plane_rows(results, records, _SECTION_STUDY, noise),
        )
        name = f"information-plane-b{format_noise(noise)}"
        layers = sorted(int(v) for v in planes["layer"].unique())
        clusters = clustering_table(records, noise_std=noise, layers=layers)  # every logged epoch: O(N d) each
        paths = write_noisy_plane_report(planes, clusters, Path(out_dir) / name, noise_std=noise)
        lines += [
            f"Noisy planes at b = {noise} (the layers read through Gaussian noise; Monte-Carlo truth): details, "
            f"fidelity, findings and the layers' clustering in [{name}/{REPORT_MD}]({name}/{REPORT_MD}).",
            "",
            f"![noisy information planes, b = {noise}]({name}/{paths['figure'].name})",
            "",
        ]
    return lines


def _concat(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """``first`` then ``second`` (``first`` alone when ``second`` is empty)."""
    import pandas as pd

    return pd.concat([first, second], ignore_index=True) if len(second) else first


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return "-" if not math.isfinite(number) else f"{number:.{digits}f}"


def _md_table(rows: list[list[Any]], headers: list[str]) -> str:
    from tabulate import tabulate

    return tabulate([[_fmt(v) for v in row] for row in rows], headers=headers, tablefmt="github", disable_numparse=True)


def _report_lines(planes: Any, table: Any, facts: dict[str, Any], manifest: Mapping[str, Any]) -> list[str]:
    lines = [f"# Information-plane study `{manifest.get('study', planes['study'].iloc[0])}`", ""]
    lines += _setting_lines(manifest, facts)
    lines += _runs_lines(manifest)
    lines += ["## Findings of the exact planes", ""]
    lines += _findings_lines(facts)
    lines += _fidelity_lines(planes, table)
    lines += [f"![information planes]({PLANES_PNG})", ""]
    return lines


def _setting_lines(manifest: Mapping[str, Any], facts: dict[str, Any]) -> list[str]:
    config = manifest.get("config") or {}
    lines: list[str] = []
    if config:
        estimators = ", ".join(e["name"] for e in config.get("estimators", [])) or "none"
        lines += [
            f"- data set: {config.get('dataset')}; activations: {', '.join(config.get('activations', []))}; "
            f"seeds: {len(config.get('seeds', []))}; epochs: {config.get('epochs')}; "
            f"logged epochs: {len(manifest.get('training', {}).get('logged_epochs', []))}; "
            f"estimators on {config.get('estimator_epochs') or 'all'} of them",
            f"- estimators: {estimators}",
        ]
        if config.get("noise_std") is not None:
            layers = config.get("layers")
            lines.append(
                f"- noise: b = {config['noise_std']} on "
                + ("every layer" if not layers else "layers " + ", ".join(f"T{v}" for v in layers))
                + f"; records: `{manifest.get('records_dir', 'records')}`"
            )
    for source, why in (manifest.get("unavailable") or {}).items():
        lines.append(f"- unavailable: {source} ({why})")
    timings = manifest.get("timings")
    if timings:
        truths = f"noisy truths {timings['truths_s']:.0f} s, " if config.get("noise_std") is not None else ""
        lines.append(
            f"- time: {timings.get('total_s', 0):.0f} s in all (training {timings.get('train_s', 0):.0f} s, "
            f"{truths}estimators through the runner {timings.get('estimators_s', 0):.0f} s)"
        )
    environment = manifest.get("environment")
    if environment:
        first = [name for name in _ENVIRONMENT_ORDER if name in environment]
        names = first + sorted(name for name in environment if name not in first)
        described = "; ".join(f"{name}: {environment[name]}" for name in names)
        lines.append(f"- machine and environment of these times: {described}")
    store = manifest.get("store")
    if store:
        lines.append(f"- estimates: the results store `{store}` (one row per job, nats; `mibench report --store`)")
    lines += [f"- tolerance for phases: {facts['tolerance_bits']} bits; all values in bits", ""]
    return lines


def _runs_lines(manifest: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    runs = manifest.get("runs") or []
    if runs:
        lines += ["## Runs", ""]
        rows = [
            [
                r["record"],
                r["training_seed"],
                r["final_train_accuracy"],
                r["final_test_accuracy"],
                len(r.get("restarts", [])),
                "trained" if r.get("trained") else "reused",
            ]
            for r in runs
        ]
        lines += [_md_table(rows, ["record", "seed used", "train acc", "test acc", "restarts", ""]), ""]
    return lines


def _findings_lines(facts: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    lines.append(
        f"- fitting phase in every layer: {_fmt(facts['fitting_every_layer'])} "
        f"(every layer whose I(T;Y) does not start at H(Y): {_fmt(facts['fitting_every_unsaturated_layer'])})"
    )
    lines.append(
        f"- compression in the output layer: {_fmt(facts['output_compression'])} ("
        + ", ".join(
            f"{a}: {_fmt(facts['output_compression_bits'][a])} bits, "
            f"{_fmt(facts['output_compression_seed_fraction'][a], 2)} of seeds"
            for a in facts["activations"]
        )
        + ")"
    )
    lines.append(
        "- hidden layers compressing: "
        + "; ".join(f"{a}: {facts['hidden_compressing_layers'][a] or 'none'}" for a in facts["activations"])
        + " on the seed-averaged curves; in every seed: "
        + "; ".join(
            f"{a}: {facts['hidden_layers_compressing_in_every_seed'][a] or 'none'}" for a in facts["activations"]
        )
        + f" (depends on the activation: {_fmt(facts['hidden_compression_depends_on_activation'])}; "
        f"tanh compresses more than ReLU: {_fmt(facts['tanh_compresses_more_than_relu'])})"
    )
    for activation in facts["activations"]:
        per_seed = facts["hidden_compression_seed_mean_bits"][activation]
        fraction = facts["hidden_compression_seed_fraction"][activation]
        lines.append(
            f"- {activation} hidden-layer compression per seed (mean bits, fraction of seeds): "
            + ", ".join(f"T{k} {_fmt(v)} ({_fmt(fraction[k], 2)})" for k, v in per_seed.items())
        )
    lines.append("")
    rows = []
    for activation, per in facts["layers"].items():
        for layer, f in per.items():
            rows.append(
                [
                    activation,
                    "output" if f["output"] else f"T{layer}",
                    f["first_xt_bits"],
                    f["max_xt_bits"],
                    f["max_xt_epoch"],
                    f["last_xt_bits"],
                    f["first_ty_bits"],
                    f["max_ty_bits"],
                    f["last_ty_bits"],
                    f["fitting"],
                    f["compression_bits"],
                    f["compression"],
                    f["compression_seed_fraction"],
                    f["compression_seed_mean_bits"],
                ]
            )
    headers = [
        "act",
        "layer",
        "I(X;T) first",
        "max",
        "at epoch",
        "last",
        "I(T;Y) first",
        "max",
        "last",
        "fitting",
        "compression",
        "compresses",
        "of seeds",
        "per-seed mean",
    ]
    lines += [_md_table(rows, headers), ""]
    return lines


def _fidelity_lines(planes: Any, table: Any, labels: Mapping[str, str] | None = None) -> list[str]:
    labels = dict(labels or {})
    lines: list[str] = []
    if table is not None and len(table):
        lines += ["## Estimator fidelity (all layers)", ""]
        overall = table[table["layer"].astype(str) == "all"]
        rows = [
            [
                labels.get(r.source, r.source),
                r.activation,
                r.mae_xt_bits,
                r.mae_ty_bits,
                r.spearman_xt,
                r.phase_agreement,
                r.failed_xt,
                r.failed_ty,
            ]
            for r in overall.itertuples()
        ]
        headers = [
            "source",
            "act",
            "MAE I(X;T)",
            "MAE I(T;Y)",
            "Spearman I(X;T)",
            "phases agree",
            "failed X;T",
            "failed T;Y",
        ]
        lines += [_md_table(rows, headers), ""]
        errors = planes[~planes["source"].isin(TRUTH_SOURCES) & (planes["error"].astype(str) != "")]
        if len(errors):
            lines += ["Failures (first message per estimator):", ""]
            for source, group in errors.groupby("source"):
                lines.append(
                    f"- {labels.get(source, source)}: {len(group)} row(s); e.g. {str(group['error'].iloc[0])[:300]}"
                )
            lines.append("")
    return lines


def _noisy_report_lines(
    planes: Any,
    table: Any,
    facts: dict[str, Any],
    clustering: dict[str, Any],
    manifest: Mapping[str, Any],
    noise: float,
    labels: Mapping[str, str],
) -> list[str]:
    from mibench.networks.noisy import MAX_STDERR
    from mibench.units import nats_to_bits

    study = manifest.get("study", planes["study"].iloc[0])
    truth = planes[planes["source"] == TRUTH]
    largest = float(np.nanmax(truth[["stderr_xt_bits", "stderr_ty_bits"]].to_numpy(dtype=float)))
    white = [label for source, label in labels.items() if _WHITE_BOX_NOTE in label]
    black = [label for source, label in labels.items() if source != TRUTH and _WHITE_BOX_NOTE not in label]
    lines = [f"# Noisy information planes `{study}`, b = {noise}", ""]
    lines += [
        f"The networks are the study's trained, deterministic (8-bit quantized) networks -- trained without noise -- "
        f"with each layer read through Gaussian noise: T = S + N(0, b^2 I), b = {noise}, X uniform on the data "
        "set's inputs. These are not networks trained with noise in every layer (Goldfeld et al. 2019 train theirs "
        "so); the noise enters only where the layer is measured. The truth of each layer and epoch is Monte Carlo "
        "over the exact Gaussian mixture of the layer's values at all inputs (I(X;T) = h(g) - d/2 log(2 pi e b^2), "
        "I(T;Y) = h(g) - sum_y p(y) h(g_y)), with a standard error of at most "
        f"{MAX_STDERR} nats ({nats_to_bits(MAX_STDERR):.4f} bits; the largest here {largest:.4f} bits).",
        "",
        (
            f"The black-box estimators ({', '.join(black)}) see only the noisy sample"
            + (
                " (binning with the quantized study's fixed edges; noisy values outside them fall in the outermost "
                "cells). "
                if any(label.startswith("binning") for label in black)
                else ". "
            )
            if black
            else ""
        )
        + (
            f"The white-box estimators ({', '.join(label.split(' (')[0] for label in white)}) read the same rows' "
            "clean values and are told b: they know the channel. "
            "At n = N every input is in the sample once, so the Gaussian-convolution estimator computes the entropy "
            "of the same mixture as the truth with other noise draws: its error here is Monte-Carlo error, not "
            "estimation error; the KDE bounds bracket the truth (upper: the pairwise-distance bound with kernel "
            "variance b^2, lower: with 4 b^2)."
            if white
            else ""
        ),
        "",
    ]
    lines += _setting_lines(manifest, facts)
    lines += _runs_lines(manifest)
    lines += ["## Findings of the truth's planes", ""]
    lines += _findings_lines(facts)
    lines += ["## Compression and clustering", ""]
    lines += [
        "Goldfeld et al. (ICML 2019) explain the compression of I(X;T) in noisy networks by clustering: "
        "representations of inputs of the same class move together, and clusters closer than the noise become "
        "indistinguishable through the channel. The clustering measure here is the ratio W/B of the mean squared "
        "distance between the layer's values of two inputs of the same class (W) to that of two inputs of "
        "different classes (B) (mibench.networks.clustering; smaller: tighter classes). A layer *compresses* when "
        f"its truth I(X;T) ends more than {clustering['tolerance_bits']} bits below its maximum; it *clusters* when "
        f"W/B falls by more than {clustering['cluster_tolerance']:.0%} from the epoch of that maximum to the last "
        "epoch (a layer whose maximum is at the last epoch has no such window: '-'); Spearman is the rank "
        "correlation of I(X;T) with W/B over the epochs (mean over seeds; negative: I(X;T) "
        "rises while the classes tighten). The noise only merges what is close at its own scale, so the same "
        "comparison is made with W/b^2, the same-class mean squared distance in units of the noise variance "
        "(*tighter at b*: W/b^2 falls by more than the same fraction).",
        "",
        f"- over the whole training W/B falls in {clustering['n_clustering_over_training']} of "
        f"{clustering['n_layers']} layers, {clustering['n_clustering_over_training_without_compression']} of them "
        "without compressing: the classes tighten while a layer fits as well",
        f"- after the maximum of I(X;T) (the {clustering['n_window']} layer(s) whose maximum comes before the last "
        f"epoch): compression coincides with clustering (W/B) in {clustering['n_coincide']} of them "
        f"({_fmt(clustering['fraction_coincide'], 2)}); of the {clustering['n_compressing']} compressing layer(s), "
        f"{clustering['n_compressing_and_clustering']} cluster, and "
        f"{clustering['n_clustering_without_compression']} layer(s) cluster without compressing",
        f"- at the noise's scale (W/b^2): coincide in {clustering['n_coincide_at_noise_scale']} of "
        f"{clustering['n_window']} ({_fmt(clustering['fraction_coincide_at_noise_scale'], 2)}); of the "
        f"{clustering['n_compressing']} compressing layer(s), "
        f"{clustering['n_compressing_and_clustering_at_noise_scale']} tighten at b, and "
        f"{clustering['n_clustering_at_noise_scale_without_compression']} layer(s) tighten at b without compressing",
        "",
    ]
    rows = []
    for activation, per in clustering["layers"].items():
        for layer, f in per.items():
            rows.append(
                [
                    activation,
                    _layer_name(int(layer), int(facts["n_layers"])),
                    f["max_xt_epoch"],
                    f["compression_bits"],
                    f["compresses"],
                    f["ratio_first"],
                    f["ratio_at_max"],
                    f["ratio_last"],
                    f["clusters"] if f["window"] else None,
                    f["coincide"],
                    f["spearman"],
                    f["noise_scale_at_max"],
                    f["noise_scale_last"],
                    f["clusters_at_noise_scale"] if f["window"] else None,
                    f["coincide_at_noise_scale"],
                ]
            )
    headers = [
        "act",
        "layer",
        "max I(X;T) at epoch",
        "compression (bits)",
        "compresses",
        "W/B first",
        "W/B at max",
        "W/B last",
        "clusters after max",
        "coincide",
        "Spearman I(X;T) vs W/B",
        "W/b^2 at max",
        "W/b^2 last",
        "tighter at b",
        "coincide at b",
    ]
    lines += [_md_table(rows, headers), "", f"![compression and clustering]({CLUSTERING_PNG})", ""]
    lines += _fidelity_lines(planes, table, labels)
    lines += [f"![noisy information planes]({PLANES_PNG})", ""]
    return lines


def _layer_name(layer: int, n_layers: int) -> str:
    return "output" if layer == n_layers else f"T{layer}"

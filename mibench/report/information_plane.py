"""The information-plane section of a report: exact planes beside the estimators' planes, fidelity and findings.

Inputs are the two halves of a study: the stored results of network tasks (one row per job, nats, from the
runner's store) and the training records (the exact planes at *every* logged epoch, whereas estimators run on some
of them). :func:`planes_table` joins them into the tidy planes table, one row per (activation, seed, layer, epoch,
source)::

    study, activation, seed, layer, epoch, source, i_xt_bits, i_ty_bits, status, error, seconds

``source`` is ``"exact"`` or the estimator's label (its name, plus its parameters where one name has several
settings); the values are in **bits** (this table is for display and for the fidelity scores, whose phase
tolerance is stated in bits); ``status`` uses the store's vocabulary (``ok``, ``error``, ``timeout``, ``memory``):
``ok`` when both quantities are, otherwise the status of the failed one, with the messages in ``error``
(``"I(X;T): ...; I(T;Y): ..."``); a failed value is NaN. :func:`write_information_plane_report` scores the table
(:mod:`mibench.networks.fidelity`), draws it (:mod:`mibench.report.plane_figures`) and writes the Markdown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mibench.units import nats_to_bits

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mibench.networks.training import TrainingRecord

__all__ = [
    "EXACT",
    "FIDELITY_CSV",
    "FINDINGS_JSON",
    "PLANES_CSV",
    "PLANES_PNG",
    "PLANE_COLUMNS",
    "REPORT_MD",
    "estimator_plane_rows",
    "exact_plane_rows",
    "information_plane_section",
    "load_planes",
    "planes_table",
    "write_information_plane_report",
]

PLANES_CSV = "planes.csv"
FIDELITY_CSV = "fidelity.csv"
FINDINGS_JSON = "findings.json"
PLANES_PNG = "planes.png"
REPORT_MD = "report.md"
EXACT = "exact"
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


def estimator_plane_rows(results: pd.DataFrame, records: Mapping[str, TrainingRecord], study: str) -> pd.DataFrame:
    """The estimators' planes from stored results of network tasks (other rows are ignored), in bits.

    Both quantities of one (record, epoch, layer, estimator configuration) become one row; results of a task whose
    record is not in ``records`` are left out (the record fixes the activation and seed).
    """
    import pandas as pd

    from mibench import scoring as s
    from mibench.networks.restarts import study_seed
    from mibench.networks.tasks import parse_task_id
    from mibench.report.tables import estimator_labels

    if results.empty:
        return pd.DataFrame(columns=PLANE_COLUMNS)
    parts = results[s.TASK_ID].map(parse_task_id)
    keep = parts.map(lambda p: p is not None and p["record"] in records and p["representation"] == "values")
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
            },
        )
        pair = str(part["pair"])
        if row[s.STATUS] == s.STATUS_OK:
            cell[f"i_{pair}_bits"] = nats_to_bits(float(row[s.ESTIMATE]))
        else:
            if cell["status"] == "ok":
                cell["status"] = str(row[s.STATUS])
            message = str(row[s.ERROR] or "").strip().splitlines()
            cell["_errors"].append(f"{_QUANTITY[pair]}: {message[0] if message else row[s.STATUS]}")
        seconds = row[s.SECONDS]
        if seconds is not None and math.isfinite(float(seconds)):
            cell["seconds"] += float(seconds)
    for cell in cells.values():
        cell["error"] = "; ".join(sorted(cell.pop("_errors")))
    frame = pd.DataFrame(list(cells.values()), columns=PLANE_COLUMNS)
    return frame.sort_values(["activation", "seed", "source", "epoch", "layer"], kind="stable").reset_index(drop=True)


def planes_table(results: pd.DataFrame, records: Mapping[str, TrainingRecord], study: str) -> pd.DataFrame:
    """The tidy planes table: exact rows for every logged epoch, then the estimators' rows (see the module)."""
    import pandas as pd

    exact = exact_plane_rows(records, study)
    estimated = estimator_plane_rows(results, records, study)
    return pd.concat([exact, estimated], ignore_index=True) if len(estimated) else exact


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
) -> dict[str, Path]:
    """Score and draw a planes table: writes ``planes.csv``, ``fidelity.csv``, ``findings.json``, ``planes.png``
    and ``report.md`` in ``out_dir``; returns their paths by name.

    ``manifest`` (the study's, when there is one) adds the configuration, the runs and the timings to the
    report. ``tol``: the phase tolerance in bits (default :data:`~mibench.networks.fidelity.PHASE_TOLERANCE_BITS`).
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
    png = plot_information_planes(planes, out_dir / PLANES_PNG, sources=order, title=title)
    report = "\n".join(_report_lines(planes, table, facts, manifest))
    (out_dir / REPORT_MD).write_text(report, encoding="utf-8")
    return {
        "planes": out_dir / PLANES_CSV,
        "fidelity": out_dir / FIDELITY_CSV,
        "findings": out_dir / FINDINGS_JSON,
        "figure": png,
        "report": out_dir / REPORT_MD,
    }


def information_plane_section(
    results: pd.DataFrame, out_dir: str | Path, records_dirs: list[Path], *, heading: str = "##"
) -> list[str]:
    """Markdown lines of the information-plane section of ``mibench report`` for the network-task rows of
    ``results``: the study's figure, fidelity table and findings, written under ``out_dir/information-plane/``.

    The exact planes need the training records, found in ``records_dirs`` (the records directories recorded in the
    runs' options). Without them the section says where it looked.
    """
    from mibench import scoring as s
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
    planes = planes_table(results, records, "report")
    folder = Path(out_dir) / "information-plane"
    paths = write_information_plane_report(planes, folder)
    lines += [
        f"Exact planes and the estimators' planes of {len(records)} training record(s); details, fidelity and "
        f"findings in [information-plane/{REPORT_MD}](information-plane/{REPORT_MD}).",
        "",
        f"![information planes](information-plane/{paths['figure'].name})",
        "",
    ]
    return lines


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
    config = manifest.get("config") or {}
    lines = [f"# Information-plane study `{manifest.get('study', planes['study'].iloc[0])}`", ""]
    if config:
        estimators = ", ".join(e["name"] for e in config.get("estimators", [])) or "none"
        lines += [
            f"- data set: {config.get('dataset')}; activations: {', '.join(config.get('activations', []))}; "
            f"seeds: {len(config.get('seeds', []))}; epochs: {config.get('epochs')}; "
            f"logged epochs: {len(manifest.get('training', {}).get('logged_epochs', []))}; "
            f"estimators on {config.get('estimator_epochs') or 'all'} of them",
            f"- estimators: {estimators}",
        ]
    for source, why in (manifest.get("unavailable") or {}).items():
        lines.append(f"- unavailable: {source} ({why})")
    timings = manifest.get("timings")
    if timings:
        lines.append(
            f"- time: {timings.get('total_s', 0):.0f} s in all (training {timings.get('train_s', 0):.0f} s, "
            f"estimators through the runner {timings.get('estimators_s', 0):.0f} s)"
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

    lines += ["## Findings of the exact planes", ""]
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

    if table is not None and len(table):
        lines += ["## Estimator fidelity (all layers)", ""]
        overall = table[table["layer"].astype(str) == "all"]
        rows = [
            [
                r.source,
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
        errors = planes[(planes["source"] != EXACT) & (planes["error"].astype(str) != "")]
        if len(errors):
            lines += ["Failures (first message per estimator):", ""]
            for source, group in errors.groupby("source"):
                lines.append(f"- {source}: {len(group)} row(s); e.g. {str(group['error'].iloc[0])[:300]}")
            lines.append("")
    lines += [f"![information planes]({PLANES_PNG})", ""]
    return lines

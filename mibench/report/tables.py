"""Readable tables of scores, with units in the headers, and their labels for estimators and tasks.

Scores are stored in nats; with ``bits=True`` every MI-valued column (true MI, mean, bias and its interval,
SD, RMSE) is divided by ``ln 2`` and labelled ``(bits)``. Ratios, rates, counts and times are unit-free or in
their own units and are left alone. :func:`as_table` turns any such table into a block of the report document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mibench.units import nats_to_bits

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from mibench.report.document import Table

__all__ = [
    "as_table",
    "estimator_labels",
    "scores_frame",
    "scores_markdown",
    "task_labels",
]

_FLOAT_FORMAT = ".4g"


def _unit(bits: bool) -> tuple[str, float]:
    """The unit label and the factor that converts nats into it."""
    return ("bits", nats_to_bits(1.0)) if bits else ("nats", 1.0)


def _escape(text: str) -> str:
    """Make a cell value safe inside a Markdown table row."""
    return text.replace("|", "\\|").replace("\n", " ")


def estimator_labels(df: pd.DataFrame) -> pd.Series:
    """A readable label per row: the estimator name, plus its parameters where one name has several settings.

    When an estimator appears with more than one ``params_hash`` in ``df``, the label is ``name params`` (the
    canonical JSON of the parameters when the ``params`` column holds it, else the first 8 characters of the
    hash), so rows of different configurations are never confused.
    """
    from mibench import scoring as s

    n_configs = df.groupby(s.ESTIMATOR)[s.PARAMS_HASH].transform("nunique")
    names = df[s.ESTIMATOR].astype(str)
    short_hash = df[s.PARAMS_HASH].astype(str).str.slice(0, 8)
    if s.PARAMS in df.columns:
        params = df[s.PARAMS]
        has_params = params.map(lambda p: isinstance(p, str) and bool(p))
        detail = params.where(has_params, short_hash).astype(str)
    else:
        detail = short_hash
    return names.where(n_configs <= 1, names + " " + detail)


def task_labels(df: pd.DataFrame) -> pd.Series:
    """The task id per row, with ``@version`` appended where one id appears with several versions."""
    from mibench import scoring as s

    n_versions = df.groupby(s.TASK_ID)[s.TASK_VERSION].transform("nunique")
    ids = df[s.TASK_ID].astype(str)
    with_version = ids + "@" + df[s.TASK_VERSION].astype(str)
    return ids.where(n_versions <= 1, with_version)


def scores_frame(scores: pd.DataFrame, *, bits: bool = False) -> pd.DataFrame:
    """The readable per-cell table of :func:`scores_markdown` as a DataFrame (numbers kept as numbers).

    Raises:
        ValueError: ``scores`` is empty or lacks a required column.
    """
    import pandas as pd

    from mibench import scoring as s

    needed = (
        *s.GROUP_KEYS,
        s.TRUE_MI,
        s.N_JOBS,
        s.N_OK,
        s.MEAN,
        s.BIAS,
        s.BIAS_CI_LOW,
        s.BIAS_CI_HIGH,
        s.SIGNIFICANT_BIAS,
        s.SD,
        s.RMSE,
        s.MEAN_ABS_LOG_RATIO,
        s.MEDIAN_SECONDS,
    )
    s._require(scores, needed, "scores")
    unit, factor = _unit(bits)

    levels = scores[s.CONFIDENCE].dropna().unique() if s.CONFIDENCE in scores.columns else []
    ci_name = f"bias {levels[0] * 100:g}% CI ({unit})" if len(levels) == 1 else f"bias CI ({unit})"

    def fmt(x: float) -> str:
        return format(x * factor, _FLOAT_FORMAT)

    table = pd.DataFrame(
        {
            "task": task_labels(scores).map(_escape),
            "estimator": estimator_labels(scores).map(_escape),
            "n": scores[s.N].astype("int64"),
            f"true MI ({unit})": scores[s.TRUE_MI].astype(float) * factor,
            f"mean ({unit})": scores[s.MEAN].astype(float) * factor,
            f"bias ({unit})": scores[s.BIAS].astype(float) * factor,
            ci_name: [
                f"[{fmt(lo)}, {fmt(hi)}]" for lo, hi in zip(scores[s.BIAS_CI_LOW], scores[s.BIAS_CI_HIGH], strict=True)
            ],
            "significant bias": scores[s.SIGNIFICANT_BIAS].map(lambda b: "yes" if bool(b) else "no"),
            f"SD ({unit})": scores[s.SD].astype(float) * factor,
            f"RMSE ({unit})": scores[s.RMSE].astype(float) * factor,
            "mean abs log ratio": scores[s.MEAN_ABS_LOG_RATIO].astype(float),
            "failed": [
                f"{int(total) - int(ok)}/{int(total)}"
                for total, ok in zip(scores[s.N_JOBS], scores[s.N_OK], strict=True)
            ],
            "median time (s)": scores[s.MEDIAN_SECONDS].astype(float),
        }
    )
    if s.MEDIAN_PEAK_MEMORY_MB in scores.columns and scores[s.MEDIAN_PEAK_MEMORY_MB].notna().any():
        table["median peak memory (MB)"] = scores[s.MEDIAN_PEAK_MEMORY_MB].astype(float)
    return table.sort_values(["task", "estimator", "n"], kind="stable").reset_index(drop=True)


def scores_markdown(scores: pd.DataFrame, *, bits: bool = False) -> str:
    """Render the output of :func:`mibench.scoring.score` as a Markdown table.

    One row per (task, estimator configuration, n), sorted by task, estimator and n. Headers carry their
    units: MI-valued columns say ``(nats)``, or ``(bits)`` with ``bits=True`` (values divided by ``ln 2``);
    the mean ``|log(estimate / truth)|`` is unit-free; the interval column names its confidence level;
    ``failed`` is ``failed jobs / jobs``. Floats are shown to 4 significant digits; ``nan`` means undefined
    (e.g. an SD from a single successful seed), ``inf`` is shown as such.

    Args:
        scores: a scores table from :func:`mibench.scoring.score`.
        bits: show MI values in bits instead of nats.

    Returns:
        The table as a Markdown string (pipe table, no trailing newline).

    Raises:
        ValueError: ``scores`` is empty or lacks a required column.
    """
    return scores_frame(scores, bits=bits).to_markdown(index=False, floatfmt=_FLOAT_FORMAT)


def as_table(frame: pd.DataFrame) -> Table:
    """A DataFrame as a report :class:`~mibench.report.document.Table`: floats to 4 significant digits
    (``nan`` and ``inf`` spelt out), integers as they are, text escaped for inline marks; numeric columns are
    right-aligned."""
    from pandas.api.types import is_bool_dtype, is_float_dtype, is_integer_dtype

    from mibench.report.document import Table

    columns, numeric = [], []
    for name in frame.columns:
        values = frame[name]
        if is_float_dtype(values):
            columns.append([format(float(v), _FLOAT_FORMAT) for v in values])
            numeric.append(True)
        elif is_integer_dtype(values) and not is_bool_dtype(values):
            columns.append([str(int(v)) for v in values])
            numeric.append(True)
        else:
            columns.append([_plain(str(v)) for v in values])
            numeric.append(False)
    rows = tuple(zip(*columns, strict=True)) if columns else ()
    return Table(tuple(str(c) for c in frame.columns), tuple(tuple(r) for r in rows), tuple(numeric))


def _plain(text: str) -> str:
    """Text shown verbatim by the report renderers (inline marks ``*`` and backticks neutralised)."""
    return text.replace("`", "'").replace("*", "∗").replace("\\|", "|")

"""Markdown tables, the estimate-vs-truth figure and the written report."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mibench.report import plot_estimate_vs_truth, scores_markdown, write_report
from mibench.report.tables import as_table
from mibench.scoring import score
from tests.rows import result_row

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LN2 = math.log(2.0)


def _job(estimator, params, n, rep, estimate, *, task="gauss-1d", truth=LN2, status="ok", error=None):
    params_json = json.dumps(params, sort_keys=True)
    return result_row(
        task_id=task,
        estimator=estimator,
        params=params_json,
        params_hash=f"hash-{estimator}-{params_json}",
        n=n,
        repetition=rep,
        seed=rep,
        estimate=estimate if status == "ok" else float("nan"),
        true_mi=truth,
        seconds=0.5 + rep,
        peak_memory_mb=float("nan"),
        status=status,
        error=error,
        mibench_version="9.9.9-test",
        run_id="run-abc",
    )


@pytest.fixture
def results() -> pd.DataFrame:
    jobs = []
    for n, offset in ((100, 0.1), (1000, 0.01)):
        for rep, noise in enumerate((-0.02, 0.0, 0.02)):
            jobs.append(_job("ksg", {"k": 3}, n, rep, LN2 + offset + noise))
            jobs.append(_job("kde", {}, n, rep, 1.5 + offset + noise, task="gauss-2d", truth=1.5))
    jobs.append(_job("ksg", {"k": 3}, 100, 3, 0.0, status="error", error="ValueError: boom\nTraceback line 2"))
    jobs.append(_job("ksg", {"k": 3}, 1000, 3, 0.0, status="timeout", error="x" * 500))
    jobs.append(_job("binning", {"bins": 8}, 100, 0, 0.0, status="error", error="always fails"))
    return pd.DataFrame(jobs)


def _table_rows(markdown: str) -> list[list[str]]:
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_scores_markdown_nats(results):
    md = scores_markdown(score(results))
    rows = _table_rows(md)
    header = rows[0]
    for name in (
        "task",
        "estimator",
        "n",
        "true MI (nats)",
        "bias (nats)",
        "bias 95% CI (nats)",
        "RMSE (nats)",
    ):
        assert name in header
    body = rows[2:]
    assert len(body) == 5  # (task, estimator, n) groups, the separator row skipped
    keys = [(r[header.index("task")], r[header.index("estimator")], int(r[header.index("n")])) for r in body]
    assert keys == sorted(keys)
    ksg100 = body[keys.index(("gauss-1d", "ksg", 100))]
    assert float(ksg100[header.index("bias (nats)")]) == pytest.approx(0.1, rel=1e-3)
    assert ksg100[header.index("failed")] == "1/4"
    assert float(ksg100[header.index("true MI (nats)")]) == pytest.approx(LN2, rel=1e-3)
    binning = body[keys.index(("gauss-1d", "binning", 100))]
    assert binning[header.index("failed")] == "1/1"
    assert binning[header.index("bias (nats)")] == "nan"


def test_scores_markdown_bits(results):
    md = scores_markdown(score(results), bits=True)
    header, _, *body = _table_rows(md)
    assert "bias (bits)" in header and "true MI (bits)" in header
    assert not any("nats" in h for h in header)
    ksg = next(r for r in body if r[header.index("estimator")] == "ksg")
    assert float(ksg[header.index("true MI (bits)")]) == pytest.approx(1.0)
    assert float(ksg[header.index("bias (bits)")]) == pytest.approx(0.1 / LN2, rel=1e-3)


def test_scores_markdown_tells_configurations_apart(results):
    extra = pd.DataFrame([_job("ksg", {"k": 5}, 100, rep, LN2) for rep in range(2)])
    md = scores_markdown(score(pd.concat([results, extra], ignore_index=True)))
    assert 'ksg {"k": 3}' in md and 'ksg {"k": 5}' in md


def test_scores_markdown_rejects_bad_input():
    with pytest.raises(ValueError, match="missing required column"):
        scores_markdown(pd.DataFrame({"task_id": ["t"]}))


def test_as_table_formats_numbers_and_aligns_them_right():
    frame = pd.DataFrame(
        {"task": ["a\\|b", "c*d`e"], "n": [100, 1000], "bias": [0.123456, float("nan")], "r": [float("inf"), 2.0]}
    )
    table = as_table(frame)
    assert table.headers == ("task", "n", "bias", "r")
    assert table.numeric == (False, True, True, True)
    assert table.rows == (("a|b", "100", "0.1235", "inf"), ("c∗d'e", "1000", "nan", "2"))


def test_plot_is_a_png(results, tmp_path):
    out = plot_estimate_vs_truth(results, tmp_path / "sub" / "fig.png", bits=True)
    assert out == tmp_path / "sub" / "fig.png"
    data = out.read_bytes()
    assert len(data) > 1000
    assert data.startswith(PNG_SIGNATURE)


SECTIONS = ("summary", "families", "failures", "environment", "figures", "details")
HEADINGS = ("## Summary", "## Task families", "## Failures", "## Machine and environment", "## Figures", "## Details")


def test_write_report(results, tmp_path):
    path = write_report(results, tmp_path / "out", title="My benchmark")
    out = tmp_path / "out"
    assert path == out / "report.md"
    text = path.read_text(encoding="utf-8")

    assert text.startswith("# My benchmark\n")
    assert "9.9.9-test" in text
    assert "Generated: " in text
    assert f"Jobs: {len(results)} (error 2, ok 12, timeout 1)" in text
    # Summary first, then families, failures, figures and the detail (no environments given: no such section).
    positions = [text.index(h) for h in HEADINGS if h != "## Machine and environment"]
    assert positions == sorted(positions) and "## Machine and environment" not in text
    summary = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    assert "| estimator | tasks | n = 100 | n = 1000 |" in summary
    # ksg on gauss-1d: bias 0.1 at n = 100 (outside max(0.069, 0.05)), 0.01 at n = 1000 (within); 1 of 4 jobs
    # failed at each n. kde on gauss-2d: bias 0.1 and 0.01, both within max(0.15, 0.05). binning: every job failed.
    assert "| `ksg` | 1 | 0% | **100%** | 0.01 | 1000 | 25.0% |" in summary
    assert "| `kde` | 1 | **100%** | **100%** | 0.01 | 1000 | 0.0% |" in summary
    assert "| `binning` | 1 | 0% | – | – | 100 | 100.0% | – |" in summary
    assert "Task families weigh equally" in summary
    # Failures, first line only, long messages truncated.
    assert "ValueError: boom" in text and "Traceback line 2" not in text
    assert "always fails" in text
    assert "x" * 200 not in text and "x" * 199 + "…" in text
    assert "**timeout**" in text
    # No per-cell table in the Markdown: it is in scores.csv and in index.html.
    assert scores_markdown(score(results)) not in text and "bias 95% CI" not in text
    assert "](estimate_vs_truth.png)" in text
    assert "### Sample efficiency" in text

    png = (out / "estimate_vs_truth.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 0
    csv = pd.read_csv(out / "scores.csv")
    assert len(csv) == 5
    assert csv["true_mi"].max() == pytest.approx(1.5)  # nats
    page = (out / "index.html").read_text(encoding="utf-8")
    for anchor in SECTIONS:
        if anchor != "environment":
            assert f'<section id="{anchor}">' in page
    details = page.split('<section id="details">', 1)[1]
    assert "<details>" in details and "<summary>Per-cell scores (5 rows)</summary>" in details
    assert "bias 95% CI (nats)" in details and "gauss-2d" in details


def test_write_report_bits_labels(results, tmp_path):
    text = write_report(results, tmp_path, bits=True).read_text(encoding="utf-8")
    assert "median abs error (bits)" in text
    assert "(nats)" not in text
    assert "MI values in bits" in text
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "bias (bits)" in page and "bias (nats)" not in page


def _many_tasks(count: int) -> pd.DataFrame:
    """``count`` tasks in six families, three estimators, two sample sizes, two seeds; one estimator fails on the
    first task."""
    jobs = []
    for i in range(count):
        task, truth = f"task-{i:03d}", 0.2 + (i % 7) * 0.3
        for estimator, offset in (("ksg", 0.01), ("kl", 0.08), ("gaussian", -0.2)):
            for n in (100, 1000):
                for rep in range(2):
                    failed = estimator == "kl" and i == 0
                    job = _job(
                        estimator,
                        {},
                        n,
                        rep,
                        truth + offset + 0.01 * rep,
                        task=task,
                        truth=truth,
                        status="error" if failed else "ok",
                        error="ValueError: tied" if failed else None,
                    )
                    jobs.append(job | {"family": f"family-{i % 6}", "dim_x": 1 + i % 3, "dim_y": 1 + i % 3})
    return pd.DataFrame(jobs)


def test_report_md_stays_small_while_the_html_and_csv_hold_every_cell(tmp_path):
    small = write_report(_many_tasks(12), tmp_path / "small").read_text(encoding="utf-8")
    big_results = _many_tasks(150)
    big = write_report(big_results, tmp_path / "big").read_text(encoding="utf-8")
    assert len(big.encode("utf-8")) < 100_000
    assert abs(len(big) - len(small)) < 2_000  # no part of report.md grows with the number of tasks
    tasks = sorted(set(big_results["task_id"]))
    assert [t for t in tasks if t in big] == ["task-000"]  # only the failed one, in the failures section
    csv = pd.read_csv(tmp_path / "big" / "scores.csv")
    assert len(csv) == 150 * 3 * 2 and set(csv["task_id"]) == set(tasks)
    page = (tmp_path / "big" / "index.html").read_text(encoding="utf-8")
    per_cell = page.split("<summary>Per-cell scores (900 rows)</summary>", 1)[1].split("</details>", 1)[0]
    assert per_cell.count("<tr>") == 1 + 900 and all(f"<td>{t}</td>" in per_cell for t in tasks)


def test_index_html_is_self_contained(results, tmp_path):
    write_report(results, tmp_path, environments={"run-abc": _environment("CPU A")})
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""\b(src|href)\s*=\s*["']?\s*(https?:)?//""", page, flags=re.IGNORECASE)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    images = re.findall(r'<img src="([^"]+)"', page)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in page and f'<a href="#{anchor}">' in page
    assert "CPU A" in page


def test_the_browser_renders_the_report(tmp_path):
    from matplotlib.image import imread

    from tests.report import browser

    browser.chromium()  # skip (or, under CI=true, fail) before writing anything when there is no browser
    write_report(_many_tasks(8), tmp_path / "out", environments={"run-abc": _environment("CPU A")})
    page = tmp_path / "out" / "index.html"
    dom = browser.dump_dom(page, tmp_path)
    for anchor in SECTIONS:
        assert re.search(rf'<section id="{anchor}">\s*<h2>', dom), anchor
    summary = dom.split('<section id="summary">', 1)[1].split("</section>", 1)[0]
    assert "<table>" in summary
    for name in ("ksg", "kl", "gaussian"):
        assert f"<code>{name}</code>" in summary
    assert dom.count("<img ") == len(list((tmp_path / "out").glob("*.png")))

    png = browser.screenshot(page, tmp_path / "shot.png", tmp_path)
    pixels = imread(png)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    colours = np.unique((pixels[..., :3] * 255).round().astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 20  # text, table borders and shading, link colours: not a blank page
    assert pixels[..., :3].std() > 0.02


def test_write_report_empty_input_writes_nothing(results, tmp_path):
    with pytest.raises(ValueError, match="empty"):
        write_report(results.iloc[0:0], tmp_path / "never")
    assert not (tmp_path / "never").exists()
    with pytest.raises(ValueError, match="estimate"):
        write_report(results.drop(columns=["estimate"]), tmp_path / "never")


def test_importing_report_is_cheap():
    code = (
        "import sys, mibench.report; "
        "heavy = [m for m in ('matplotlib', 'seaborn', 'scipy.stats') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_failures_are_grouped_by_task_estimator_and_status(tmp_path):
    jobs = [
        _job("ksg", {"k": 3}, n, rep, 0.0, status="error", error=f"ValueError: tied {rep}")
        for n in (100, 300)
        for rep in range(5)
    ]
    jobs.append(_job("ksg", {"k": 3}, 100, 9, 0.5))
    text = write_report(pd.DataFrame(jobs), tmp_path).read_text(encoding="utf-8")
    assert "10 of 11 jobs failed" in text and "in 1 group(s)" in text
    assert "**error** × 10 (n = 100, 300): `ValueError: tied 0`" in text
    assert "tied 1" not in text


def _environment(cpu: str, **changes):
    from mibench.runner.environment import Environment, ThreadPool

    fields = {
        "cpu_model": cpu,
        "logical_cores": 4,
        "usable_cores": 2,
        "platform": "Linux-6.0-x86_64",
        "machine": "x86_64",
        "hostname": "box",
        "python": "3.11.7",
        "python_implementation": "CPython",
        "packages": {"numpy": "2.0.0", "scipy": "1.14.0"},
        "threadpools": (ThreadPool("blas", "openblas", "0.3.27", 2, "libopenblas"),),
        "mibench_version": "9.9.9-test",
        "git_commit": "abcdef0123456789",
        "git_dirty": False,
    }
    return Environment(**(fields | changes))


def test_report_lists_the_distinct_environments_of_its_runs(results, tmp_path):
    frame = results.copy()
    frame.loc[frame.index[:4], "run_id"] = "run-old"
    frame.loc[frame.index[4:8], "run_id"] = "run-same"
    environments = {
        "run-abc": _environment("CPU A"),
        "run-same": _environment("CPU A"),  # the same environment as run-abc: listed once, with both runs
        "run-old": None,  # recorded before environments were
        "run-not-in-report": _environment("CPU Z"),
    }
    text = write_report(frame, tmp_path, environments=environments).read_text(encoding="utf-8")
    section = text.split("## Machine and environment", 1)[1].split("\n## ", 1)[0]
    positions = [text.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)
    assert "CPU A" in section and "CPU Z" not in section and section.count("CPU A") == 1
    assert "**Environment** (2 run(s): `run-abc`, `run-same`)" in section
    assert "cores: 2 usable of 4 logical" in section and "Python: 3.11.7 (CPython)" in section
    assert "numpy 2.0.0, scipy 1.14.0" in section and "openblas 0.3.27 (libopenblas, 2 threads)" in section
    assert "commit abcdef012345" in section
    assert "No environment recorded for 1 run(s) (`run-old`)" in section

    two = write_report(frame, tmp_path / "two", environments={"run-abc": _environment("CPU B")})
    assert "**Environment** (1 run(s): `run-abc`)" in two.read_text(encoding="utf-8")
    distinct = {"run-abc": _environment("CPU A"), "run-same": _environment("CPU B"), "run-old": _environment("C")}
    text = write_report(frame, tmp_path / "three", environments=distinct).read_text(encoding="utf-8")
    assert "**Environment 1**" in text and "**Environment 3**" in text


def test_report_without_environments_has_no_such_section(results, tmp_path):
    assert "Machine and environment" not in write_report(results, tmp_path).read_text(encoding="utf-8")


def test_white_box_estimators_are_marked(results, tmp_path):
    """An estimator that read a channel task's clean values (its info says white_box) is named as white-box."""
    plain = write_report(results, tmp_path / "plain").read_text()
    assert "White-box estimators" not in plain
    marked = results.copy()
    marked.loc[marked["estimator"] == "kde", "info"] = json.dumps({"white_box": True, "task_context": {}})
    text = write_report(marked, tmp_path / "marked").read_text()
    (line,) = [line for line in text.splitlines() if "White-box estimators" in line]
    assert "`kde`" in line and "`ksg`" not in line
    assert "White-box estimators" in (tmp_path / "marked" / "index.html").read_text()

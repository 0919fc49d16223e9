"""One document, two renderings: Markdown and a self-contained HTML page."""

from __future__ import annotations

import base64
import re

import pytest

from mibench.report.document import (
    BulletList,
    Details,
    Document,
    Heading,
    Image,
    ListItem,
    Paragraph,
    Section,
    Table,
    blocks_from_markdown,
    render_html,
    render_markdown,
    slug,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def document() -> Document:
    return Document(
        title="Report <1>",
        blocks=(
            BulletList((ListItem("Jobs: 3"), ListItem("Runs: `r1`", ("CPU: x86", "cores: 2")))),
            Section(
                "summary",
                "Summary",
                (
                    Paragraph("A **bold** claim, *emphasis*, `a<b>` and [a link](other/report.md) & <script>."),
                    Table(("name", "value"), (("`ksg`", "1.5"), ("a|b", "**2**")), (False, True)),
                ),
            ),
            Section(
                "figures",
                "Figures",
                (
                    Heading(3, "A figure"),
                    Image("fig.png", "the figure", "What it shows."),
                    Image("missing.png", "gone"),
                ),
            ),
            Section(
                "details",
                "Details",
                (Details("All rows (2)", (Table(("x",), (("1",), ("2",)), (True,)),), note="Rows are in `x.csv`."),),
            ),
        ),
    )


def test_markdown(document: Document) -> None:
    text = render_markdown(document)
    assert text.startswith("# Report <1>\n\n- Jobs: 3\n- Runs: `r1`\n  - CPU: x86\n  - cores: 2\n")
    assert "## Summary\n\nA **bold** claim" in text
    assert "| name | value |\n|:---|---:|\n| `ksg` | 1.5 |\n| a\\|b | **2** |\n" in text
    assert "### A figure\n\n![the figure](fig.png)\n\n*What it shows.*\n" in text
    assert "Rows are in `x.csv`." in text and "All rows" not in text  # a Details block shows its note only
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_html_is_escaped_self_contained_and_has_the_sections(document: Document, tmp_path) -> None:
    (tmp_path / "fig.png").write_bytes(PNG)
    page = render_html(document, tmp_path)
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>Report &lt;1&gt;</title>" in page and "<h1>Report &lt;1&gt;</h1>" in page
    for anchor in ("summary", "figures", "details"):
        assert f'<section id="{anchor}">' in page and f'href="#{anchor}"' in page
    assert "<strong>bold</strong>" in page and "<em>emphasis</em>" in page
    assert "<code>a&lt;b&gt;</code>" in page and "&amp; &lt;script&gt;." in page
    assert '<a href="other/report.md">a link</a>' in page
    assert "<script" not in page
    assert '<td class="num"><strong>2</strong></td>' in page and "<td>a|b</td>" in page
    assert "<li>Runs: <code>r1</code><ul><li>CPU: x86</li><li>cores: 2</li></ul></li>" in page
    encoded = base64.b64encode(PNG).decode("ascii")
    assert f'<img src="data:image/png;base64,{encoded}" alt="the figure">' in page
    assert "<figcaption>What it shows.</figcaption>" in page
    assert "(figure missing.png is missing)" in page
    assert "<details>\n<summary>All rows (2)</summary>" in page and '<td class="num">2</td>' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_table_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="2 cells for 1 columns"):
        Table(("a",), (("1", "2"),))
    with pytest.raises(ValueError, match="numeric has 2 flags"):
        Table(("a",), (), (True, False))


def test_blocks_from_markdown() -> None:
    lines = [
        "## Information planes",
        "",
        "Exact planes of 2 record(s); details in [information-plane/report.md](information-plane/report.md).",
        "",
        "![information planes](information-plane/planes.png)",
        "",
        "- one",
        "  - nested",
        "- two",
        "",
        "| a | b |",
        "|:--|--:|",
        "| x | 1 |",
        "### More",
        "text on",
        "two lines",
    ]
    (section,) = blocks_from_markdown(lines)
    assert isinstance(section, Section) and section.anchor == "information-planes"
    paragraph, image, bullets, table, heading, tail = section.blocks
    assert paragraph == Paragraph(lines[2])
    assert image == Image("information-plane/planes.png", "information planes")
    assert bullets == BulletList((ListItem("one", ("nested",)), ListItem("two")))
    assert table == Table(("a", "b"), (("x", "1"),), (False, True))
    assert heading == Heading(3, "More") and tail == Paragraph("text on two lines")


def test_slug() -> None:
    assert slug("Information planes") == "information-planes"
    assert slug("  Machine & environment!") == "machine-environment"
    assert slug("***") == "section"

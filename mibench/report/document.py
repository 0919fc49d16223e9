"""A small document model that renders one report to both Markdown and a self-contained HTML page.

A report is built once as typed blocks (:class:`Section`, :class:`Heading`, :class:`Paragraph`,
:class:`BulletList`, :class:`Table`, :class:`Image`, :class:`Details`) and rendered twice, so ``report.md`` and
``index.html`` cannot drift apart. Text inside blocks may use four inline Markdown marks: ```code```,
``**bold**``, ``*emphasis*`` and ``[text](href)``; the HTML renderer escapes everything else
(:func:`html.escape`).

The HTML page needs nothing beyond the file itself: the stylesheet is inline, images are embedded as base64
``data:`` URIs, there is no script and no network resource. A :class:`Details` block becomes a collapsible
``<details>`` element in HTML and only its short Markdown note in Markdown (that is how the per-cell table reaches
the page without making ``report.md`` large).
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

__all__ = [
    "Block",
    "BulletList",
    "Details",
    "Document",
    "Heading",
    "Image",
    "ListItem",
    "Paragraph",
    "Section",
    "Table",
    "blocks_from_markdown",
    "render_html",
    "render_markdown",
    "slug",
]


@dataclass(frozen=True)
class Heading:
    """A heading of ``level`` 1-6 (``#`` to ``######``)."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of inline-marked text."""

    text: str


@dataclass(frozen=True)
class ListItem:
    """A bullet with optional nested bullets (one level)."""

    text: str
    children: tuple[str, ...] = ()


@dataclass(frozen=True)
class BulletList:
    items: tuple[ListItem, ...]


@dataclass(frozen=True)
class Table:
    """A table of preformatted cell strings; ``numeric[i]`` right-aligns column ``i`` (numbers)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        width = len(self.headers)
        if self.numeric and len(self.numeric) != width:
            raise ValueError(f"numeric has {len(self.numeric)} flags for {width} columns")
        for row in self.rows:
            if len(row) != width:
                raise ValueError(f"a table row has {len(row)} cells for {width} columns: {row!r}")


@dataclass(frozen=True)
class Image:
    """A PNG beside the report (``src`` relative to the report's folder) with its alternative text and a caption."""

    src: str
    alt: str
    caption: str = ""


@dataclass(frozen=True)
class Details:
    """Content for the HTML page only, collapsed under ``summary``; Markdown shows ``note`` instead."""

    summary: str
    blocks: tuple[Block, ...]
    note: str = ""


@dataclass(frozen=True)
class Section:
    """A level-2 section: ``## title`` in Markdown, ``<section id="anchor">`` in HTML."""

    anchor: str
    title: str
    blocks: tuple[Block, ...] = ()


Block: TypeAlias = Heading | Paragraph | BulletList | Table | Image | Details | Section


@dataclass(frozen=True)
class Document:
    """A title, an introduction (blocks before the first section) and the sections."""

    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def slug(text: str) -> str:
    """A lower-case id made of ``[a-z0-9-]`` (``"Information planes"`` -> ``"information-planes"``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


# ------------------------------------------------------------------------------------------------------------
# Markdown
# ------------------------------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table) -> list[str]:
    numeric = table.numeric or (False,) * len(table.headers)
    lines = ["| " + " | ".join(_md_cell(h) for h in table.headers) + " |"]
    lines.append("|" + "|".join("---:" if right else ":---" for right in numeric) + "|")
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return lines


def _md_blocks(blocks: Iterable[Block]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Section):
            lines += [f"## {block.title}", "", *_md_blocks(block.blocks)]
            continue
        if isinstance(block, Heading):
            lines.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, BulletList):
            for item in block.items:
                lines.append(f"- {item.text}")
                lines += [f"  - {child}" for child in item.children]
        elif isinstance(block, Table):
            lines += _md_table(block)
        elif isinstance(block, Image):
            lines.append(f"![{block.alt}]({block.src})")
            if block.caption:
                lines += ["", f"*{block.caption}*"]
        elif isinstance(block, Details):
            if not block.note:
                continue
            lines.append(block.note)
        else:  # pragma: no cover - the union is closed
            raise TypeError(f"not a report block: {block!r}")
        lines.append("")
    return lines


def render_markdown(document: Document) -> str:
    """The document as GitHub-flavoured Markdown (pipe tables, numeric columns right-aligned)."""
    lines = [f"# {document.title}", "", *_md_blocks(document.blocks)]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------------------
# HTML
# ------------------------------------------------------------------------------------------------------------

_INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\*([^*\s](?:[^*]*[^*\s])?)\*|\[([^\]]+)\]\(([^)\s]+)\)")

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 1.5rem 2rem 4rem; color: #1d1d1f; background: #fff;
       line-height: 1.5; }
h1 { font-size: 1.9rem; margin-bottom: 0.4rem; }
h2 { font-size: 1.4rem; margin-top: 2.2rem; border-bottom: 2px solid #d0d7de; padding-bottom: 0.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.4rem; }
nav { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.5rem 1rem; }
nav a { margin-right: 1.1rem; }
a { color: #0550ae; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em;
       background: #f3f4f6; padding: 0.05rem 0.25rem; border-radius: 3px; }
table { border-collapse: collapse; margin: 0.8rem 0 1.2rem; font-size: 0.9rem; }
th, td { border: 1px solid #c9d1d9; padding: 0.25rem 0.55rem; vertical-align: top; }
th { background: #eef1f4; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #f8f9fb; }
figure { margin: 1rem 0 2rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e1e4e8; }
figcaption { color: #444; font-size: 0.92rem; margin-top: 0.4rem; }
details { margin: 0.8rem 0; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.4rem 0.8rem; }
details > summary { cursor: pointer; font-weight: 600; }
details .scroll { overflow-x: auto; }
"""


def _inline_html(text: str) -> str:
    """Escape ``text`` and turn its inline marks into HTML elements."""
    out: list[str] = []
    last = 0
    for match in _INLINE.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        code, bold, emphasis, link_text, href = match.groups()
        if code is not None:
            out.append(f"<code>{html.escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{_inline_html(bold)}</strong>")
        elif emphasis is not None:
            out.append(f"<em>{_inline_html(emphasis)}</em>")
        else:
            out.append(f'<a href="{html.escape(href, quote=True)}">{_inline_html(link_text)}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _data_uri(path: Path) -> str | None:
    """The PNG at ``path`` as a ``data:`` URI, or None when the file is missing."""
    if not path.is_file():
        return None
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _html_table(table: Table) -> list[str]:
    numeric = table.numeric or (False,) * len(table.headers)

    def cls(i: int) -> str:
        return ' class="num"' if numeric[i] else ""

    lines = ["<table>", "<thead><tr>"]
    lines += [f"<th{cls(i)}>{_inline_html(h)}</th>" for i, h in enumerate(table.headers)]
    lines += ["</tr></thead>", "<tbody>"]
    for row in table.rows:
        lines.append("<tr>" + "".join(f"<td{cls(i)}>{_inline_html(c)}</td>" for i, c in enumerate(row)) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return lines


def _html_blocks(blocks: Iterable[Block], base: Path) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Section):
            lines += [
                f'<section id="{html.escape(block.anchor, quote=True)}">',
                f"<h2>{_inline_html(block.title)}</h2>",
            ]
            lines += [*_html_blocks(block.blocks, base), "</section>"]
        elif isinstance(block, Heading):
            lines.append(f"<h{block.level}>{_inline_html(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            lines.append(f"<p>{_inline_html(block.text)}</p>")
        elif isinstance(block, BulletList):
            lines.append("<ul>")
            for item in block.items:
                children = "".join(f"<li>{_inline_html(c)}</li>" for c in item.children)
                lines.append(f"<li>{_inline_html(item.text)}" + (f"<ul>{children}</ul>" if children else "") + "</li>")
            lines.append("</ul>")
        elif isinstance(block, Table):
            lines += ['<div class="scroll">', *_html_table(block), "</div>"]
        elif isinstance(block, Image):
            uri = _data_uri(base / block.src)
            if uri is None:
                lines.append(f"<p>(figure {html.escape(block.src)} is missing)</p>")
                continue
            caption = f"<figcaption>{_inline_html(block.caption)}</figcaption>" if block.caption else ""
            lines.append(f'<figure><img src="{uri}" alt="{html.escape(block.alt, quote=True)}">{caption}</figure>')
        elif isinstance(block, Details):
            lines += ["<details>", f"<summary>{_inline_html(block.summary)}</summary>"]
            lines += [*_html_blocks(block.blocks, base), "</details>"]
        else:  # pragma: no cover - the union is closed
            raise TypeError(f"not a report block: {block!r}")
    return lines


def render_html(document: Document, base: str | Path) -> str:
    """The document as one self-contained HTML page.

    Args:
        document: what to render.
        base: the folder that :class:`Image` sources are relative to; each image is read from there and embedded
            (a missing one is replaced by a sentence saying so).

    Returns:
        The page: inline CSS, a navigation bar linking every section by its id, images as ``data:`` URIs, no
        script and no external resource.
    """
    base = Path(base)
    sections = [b for b in document.blocks if isinstance(b, Section)]
    nav = " ".join(f'<a href="#{html.escape(s.anchor, quote=True)}">{_inline_html(s.title)}</a>' for s in sections)
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(document.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_inline_html(document.title)}</h1>",
    ]
    if nav:
        lines.append(f"<nav>{nav}</nav>")
    lines += [*_html_blocks(document.blocks, base), "</body>", "</html>"]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------------------
# Markdown lines from elsewhere (the information-plane section)
# ------------------------------------------------------------------------------------------------------------

_IMAGE_LINE = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)$")
_HEADING_LINE = re.compile(r"^(#{1,6})\s+(.*)$")


def _split_row(line: str) -> tuple[str, ...]:
    return tuple(cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip().strip("|")))


def blocks_from_markdown(lines: Sequence[str]) -> tuple[Block, ...]:
    """Blocks of Markdown written as lines: headings, images on a line of their own, bullet lists (one nested
    level, two-space indent), pipe tables and paragraphs; a level-2 heading opens a :class:`Section` (its id is
    the :func:`slug` of its title) that runs to the next one.

    This covers the Markdown mibench itself writes (the information-plane section); it is not a general parser.
    """
    blocks: list[Block] = []
    paragraph: list[str] = []
    items: list[ListItem] = []
    table: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Paragraph(" ".join(paragraph)))
            paragraph.clear()
        if items:
            blocks.append(BulletList(tuple(items)))
            items.clear()
        if table:
            header, *rest = table
            body = [row for row in rest if not re.fullmatch(r"\|?[\s:|-]+\|?", row)]
            headers = _split_row(header)
            numeric = tuple(bool(re.fullmatch(r"\s*-+:\s*", c)) for c in _split_row(rest[0])) if rest else ()
            blocks.append(
                Table(headers, tuple(_split_row(r) for r in body), numeric if len(numeric) == len(headers) else ())
            )
            table.clear()

    for raw in lines:
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        if line.startswith("|"):
            if not table:
                flush()
            table.append(line)
            continue
        if (heading := _HEADING_LINE.match(line)) is not None:
            flush()
            blocks.append(Heading(len(heading.group(1)), heading.group(2).strip()))
        elif (image := _IMAGE_LINE.match(line.strip())) is not None:
            flush()
            blocks.append(Image(src=image.group(2), alt=image.group(1)))
        elif line.startswith("- "):
            if paragraph:
                flush()
            items.append(ListItem(line[2:].strip()))
        elif line.startswith("  - ") and items:
            last = items[-1]
            items[-1] = ListItem(last.text, (*last.children, line[4:].strip()))
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()

    grouped: list[Block] = []
    for block in blocks:
        if isinstance(block, Heading) and block.level == 2:
            grouped.append(Section(slug(block.text), block.text))
        elif grouped and isinstance(grouped[-1], Section):
            last = grouped[-1]
            grouped[-1] = Section(last.anchor, last.title, (*last.blocks, block))
        else:
            grouped.append(block)
    return tuple(grouped)

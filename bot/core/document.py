"""A document as plain blocks (headings, paragraphs, tables, charts) for reports.

Handlers decide what a report says; bot/report.py alone decides how Word, PDF and Excel show it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    """A heading; level 0 is the document's title."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text; `bullets` renders each line as a list item."""

    text: str
    bullets: bool = False


@dataclass(frozen=True)
class Table:
    """A table with a header row; every cell is text (counts already made safe to show)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A bar chart of labelled values; only values that may be shown (never a count below the minimum)."""

    title: str
    labels: tuple[str, ...]
    values: tuple[int, ...]
    note: str = ""


Block = Heading | Paragraph | Table | Chart


@dataclass(frozen=True)
class Document:
    """A titled document made of blocks."""

    title: str
    blocks: tuple[Block, ...]

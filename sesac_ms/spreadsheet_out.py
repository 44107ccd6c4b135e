"""The one writer of every table the app hands out: CSV, XLSX and JSON downloads.

Reports, the roster export, the user export and the import template all go through here,
so no text typed into the app (a campus, course, exam or person's name) can reach a
spreadsheet as a formula. The rule (OWASP, "CSV injection"): a text cell that begins with
`=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, in CSV and XLSX alike,
and XLSX text cells are written as strings, never as formulas. Numbers and dates are not
text: they stay numbers (a negative number is not prefixed).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

CSV_MIMETYPE = "text/csv; charset=utf-8"
JSON_MIMETYPE = "application/json"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Values a spreadsheet keeps as typed values rather than text (bool is an int).
_TYPED = (int, float, Decimal, date, datetime, time, timedelta)


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet cell: text that could start a formula gets a leading `'`.

    None stays None (an empty cell), numbers and dates stay as they are; anything else
    (lazy translations, enums) becomes text first, so it is checked like any text.
    """
    if value is None or isinstance(value, _TYPED):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(
    columns: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool = True,
    line_end: str = "\r\n",
) -> bytes:
    """A header row and the rows as UTF-8 CSV; with a BOM (the default) Excel reads it as UTF-8.

    An empty cell (None) is written as nothing. Line breaks inside a text become LF, as in
    an Excel cell: the csv module quotes a field only for the characters of its own line
    end, so with LF line ends a bare CR would be left unquoted and start a new row (whose
    first cell could then be a formula).
    """
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator=line_end)
    for row in _safe_rows(columns, rows):
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def xlsx_bytes(
    columns: Sequence[Any], rows: Iterable[Sequence[Any]], sheet_title: str | None = None
) -> bytes:
    """A workbook of one sheet: a header row and the rows; text is always a string cell."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    if sheet_title:
        sheet.title = sheet_title
    for row_number, row in enumerate(_safe_rows(columns, rows), start=1):
        for column_number, value in enumerate(row, start=1):
            if value is None or value == "":
                continue  # an empty cell, as Excel leaves it
            cell = sheet.cell(row=row_number, column=column_number)
            if isinstance(value, str):
                # openpyxl refuses control characters an XLSX file cannot hold.
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                # Explicit: openpyxl would otherwise read "=…" as a formula, "#N/A" as an error.
                cell.data_type = "s"
            else:
                cell.value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def json_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The rows as a JSON list of objects keyed by the columns, numbers as numbers.

    Not neutralised: JSON is read by programs, not opened as a sheet, and a program
    should get the names exactly as they were typed.
    """
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    return json.dumps(records, ensure_ascii=False, indent=2).encode("utf-8")


def _safe_rows(columns: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterable[list[Any]]:
    yield [safe_cell(column) for column in columns]
    for row in rows:
        yield [safe_cell(value) for value in row]

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
import re
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


# Characters an XLSX file cannot hold (XML 1.0): dropped from text, as Excel would refuse them.
_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Sheet names: at most 31 characters, none of these.
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def xlsx_bytes(
    columns: Sequence[Any], rows: Iterable[Sequence[Any]], sheet_title: str | None = None
) -> bytes:
    """A workbook of one sheet: a header row and the rows; text is always a string cell.

    Written with XlsxWriter (the writing library; openpyxl stays the reader of imports),
    row by row, with every conversion of text turned off: a string is written as a string,
    never read as a formula, a number or a link, so "=…" and "#N/A" stay text."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    title = _NOT_IN_SHEET_NAMES.sub(" ", sheet_title or "").strip()[:31] or None
    sheet = book.add_worksheet(title)
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    datetime_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    time_format = book.add_format({"num_format": "hh:mm"})
    for y, row in enumerate(_safe_rows(columns, rows)):
        for x, value in enumerate(row):
            if value is None or value == "":
                continue  # an empty cell, as Excel leaves it
            if isinstance(value, str):
                # Line breaks as in an Excel cell (LF), as in the CSV writer.
                text = value.replace("\r\n", "\n").replace("\r", "\n")
                sheet.write_string(y, x, _ILLEGAL_IN_XLSX.sub("", text))
            elif isinstance(value, bool):
                sheet.write_boolean(y, x, value)
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(y, x, float(value))
            elif isinstance(value, datetime):
                sheet.write_datetime(y, x, value.replace(tzinfo=None), datetime_format)
            elif isinstance(value, date):
                sheet.write_datetime(y, x, value, date_format)
            elif isinstance(value, time):
                sheet.write_datetime(y, x, value.replace(tzinfo=None), time_format)
            else:  # timedelta
                sheet.write_number(y, x, value.total_seconds() / 86400, time_format)
    book.close()
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

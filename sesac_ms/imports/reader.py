"""A generic reader of uploaded tables (CSV or XLSX) and the parsers of their cells.

Every import (applicants, trainee records, certifications: docs/formats.md) reads its file
with `read_table` and its cells with a `RowParser`, so that all of them take the same
encodings, header spellings and date forms, and report problems the same way: the row
number as the spreadsheet shows it (the header is row 1), the column as written in the
file, and the reason. Nothing here touches the database.

An upload is read within the bounds of limits.py (its size, rows, columns, the time taken),
and refused with UnreadableFile past any of them; xlsx.py reads workbooks, checking the
archive before it unpacks anything.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext

from . import xlsx
from .limits import Deadline, Limits, UnreadableFile, file_too_large, too_many_rows
from .limits import number as grouped

# A cell as the parsers receive it: a stripped string ("" when empty), or the date or
# datetime of an Excel date cell.
Cell = str | date
T = TypeVar("T")

# "utf-8-sig" reads UTF-8 with and without the BOM; CP949 is what Korean Excel saves.
ENCODINGS = ("utf-8-sig", "cp949")
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")  # a line of a CSV file, its end kept
XLSX_MAGIC = b"PK\x03\x04"  # a ZIP archive, which every .xlsx is
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary Excel format


@dataclass(frozen=True)
class Column:
    """A column an import takes: its key, its English and Korean headers, whether required.

    `help` says what the cells hold (a lazy string, shown on the upload page); `aliases`
    are further header spellings accepted.
    """

    key: str
    english: str
    korean: str
    required: bool = False
    help: Any = ""
    aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.korean} ({self.english})"

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.english, self.korean, *self.aliases)


@dataclass(frozen=True)
class RowError:
    """One problem: the row as the spreadsheet numbers it (None: the file as a whole),
    the column as written in the file (or the column's label if absent; "" for none)."""

    row: int | None
    column: str
    message: str


class CellError(ValueError):
    """A cell's value does not fit its column; the message says what to write instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    number: int  # as the spreadsheet shows it
    values: dict[str, Cell]  # by column key, for the columns the file has


@dataclass
class HeaderMatch:
    positions: dict[str, int]  # column key -> index of its cell in each row
    written: dict[str, str]  # column key -> header as written in the file
    unknown: list[str]  # headers that name no column (ignored)
    errors: list[RowError]  # a required column missing, a column given twice


@dataclass
class Table:
    columns: list[Column]
    headers: dict[str, str]  # column key -> header as written, for the columns found
    unknown_headers: list[str]
    rows: list[Row]  # non-empty rows under the header
    errors: list[RowError]  # problems of the header row

    def has(self, key: str) -> bool:
        return key in self.headers

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def column_name(self, key: str) -> str:
        """The header as the file writes it, else the column's label."""
        if key in self.headers:
            return self.headers[key]
        column = self.column(key)
        return column.label if column else key


# --- headers ----------------------------------------------------------------------------


def normalise_name(text: str) -> str:
    """Compare headers and choices ignoring case, spaces, `_` and `-`: "Birth date" = birth_date."""
    return re.sub(r"[\s_\-\ufeff]+", "", text).casefold()


def match_headers(cells: Sequence[Cell], columns: Sequence[Column]) -> HeaderMatch:
    """Find each column among the header cells, in English or Korean, in any order."""
    lookup: dict[str, Column] = {}
    for column in columns:
        for spelling in column.spellings:
            other = lookup.setdefault(normalise_name(spelling), column)
            if other is not column:
                raise ValueError(f"{spelling!r} names both {other.key} and {column.key}")
    match = HeaderMatch({}, {}, [], [])
    for index, cell in enumerate(cells):
        written = _text(cell)
        if not written:
            continue
        column = lookup.get(normalise_name(written))
        if column is None:
            match.unknown.append(written)
        elif column.key in match.positions:
            match.errors.append(
                RowError(
                    1,
                    written,
                    gettext(
                        "The column %(column)s is given twice (“%(first)s” and “%(second)s”).",
                        column=column.label,
                        first=match.written[column.key],
                        second=written,
                    ),
                )
            )
        else:
            match.positions[column.key] = index
            match.written[column.key] = written
    for column in columns:
        if column.required and column.key not in match.positions:
            match.errors.append(
                RowError(
                    1,
                    column.label,
                    gettext(
                        "The required column %(column)s is missing: add a column headed "
                        "“%(korean)s” or “%(english)s”.",
                        column=column.label,
                        korean=column.korean,
                        english=column.english,
                    ),
                )
            )
    return match


# --- reading the file -------------------------------------------------------------------


def read_table(
    filename: str, content: bytes, columns: Sequence[Column], *, limits: Limits | None = None
) -> Table:
    """Read a CSV or XLSX file (its first sheet) into rows keyed by column.

    The first non-empty row is the header; empty rows are skipped; unknown columns are
    listed and ignored. A missing required column is in `Table.errors`, not raised, so
    that the rows can still be checked. Raises UnreadableFile when the file is no table
    at all (another format, an encoding that is neither UTF-8 nor CP949, no header) or is
    past the limits (`limits`, by default the settings IMPORT_MAX_*).
    """
    limits = limits or Limits.current()
    deadline = Deadline(limits.seconds)
    if len(content) > limits.file_bytes:
        raise file_too_large(len(content), limits)
    header: HeaderMatch | None = None
    rows: list[Row] = []
    with closing(_grid(filename, content, limits, deadline)) as grid:
        for number, cells in grid:
            if not any(cells):
                continue
            if header is None:
                header = match_headers(cells, columns)
                continue
            rows.append(
                Row(
                    number,
                    {
                        key: cells[index] if index < len(cells) else ""
                        for key, index in header.positions.items()
                    },
                )
            )
    if header is None:
        raise UnreadableFile(gettext("The file is empty: its first row must name the columns."))
    return Table(list(columns), header.written, header.unknown, rows, header.errors)


def file_kind(filename: str, content: bytes) -> str:
    """ "csv" or "xlsx", by the name and by the first bytes; raises UnreadableFile."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if content.startswith(XLS_MAGIC):
        raise UnreadableFile(
            gettext("This is an old Excel file (.xls): save it as .xlsx or CSV and upload that.")
        )
    if extension not in ("csv", "xlsx"):
        raise UnreadableFile(gettext("Upload a .csv or .xlsx file."))
    if content.startswith(XLSX_MAGIC):
        return "xlsx"  # a workbook, even if someone renamed it .csv
    if extension == "xlsx":
        raise UnreadableFile(gettext("This file is not a valid .xlsx workbook."))
    return "csv"


def _grid(
    filename: str, content: bytes, limits: Limits, deadline: Deadline
) -> Iterator[tuple[int, list[Cell]]]:
    """Every row of the file, empty ones too, numbered as the spreadsheet shows them."""
    if file_kind(filename, content) == "xlsx":
        for number, values in xlsx.read_rows(content, limits, deadline):
            yield number, [clean_cell(value) for value in values]
    else:
        yield from _csv_rows(content, limits, deadline)


def decode_text(content: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(
        gettext(
            "The file could not be read as text: save it from Excel as "
            "“CSV UTF-8” or “CSV (comma delimited)”."
        )
    )


class _BoundedLines:
    """The lines of a text for csv.reader, refusing a row longer than the limit.

    csv.reader builds a whole row before returning it (a 2 MB line of commas is a list of
    a million cells), so the characters of the row being read are counted as it takes
    each line, and `row_read()` starts the count again.
    """

    def __init__(self, text: str, limits: Limits) -> None:
        # As io.StringIO(text, newline="") splits them, without its copy of four bytes a
        # character.
        self.lines = (match[0] for match in LINE.finditer(text))
        self.limit = limits.line_chars
        self.length = 0
        self.row = 1

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.length += len(line)
        if self.length > self.limit:
            raise UnreadableFile(
                gettext(
                    "Row %(row)s of the file is over %(limit)s characters long; "
                    "a row of a table is far shorter. Check that it is a CSV file.",
                    row=grouped(self.row),
                    limit=grouped(self.limit),
                )
            )
        return line

    def row_read(self) -> None:
        self.length = 0
        self.row += 1


def _csv_rows(
    content: bytes, limits: Limits, deadline: Deadline
) -> Iterator[tuple[int, list[Cell]]]:
    text = decode_text(content)
    if "\x00" in text:
        raise UnreadableFile(gettext("This file is not a CSV text file."))
    lines = _BoundedLines(text, limits)
    reader = csv.reader(lines)
    number = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise UnreadableFile(
                gettext("The CSV file is malformed at row %(row)d.", row=number + 1)
            ) from None
        number += 1
        lines.row_read()
        if number > limits.rows:
            raise too_many_rows(limits)
        if len(record) > limits.columns:
            raise UnreadableFile(
                gettext(
                    "Row %(row)s of the file has %(width)s columns; at most %(limit)s are "
                    "read. Delete the columns to the right of the table (even empty ones) "
                    "and upload it again.",
                    row=grouped(number),
                    width=grouped(len(record)),
                    limit=grouped(limits.columns),
                )
            )
        deadline.check()
        yield number, [clean_cell(value) for value in record]


def clean_cell(value: Any) -> Cell:
    """A cell as the parsers take it: stripped text, or a date from an Excel date cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, date):  # datetime too
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, time):
        return value.isoformat()
    return str(value).strip()


# --- parsers ------------------------------------------------------------------------------

_DATE_FORMS = (
    re.compile(
        r"(?P<y>\d{4})\s*(?P<sep>[-./])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})\.?"
        r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    ),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    re.compile(r"(?P<y>\d{4})\s*년\s*(?P<m>\d{1,2})\s*월\s*(?P<d>\d{1,2})\s*일"),
)


def parse_date(value: Cell | None) -> date | None:
    """2025-08-29, 2025.08.29 (also 2025. 8. 29.), 2025/08/29, 20250829, 2025년 8월 29일,
    or an Excel date cell; None when empty. Raises CellError."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                raise CellError(
                    gettext("“%(value)s” is not a date that exists.", value=text)
                ) from None
    raise CellError(gettext("“%(value)s” is not a date: write it as 2025-08-29.", value=text))


YES = frozenset({"y", "yes", "true", "1", "o", "예", "네", "동의"})
NO = frozenset({"n", "no", "false", "0", "x", "아니오", "아니요", "미동의"})


def parse_yes_no(value: Cell | None) -> bool | None:
    """Y/N (also yes/no, true/false, 1/0, O/X, 예/아니오); None when empty. Raises CellError."""
    text = _text(value)
    if not text:
        return None
    key = normalise_name(text)
    if key in YES:
        return True
    if key in NO:
        return False
    raise CellError(gettext("Write Y or N, not “%(value)s”.", value=text))


def parse_choice(value: Cell | None, choices: Mapping[T, Sequence[str]]) -> T | None:
    """The choice one of whose spellings the cell gives (case, spaces, `_` ignored).

    `choices` maps each result to its spellings, Korean and English first: these two are
    named in the error. None when empty. Raises CellError.
    """
    text = _text(value)
    if not text:
        return None
    key = normalise_name(text)
    for result, spellings in choices.items():
        if any(key == normalise_name(spelling) for spelling in spellings):
            return result
    named = ", ".join("/".join(spellings[:2]) for spellings in choices.values())
    raise CellError(gettext("“%(value)s” is not one of: %(choices)s.", value=text, choices=named))


def parse_int(value: Cell | None) -> int | None:
    """A whole number (1,234 too); None when empty. Raises CellError."""
    text = _text(value)
    if not text:
        return None
    digits = text.replace(",", "")
    if not re.fullmatch(r"[-+]?\d+", digits):
        raise CellError(gettext("“%(value)s” is not a whole number.", value=text))
    return int(digits)


def parse_email(value: Cell | None) -> str | None:
    """A syntactically valid address, lower-cased (no DNS look-up); None when empty."""
    text = _text(value)
    if not text:
        return None
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise CellError(gettext("“%(value)s” is not a valid e-mail address.", value=text)) from None
    return text.lower()


def _text(value: Cell | None) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value.strip()


class RowParser:
    """Reads the cells of one row through the parsers, keeping one error per bad cell.

        parser = RowParser(table, row)
        name = parser.text("name", max_length=100)
        born = parser.date("birth_date")
        if parser.errors: ...

    An empty cell of a required column (or `required=True`) is an error, except when the
    whole column is missing: that was reported once, on the header row.
    """

    def __init__(self, table: Table, row: Row) -> None:
        self.table = table
        self.row = row
        self.errors: list[RowError] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.row.number, self.table.column_name(key), message))

    def raw(self, key: str) -> Cell:
        return self.row.values.get(key, "")

    def value(
        self, key: str, parser: Callable[[Cell], T | None], *, required: bool | None = None
    ) -> T | None:
        cell = self.raw(key)
        if cell == "":
            if self._required(key, required):
                self.error(key, gettext("This cell is empty; the column is required."))
            return None
        try:
            return parser(cell)
        except CellError as error:
            self.error(key, error.message)
            return None

    def _required(self, key: str, required: bool | None) -> bool:
        if not self.table.has(key):
            return False
        if required is not None:
            return required
        column = self.table.column(key)
        return bool(column and column.required)

    def text(self, key: str, *, required: bool | None = None, max_length: int | None = None) -> str:
        def parse(cell: Cell) -> str:
            text = _text(cell)
            if max_length is not None and len(text) > max_length:
                raise CellError(
                    gettext(
                        "%(count)d characters; %(max)d at most.", count=len(text), max=max_length
                    )
                )
            return text

        return self.value(key, parse, required=required) or ""

    def date(self, key: str, *, required: bool | None = None) -> date | None:
        return self.value(key, parse_date, required=required)

    def yes_no(
        self, key: str, *, default: bool | None = None, required: bool | None = None
    ) -> bool | None:
        result = self.value(key, parse_yes_no, required=required)
        return default if result is None else result

    def choice(
        self, key: str, choices: Mapping[T, Sequence[str]], *, required: bool | None = None
    ) -> T | None:
        return self.value(key, lambda cell: parse_choice(cell, choices), required=required)

    def integer(self, key: str, *, required: bool | None = None) -> int | None:
        return self.value(key, parse_int, required=required)

    def email(self, key: str, *, required: bool | None = None) -> str | None:
        return self.value(key, parse_email, required=required)

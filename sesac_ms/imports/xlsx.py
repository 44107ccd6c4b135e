"""Reading the first sheet of an uploaded .xlsx within limits, trusting nothing in the archive.

openpyxl's read-only mode streams a sheet, but not safely enough for uploads: it holds
every shared string as its own Python object (a 1.5 MB file can unpack 700,000 of them),
builds a whole row before handing it over (a row of millions of cells without coordinates
is one list), pads every row to its rightmost cell (a cell in XFD: 16,384 of them) and
can only be stopped between rows. So the parts are read here with expat, event by event,
checking the limits as they go; openpyxl lends its number-format and Excel-date helpers,
so that cells arrive as openpyxl would give them.

Before anything is unpacked, the archive's directory is checked (archive.py), then the
dimension the sheet declares; rows, cells and time are counted again while reading.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.parsers import expat

from flask_babel import gettext
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)
from openpyxl.utils.escape import unescape

from .archive import PART_ERRORS, not_a_workbook, open_archive
from .limits import (
    EXCEL_MAX_CELL_CHARS,
    Deadline,
    Limits,
    UnreadableFile,
    megabytes,
    number,
    too_many_rows,
    too_wide,
)

CHUNK = 64 * 1024  # unpacked bytes fed to the parser at a time
DIMENSION_PROBE = 64 * 1024  # how much of the sheet's start is searched for <dimension>
# expat holds a tag, a comment or an instruction whole before reporting it; in a workbook
# they are short (text, however long, is reported in pieces), so this much XML without an
# event is a file built to make the parser hold it all.
MAX_TOKEN_BYTES = 1024 * 1024
# Built-in number formats 27–36 and 50–58 are dates and times in Korean (and Japanese,
# Chinese) Excel, e.g. 27 = yyyy"년" mm"월" dd"일"; openpyxl knows only the Western ones.
EAST_ASIAN_DATE_FORMATS = frozenset({*range(27, 37), *range(50, 59)})
CELL_REFERENCE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})")
DIGITS = "0123456789"
DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\sref=\"([^\"]*)\"")


def read_rows(content: bytes, limits: Limits, deadline: Deadline) -> Iterator[tuple[int, list]]:
    """The rows of the first sheet: (row number as Excel shows it, cell values by column).

    Values are as openpyxl's read-only, data-only mode gives them (None, str, int, float,
    bool, datetime, time, timedelta); empty rows arrive as []. Raises UnreadableFile.
    """
    archive = open_archive(content, limits)
    with archive:
        parts = _find_parts(archive, deadline)
        _check_dimension(archive, parts.sheet, limits)
        strings = (
            _read_shared_strings(archive, parts.shared_strings, limits, deadline)
            if parts.shared_strings
            else SharedStrings()
        )
        styles = _read_styles(archive, parts.styles, deadline) if parts.styles else Styles()
        sheet = _SheetReader(strings, styles, parts.epoch, limits)
        for _ in _feed(archive, parts.sheet, sheet, deadline):  # stops after <sheetData>
            yield from sheet.take_rows()


# --- the parts of a workbook ------------------------------------------------------------


@dataclass
class Parts:
    sheet: str  # the first worksheet
    shared_strings: str | None
    styles: str | None
    epoch: datetime


def _local(name: str) -> str:
    """The name without its prefix ("x:c" -> "c"). Namespaces are not resolved: the
    parts are told apart by their place in the package, and strict and transitional
    OOXML differ only in the namespaces."""
    return name.rpartition(":")[2] if ":" in name else name


def _attribute(attributes: dict[str, str], name: str) -> str | None:
    for key, value in attributes.items():
        if _local(key) == name:
            return value
    return None


def _relationships(archive: zipfile.ZipFile, part: str, deadline: Deadline) -> dict[str, tuple]:
    """Id -> (type, target path in the archive) of a part's relationships."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    found: dict[str, tuple] = {}

    def start(tag: str, attributes: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and attributes.get("TargetMode") != "External":
            target = attributes.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[attributes.get("Id", "")] = (
                attributes.get("Type", ""),
                posixpath.normpath(path),
            )

    for _ in _feed(archive, rels, _Handlers(start), deadline):
        pass
    return found


def _find_parts(archive: zipfile.ZipFile, deadline: Deadline) -> Parts:
    package = _relationships(archive, "", deadline)
    workbook = next(
        (path for kind, path in package.values() if kind.endswith("/officeDocument")),
        "xl/workbook.xml",
    )
    sheet_ids: list[str] = []
    epoch = [CALENDAR_WINDOWS_1900]

    def start(tag: str, attributes: dict[str, str]) -> None:
        name = _local(tag)
        if name == "sheet":
            sheet_ids.append(_attribute(attributes, "id") or "")
        elif name == "workbookPr" and attributes.get("date1904") in ("1", "true"):
            epoch[0] = CALENDAR_MAC_1904

    for _ in _feed(archive, workbook, _Handlers(start), deadline):
        pass
    related = _relationships(archive, workbook, deadline)
    sheets = [
        related[id][1]
        for id in sheet_ids
        if id in related and related[id][0].endswith("/worksheet")
    ]
    if not sheets:
        raise UnreadableFile(gettext("The workbook has no sheet."))

    def part(kind: str) -> str | None:
        return next((path for k, path in related.values() if k.endswith(kind)), None)

    return Parts(sheets[0], part("/sharedStrings"), part("/styles"), epoch[0])


def _check_dimension(archive: zipfile.ZipFile, sheet: str, limits: Limits) -> None:
    """Refuse a sheet whose declared size is over the limits, reading only its start.

    The declaration may be missing or lie (rows and cells are counted again while reading);
    when it is there, a file built to be read for minutes is refused at once.
    """
    try:
        with archive.open(sheet) as stream:
            start = stream.read(DIMENSION_PROBE)
    except PART_ERRORS:
        raise not_a_workbook() from None
    found = DIMENSION.search(start)
    if not found:
        return
    last = found[1].decode("ascii", "replace").rpartition(":")[2].replace("$", "")
    cell = CELL_REFERENCE.fullmatch(last)
    if not cell:
        return
    width = column_index(cell[1])
    if width > limits.columns:
        raise too_wide(width, limits)
    if int(cell[2]) > limits.rows:
        raise UnreadableFile(
            gettext(
                "The sheet has %(rows)s rows; at most %(limit)s are read (empty rows count "
                "too): delete the empty rows under the table, or split it into smaller files.",
                rows=number(int(cell[2])),
                limit=number(limits.rows),
            )
        )


def column_index(letters: str) -> int:
    """A = 1, Z = 26, AA = 27, XFD = 16,384."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index


# --- reading XML parts ------------------------------------------------------------------


class _Handlers:
    """What to do at each start tag, end tag and piece of text of a part."""

    def __init__(
        self,
        start: Callable[[str, dict[str, str]], None] | None = None,
        end: Callable[[str], None] | None = None,
        characters: Callable[[str], None] | None = None,
    ) -> None:
        self.start = start
        self.end = end
        self.characters = characters


def _refuse_declarations(*args: Any) -> None:
    # Workbook parts have no DTD; one can only be there to expand entities (billion laughs).
    raise not_a_workbook()


def _feed(
    archive: zipfile.ZipFile,
    part: str,
    handlers: _Handlers | _StringReader | _SheetReader,
    deadline: Deadline,
) -> Iterator[None]:
    """Parse a part in chunks, calling the handlers; yields after each chunk, so that the
    caller can hand on what was read. Checks the time at every chunk."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    if handlers.start:
        parser.StartElementHandler = handlers.start
    if handlers.end:
        parser.EndElementHandler = handlers.end
    if handlers.characters:
        parser.CharacterDataHandler = handlers.characters
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    fed = 0
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(CHUNK):
                deadline.check()
                parser.Parse(chunk, False)
                fed += len(chunk)
                if fed - parser.CurrentByteIndex > MAX_TOKEN_BYTES:
                    raise not_a_workbook()
                yield
                if getattr(handlers, "done", False):
                    return
            parser.Parse(b"", True)
    except (expat.ExpatError, *PART_ERRORS):
        raise not_a_workbook() from None
    yield


class _Text:
    """Collects the text of one element, refusing more than a cell can hold."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.length = 0

    def add(self, piece: str) -> None:
        self.length += len(piece)
        if self.length > EXCEL_MAX_CELL_CHARS:
            raise UnreadableFile(
                gettext(
                    "A cell of the file holds more than %(limit)s characters, more than Excel "
                    "allows; the file is damaged or was not saved by a spreadsheet program.",
                    limit=number(EXCEL_MAX_CELL_CHARS),
                )
            )
        self.pieces.append(piece)

    def take(self) -> str:
        text = "".join(self.pieces)
        self.pieces = []
        self.length = 0
        return text


# --- shared strings ---------------------------------------------------------------------


@dataclass
class SharedStrings:
    """The workbook's text table as one UTF-8 buffer and the end of each string in it:
    about the size of the XML in memory, where a list of str objects can take five times
    that (a string object costs 50 bytes before its first character)."""

    data: bytearray = field(default_factory=bytearray)
    ends: array = field(default_factory=lambda: array("Q"))

    def append(self, text: str) -> None:
        self.data += text.encode("utf-8", "surrogatepass")
        self.ends.append(len(self.data))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        start = self.ends[index - 1] if index > 0 else 0
        return self.data[start : self.ends[index]].decode("utf-8", "surrogatepass")


def _read_shared_strings(
    archive: zipfile.ZipFile, part: str, limits: Limits, deadline: Deadline
) -> SharedStrings:
    try:
        size = archive.getinfo(part).file_size
    except KeyError:
        raise not_a_workbook() from None
    if size > limits.shared_strings_bytes:
        raise UnreadableFile(
            gettext(
                "The text in the workbook unpacks to %(size)s MB; at most %(limit)s MB is "
                "accepted. Split it into smaller files.",
                size=megabytes(size),
                limit=megabytes(limits.shared_strings_bytes),
            )
        )
    reader = _StringReader()
    for _ in _feed(archive, part, reader, deadline):
        pass
    return reader.strings


class _StringReader:
    """Collects the strings of the text table: the text of each <si>, in <t> or in runs
    (<r><t>), leaving out phonetic guides (<rPh><t>)."""

    def __init__(self) -> None:
        self.strings = SharedStrings()
        self.buffer = _Text()
        self.in_text = False
        self.phonetic = 0
        self.start = self._start
        self.end = self._end
        self.characters = self._characters

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        name = _local(tag) if ":" in tag else tag
        if name == "t" and not self.phonetic:
            self.in_text = True
        elif name == "rPh":
            self.phonetic += 1

    def _end(self, tag: str) -> None:
        name = _local(tag) if ":" in tag else tag
        if name == "t":
            self.in_text = False
        elif name == "si":
            self.strings.append(_unescape(self.buffer.take()))
        elif name == "rPh":
            self.phonetic -= 1

    def _characters(self, piece: str) -> None:
        if self.in_text:
            self.buffer.add(piece)


def _unescape(text: str) -> str:
    """Excel writes characters XML cannot hold as _x000D_ (and a literal "_x" as _x005F_x)."""
    return unescape(text) if "_x" in text else text


# --- styles: which cells hold dates -----------------------------------------------------


@dataclass
class Styles:
    dates: frozenset[int] = frozenset()  # cell style indices whose number format is a date
    durations: frozenset[int] = frozenset()  # ... a duration ([h]:mm)


def _read_styles(archive: zipfile.ZipFile, part: str, deadline: Deadline) -> Styles:
    """The cell styles that show numbers as dates, as openpyxl's stylesheet finds them."""
    custom: dict[int, str] = {}
    formats: list[int] = []
    state = {"cell_xfs": False}

    def start(tag: str, attributes: dict[str, str]) -> None:
        name = _local(tag)
        if name == "numFmt":
            try:
                custom[int(attributes.get("numFmtId", ""))] = attributes.get("formatCode", "")
            except ValueError:
                raise not_a_workbook() from None
        elif name == "cellXfs":
            state["cell_xfs"] = True
        elif name == "xf" and state["cell_xfs"]:
            try:
                formats.append(int(attributes.get("numFmtId", 0)))
            except ValueError:
                raise not_a_workbook() from None

    def end(tag: str) -> None:
        if _local(tag) == "cellXfs":
            state["cell_xfs"] = False

    for _ in _feed(archive, part, _Handlers(start, end), deadline):
        pass
    dates, durations = set(), set()
    for index, format_id in enumerate(formats):
        if format_id in custom:
            code = custom[format_id]
        elif format_id in EAST_ASIAN_DATE_FORMATS:
            code = "yyyy-mm-dd"
        else:
            code = BUILTIN_FORMATS.get(format_id)
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return Styles(frozenset(dates), frozenset(durations))


# --- the sheet --------------------------------------------------------------------------


class _SheetReader:
    """Turns the events of a worksheet's XML into rows, within the row and column limits.

    Only one row is held at a time, and only up to the column limit: a row or cell past a
    limit is refused at the element that passes it, before anything more is read.
    """

    def __init__(
        self, strings: SharedStrings, styles: Styles, epoch: datetime, limits: Limits
    ) -> None:
        self.strings = strings
        self.styles = styles
        self.epoch = epoch
        self.limits = limits
        self.rows: list[tuple[int, list]] = []  # read, not yet handed on
        self.done = False  # past the end of <sheetData>
        self.in_data = False
        self.rows_seen = 0
        self.row_number = 0
        self.cells: list[Any] = []
        self.cells_seen = 0  # in this row
        self.column = 0
        self.in_cell = False
        self.cell_type = "n"
        self.cell_style = 0
        self.has_value = False
        self.capturing = False  # inside the cell's <v>, or <t> of its inline string
        self.phonetic = 0  # inside <rPh>: a phonetic guide, not text
        self.buffer = _Text()
        self.column_of: dict[str, int] = {}  # "AB" -> 28, for the columns met so far
        self.start = self._start
        self.end = self._end
        self.characters = self._characters

    def take_rows(self) -> list[tuple[int, list]]:
        rows, self.rows = self.rows, []
        return rows

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        if self.done:
            return
        name = _local(tag) if ":" in tag else tag
        if self.in_cell:
            if name == "rPh":
                self.phonetic += 1
            elif name == "v" or (name == "t" and not self.phonetic):
                self.capturing = True
                self.has_value = True
        elif name == "c" and self.in_data:
            self._start_cell(attributes)
        elif name == "row" and self.in_data:
            self._start_row(attributes)
        elif name == "sheetData":
            self.in_data = True

    def _start_row(self, attributes: dict[str, str]) -> None:
        self.rows_seen += 1
        reference = attributes.get("r")
        if reference is None:
            self.row_number += 1
        elif reference.isdigit():
            self.row_number = int(reference)
        else:
            raise not_a_workbook()
        if self.rows_seen > self.limits.rows or self.row_number > self.limits.rows:
            raise too_many_rows(self.limits)
        self.cells = []
        self.cells_seen = 0
        self.column = 0

    def _start_cell(self, attributes: dict[str, str]) -> None:
        self.cells_seen += 1
        reference = attributes.get("r")
        if reference is None:
            self.column += 1
        else:
            letters = reference.rstrip(DIGITS)
            column = self.column_of.get(letters)
            if column is None:
                if not CELL_REFERENCE.fullmatch(reference):
                    raise not_a_workbook()
                column = self.column_of[letters] = column_index(letters)
            self.column = column
        if self.column > self.limits.columns or self.cells_seen > self.limits.columns:
            raise too_wide(max(self.column, self.cells_seen), self.limits)
        style = attributes.get("s", "0")
        if not style.isdigit():
            raise not_a_workbook()
        self.in_cell = True
        self.cell_type = attributes.get("t", "n")
        self.cell_style = int(style)
        self.has_value = False

    def _end(self, tag: str) -> None:
        if self.done:
            return
        name = _local(tag) if ":" in tag else tag
        if self.in_cell:
            if name in ("v", "t"):
                self.capturing = False
            elif name == "rPh":
                self.phonetic -= 1
            elif name == "c":
                self.in_cell = False
                text = self.buffer.take()
                if len(self.cells) < self.column:
                    self.cells.extend([None] * (self.column - len(self.cells)))
                self.cells[self.column - 1] = self._value(text) if self.has_value else None
        elif name == "row" and self.in_data:
            self.rows.append((self.row_number, self.cells))
            self.cells = []
        elif name == "sheetData":
            self.in_data = False
            self.done = True  # what follows the data (merged cells, links...) is not read

    def _characters(self, piece: str) -> None:
        if self.capturing:
            self.buffer.add(piece)

    def _value(self, text: str) -> Any:
        """The cell's value as openpyxl's data-only reader gives it."""
        kind = self.cell_type
        try:
            if kind == "inlineStr":
                return _unescape(text)
            if not text:
                return None
            if kind == "n":
                value: Any = float(text) if any(c in text for c in ".eE") else int(text)
                if self.cell_style in self.styles.dates:
                    try:
                        return from_excel(
                            value, self.epoch, timedelta=self.cell_style in self.styles.durations
                        )
                    except (OverflowError, ValueError):
                        return "#VALUE!"
                return value
            if kind == "s":
                return self.strings[int(text)]
            if kind == "b":
                return bool(int(text))
            if kind == "d":
                return from_ISO8601(text)
            return text  # "str" (a formula's text), "e" (an error such as #N/A)
        except (ValueError, IndexError):
            raise not_a_workbook() from None

"""Uploads built to take a worker down are refused at once, in little memory, storing nothing.

Each hostile file is built here (workbooks as hand-written ZIP archives, so that a 678 MB
bomb takes half a second to make) and read in a fresh Python process, which reports the
refusal, the time the read took and the peak of memory it allocated (tracemalloc). The
bounds are generous; read without limits, these files take gigabytes or minutes. Then:
the limits come from the settings, a file within them still reads as openpyxl read it,
and the upload pages and the command line show the refusal and store nothing.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from flask import current_app, url_for
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from sesac_ms.extensions import db
from sesac_ms.imports import xlsx
from sesac_ms.imports.limits import Deadline, Limits, UnreadableFile
from sesac_ms.imports.reader import Column, clean_cell, read_table
from sesac_ms.models import Application, Campus, Cohort, Course, Enrollment, UploadedFile, User

MB = 1024 * 1024
SECONDS = 5  # a refusal takes well under a second; the bound only has to be generous
MEMORY = 100 * MB  # peak allocated by one read; the bomb alone unpacks to 678 MB

COLUMNS = [Column("name", "name", "성명", True), Column("email", "email", "이메일", True)]


@pytest.fixture(autouse=True)
def english(request):
    """Messages in English, whatever the catalogs say (the processes apart have no app and
    so no catalogs)."""
    if "app" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("app")
    with force_locale("en"):
        yield


# --- building archives ------------------------------------------------------------------


@dataclass
class Repeated:
    """`chunk` `count` times over, deflated once and the deflated block repeated: the
    archive holds a few KB per unpacked MB, as a zip bomb does."""

    chunk: bytes
    count: int


def _deflate(parts: list[bytes | Repeated]) -> tuple[bytes, int, int]:
    """Raw deflate data of the parts in order, its CRC-32 and unpacked size.

    Each part is deflated on its own and ended by a full flush, so its blocks do not look
    back into the part before: the blocks of a part can follow any other and repeat."""
    data, crc, size = [], 0, 0
    for part in parts:
        repeated = isinstance(part, Repeated)
        chunk, count = (part.chunk, part.count) if repeated else (part, 1)
        # Tightest for the repeated chunk (the bomb's size), quickest for the rest.
        packer = zlib.compressobj(9 if repeated else 1, zlib.DEFLATED, -15)
        block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
        data.append(block * count)
        for _ in range(count):
            crc = zlib.crc32(chunk, crc)
        size += len(chunk) * count
    data.append(b"\x03\x00")  # an empty final block
    return b"".join(data), crc, size


def zip_archive(
    members: dict[str, list[bytes | Repeated]],
    *,
    declared: int | None = None,
    sizes: dict[str, int] | None = None,
) -> bytes:
    """A ZIP archive of the members, deflated; `declared` overrides the number of parts
    its end record states, `sizes` the unpacked sizes of some parts."""
    out, directory = io.BytesIO(), io.BytesIO()
    for name, parts in members.items():
        data, crc, size = _deflate(parts)
        size = (sizes or {}).get(name, size)
        encoded = name.encode()
        offset = out.tell()
        # Version 2.0, no flags, deflated, dated 1980-01-01, no extra fields or comments.
        fields = (crc, len(data), size, len(encoded))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 33, *fields, 0))
        out.write(encoded + data)
        entry = (b"PK\x01\x02", 20, 20, 0, 8, 0, 33, *fields, 0, 0, 0, 0, 0, offset)
        directory.write(struct.pack("<4s6H3L5H2L", *entry) + encoded)
    count = len(members) if declared is None else declared
    start = out.tell()
    size = len(directory.getvalue())
    out.write(directory.getvalue())
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))
    return out.getvalue()


MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELATED = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = (
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="%s/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>" % RELATED
)
WORKBOOK = (
    b'<workbook %s xmlns:r="%s"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
    b"</sheets></workbook>" % (MAIN, RELATED)
)
CONTENT_TYPES = (
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
WORKBOOK_RELATIONSHIPS = (
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" Type="%s/sharedStrings" Target="sharedStrings.xml"/>'
    b'<Relationship Id="rId3" Type="%s/styles" Target="styles.xml"/>'
    b"</Relationships>" % (RELATED, RELATED, RELATED)
)
STYLES = b'<styleSheet %s><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>' % MAIN


def workbook(
    sheet: list[bytes | Repeated],
    shared_strings: list[bytes | Repeated] | None = None,
    extra: dict[str, list[bytes | Repeated]] | None = None,
    declared: int | None = None,
    sizes: dict[str, int] | None = None,
) -> bytes:
    """An .xlsx laid out as Excel lays it out, with the given sheet (and text table)."""
    members = {
        "[Content_Types].xml": [CONTENT_TYPES],
        "_rels/.rels": [PACKAGE_RELATIONSHIPS],
        "xl/workbook.xml": [WORKBOOK],
        "xl/_rels/workbook.xml.rels": [WORKBOOK_RELATIONSHIPS],
        "xl/worksheets/sheet1.xml": sheet,
        "xl/sharedStrings.xml": shared_strings or [b"<sst %s/>" % MAIN],
        "xl/styles.xml": [STYLES],
    }
    members.update(extra or {})
    return zip_archive(members, declared=declared, sizes=sizes)


def sheet_xml(rows: list[bytes | Repeated], dimension: bytes | None = None) -> list:
    start = b'<?xml version="1.0" encoding="UTF-8"?><worksheet %s>' % MAIN
    if dimension:
        start += b'<dimension ref="%s"/>' % dimension
    return [start + b"<sheetData>", *rows, b"</sheetData></worksheet>"]


def text(cell: str, value: str) -> bytes:
    return f'<c r="{cell}" t="inlineStr"><is><t>{value}</t></is></c>'.encode()


HEADER_ROW = b'<row r="1">' + text("A1", "성명") + text("B1", "이메일") + b"</row>"
DATA_ROW = b'<row r="2">' + text("A2", "김하늘") + text("B2", "sky@example.com") + b"</row>"


def numbered_rows(template: bytes, numbers: range) -> bytes:
    return b"".join(template.replace(b"{n}", b"%d" % n) for n in numbers)


# --- reading in a process of its own -------------------------------------------------------

PROBE = """
import gc, json, resource, sys, time, tracemalloc
from dataclasses import replace
from sesac_ms.imports.limits import Limits, UnreadableFile
from sesac_ms.imports.reader import Column, read_table

path, filename, overrides = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
traced = overrides.pop("traced", True)
with open(path, "rb") as file:
    content = file.read()
columns = [Column("name", "name", "성명", True), Column("email", "email", "이메일", True)]
limits = replace(Limits.current(), **overrides)
resident = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if traced:
    tracemalloc.start()
started = time.perf_counter()
try:
    table = read_table(filename, content, columns, limits=limits)
    message, rows = None, len(table.rows)
    del table
except UnreadableFile as error:
    message, rows = error.message, None
seconds = time.perf_counter() - started
gc.collect()
held, peak = tracemalloc.get_traced_memory()
if not traced:  # the growth of the resident set instead (KB on Linux), held unknown
    held, peak = 0, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - resident) * 1024
print(json.dumps({"message": message, "rows": rows, "seconds": seconds, "peak": peak,
                  "held": held}))
"""


@dataclass
class Read:
    message: str | None
    rows: int | None
    seconds: float
    peak: int  # bytes allocated at the worst moment of the read
    held: int  # bytes still allocated once it is over and its result dropped


def read_apart(tmp_path: Path, filename: str, content: bytes, **limits) -> Read:
    """Read the file in a new Python process, as a worker would, and report on it.

    `traced=False` measures the growth of the process instead of tracing every
    allocation, which slows a long read down several times."""
    path = tmp_path / filename
    path.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), filename, json.dumps(limits)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return Read(**json.loads(done.stdout))


def assert_refused_quickly(read: Read, message: str) -> None:
    assert read.message is not None and message in read.message, read.message
    assert read.seconds < SECONDS, read
    assert read.peak < MEMORY, read
    assert read.held < MB, read  # nothing of the file is kept once refused


# --- hostile workbooks ------------------------------------------------------------------


def test_a_zip_bomb_of_shared_strings_is_refused_before_it_is_unpacked(tmp_path):
    # 700,000 strings of 1,000 characters: 1.5 MB packed, 678 MB unpacked.
    strings = Repeated((b"<si><t>" + b"A" * 1_000 + b"</t></si>") * 1_000, 700)
    bomb = workbook(
        sheet_xml([HEADER_ROW]),
        shared_strings=[b'<sst %s count="700000">' % MAIN, strings, b"</sst>"],
    )
    assert len(bomb) < 2 * MB
    read = read_apart(tmp_path, "bomb.xlsx", bomb)
    assert_refused_quickly(read, "The file unpacks to 678 MB; at most 100 MB is accepted.")
    assert read.peak < 5 * MB  # not one string was read


def test_a_bomb_whose_archive_understates_its_size_is_refused_once_past_the_stated_size(
    tmp_path,
):
    strings = Repeated((b"<si><t>" + b"A" * 1_000 + b"</t></si>") * 1_000, 700)
    bomb = workbook(
        sheet_xml([HEADER_ROW]),
        shared_strings=[b"<sst %s>" % MAIN, strings, b"</sst>"],
        sizes={"xl/sharedStrings.xml": 100_000},
    )
    read = read_apart(tmp_path, "bomb.xlsx", bomb)
    assert_refused_quickly(read, "This file is not a valid .xlsx workbook.")
    assert read.peak < 5 * MB  # zipfile stopped at the stated 100 KB


def test_a_text_table_too_large_to_hold_is_refused_although_the_file_is_small_enough(tmp_path):
    # 32 MB of distinct strings, packed about ten times over: within the file's limits,
    # but all of it would be held in memory while the sheet is read.
    strings = b"".join(b"<si><t>trainee%07d@example.com</t></si>" % n for n in range(800_000))
    content = workbook(
        sheet_xml([HEADER_ROW]), shared_strings=[b"<sst %s>" % MAIN, strings, b"</sst>"]
    )
    assert len(content) < 10 * MB and len(strings) > 30 * MB
    read = read_apart(tmp_path, "strings.xlsx", content)
    assert_refused_quickly(read, "The text in the workbook unpacks to 32.1 MB; at most 30 MB")


def test_a_part_packed_unusually_tightly_is_refused(tmp_path):
    # 40 MB of zeros: under the size limits, but packed a thousand times over.
    content = workbook(
        sheet_xml([HEADER_ROW, DATA_ROW]),
        extra={"xl/media/image1.png": [Repeated(b"\0" * MB, 40)]},
    )
    read = read_apart(tmp_path, "tight.xlsx", content)
    assert_refused_quickly(read, "The file is packed unusually tightly: a part of it unpacks to 1,")
    assert "times its size, and at most 100 times is accepted." in read.message


@pytest.mark.parametrize("declared", [None, 5], ids=["counted", "count-lying"])
def test_an_archive_of_too_many_parts_is_refused(tmp_path, declared):
    # 30,000 empty parts; the lying end record says 5 (zipfile would still read them all).
    parts = {f"xl/p/{n:06d}": [b""] for n in range(30_000)}
    content = workbook(sheet_xml([HEADER_ROW, DATA_ROW]), extra=parts, declared=declared)
    read = read_apart(tmp_path, "parts.xlsx", content)
    assert_refused_quickly(read, "The file is an archive of more than 1,000 parts")


XFD_ROWS = numbered_rows(b'<row r="{n}"><c r="XFD{n}" s="1"/></row>', range(2, 60_001))


@pytest.mark.parametrize("dimension", [b"A1:XFD60000", None], ids=["declared", "undeclared"])
def test_a_sheet_with_a_cell_in_column_xfd_on_every_row_is_refused(tmp_path, dimension):
    # 60,000 rows with one empty cell in XFD, 300 KB packed: each row would be read as
    # 16,384 cells, and empty rows used not to count towards the row limit.
    content = workbook(sheet_xml([HEADER_ROW, XFD_ROWS], dimension))
    assert len(content) < 400 * 1024
    read = read_apart(tmp_path, "wide.xlsx", content)
    assert_refused_quickly(read, "The sheet is 16,384 columns wide; at most 100 are read.")


EMPTY_ROWS = numbered_rows(b'<row r="{n}"/>', range(3, 1_000_002))


@pytest.mark.parametrize(
    ("dimension", "message"),
    [
        (b"A1:B1000001", "The sheet has 1,000,001 rows; at most 25,000 are read"),
        (b"A1:B2", "The file has more than 25,000 rows (empty rows count too)"),
        (None, "The file has more than 25,000 rows (empty rows count too)"),
    ],
    ids=["declared", "declaration-lying", "undeclared"],
)
def test_a_sheet_of_a_million_empty_rows_is_refused(tmp_path, dimension, message):
    content = workbook(sheet_xml([HEADER_ROW, DATA_ROW, EMPTY_ROWS], dimension))
    read = read_apart(tmp_path, "empty.xlsx", content)
    assert_refused_quickly(read, message)


def test_a_row_numbered_past_the_limit_is_refused_without_reading_the_gap(tmp_path):
    far = b'<row r="1000000">' + text("A1000000", "x") + b"</row>"
    read = read_apart(tmp_path, "gap.xlsx", workbook(sheet_xml([HEADER_ROW, far], b"A1:B2")))
    assert_refused_quickly(read, "The file has more than 25,000 rows")


def test_a_row_of_a_million_cells_without_coordinates_is_refused_at_the_first_extra(tmp_path):
    # openpyxl would build the whole row (a million cells) before handing it over.
    row = b'<row r="2">' + b"".join(b"<c><v>%d</v></c>" % n for n in range(1_000_000))
    row += b"</row>"
    read = read_apart(tmp_path, "cells.xlsx", workbook(sheet_xml([HEADER_ROW, row])))
    assert_refused_quickly(read, "The sheet is 101 columns wide; at most 100 are read.")


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path):
    row = b'<row r="2">' + text("A2", "x" * 40_000) + b"</row>"
    read = read_apart(tmp_path, "long.xlsx", workbook(sheet_xml([HEADER_ROW, row])))
    assert_refused_quickly(read, "A cell of the file holds more than 32,767 characters")


def test_entity_declarations_are_refused(tmp_path):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    sheet = [laughs + b"<worksheet %s><sheetData>" % MAIN, HEADER_ROW, b"</sheetData></worksheet>"]
    read = read_apart(tmp_path, "laughs.xlsx", workbook(sheet))
    assert_refused_quickly(read, "This file is not a valid .xlsx workbook.")


@pytest.mark.parametrize(
    "token",
    [b'<c r="A2" memo="' + b"a" * 60 * MB + b'"/>', b"<!--" + b"<>" * 30 * MB + b"-->"],
    ids=["attribute", "comment"],
)
def test_a_tag_or_comment_of_60_mb_is_refused_before_the_parser_holds_it(tmp_path, token):
    # expat holds a tag or comment whole before reporting it; the ratio check, which
    # would refuse these at once, is lifted to show the parser is guarded too.
    content = workbook(sheet_xml([HEADER_ROW, b'<row r="2">', token, b"</row>"]))
    read = read_apart(tmp_path, "token.xlsx", content, compression_ratio=1_000_000)
    assert_refused_quickly(read, "This file is not a valid .xlsx workbook.")
    assert read.peak < 10 * MB


def test_memory_is_given_back_when_a_file_is_refused_half_read(tmp_path):
    # 12 MB of text is read and held, then the rows run past the limit: once refused,
    # nothing of it may stay allocated.
    strings = b"".join(b"<si><t>trainee%07d@example.com</t></si>" % n for n in range(300_000))
    content = workbook(
        sheet_xml([HEADER_ROW, DATA_ROW, EMPTY_ROWS], b"A1:B2"),
        shared_strings=[b"<sst %s>" % MAIN, strings, b"</sst>"],
    )
    read = read_apart(tmp_path, "half.xlsx", content)
    assert_refused_quickly(read, "The file has more than 25,000 rows")
    assert read.peak > 10 * MB  # the text was really read...
    assert read.held < MB  # ...and let go


# --- hostile CSV files ------------------------------------------------------------------


def test_a_csv_file_of_50_mb_is_refused_by_its_size(tmp_path):
    content = "성명,이메일\r\n".encode().ljust(50 * MB, b"x")
    read = read_apart(tmp_path, "line.csv", content)
    assert_refused_quickly(read, "The file is 50 MB; at most 10 MB is accepted.")


def test_a_csv_line_of_5_mb_is_refused_by_its_length(tmp_path):
    content = "성명,이메일\r\n".encode() + b"x" * (5 * MB) + b"\r\n"
    read = read_apart(tmp_path, "line.csv", content)
    assert_refused_quickly(read, "Row 2 of the file is over 100,000 characters long")


def test_a_csv_row_of_a_million_columns_is_refused(tmp_path):
    content = "성명,이메일\r\n".encode() + b"a," * 1_000_000 + b"\r\n"
    read = read_apart(tmp_path, "columns.csv", content)
    assert_refused_quickly(read, "Row 2 of the file is over 100,000 characters long")


def test_a_csv_row_wider_than_the_limit_is_refused(tmp_path):
    content = "성명,이메일\r\n".encode() + b"," * 1_000 + b"\r\n"
    read = read_apart(tmp_path, "columns.csv", content)
    assert_refused_quickly(read, "Row 2 of the file has 1,001 columns; at most 100 are read.")


def test_a_csv_quoted_cell_spanning_many_lines_counts_as_one_long_row(tmp_path):
    # A quoted cell goes on over line breaks: the row is as long as all its lines.
    content = "성명,이메일\r\n".encode() + b'"' + b"x,\n" * 50_000 + b'"\r\n'
    read = read_apart(tmp_path, "quoted.csv", content)
    assert_refused_quickly(read, "Row 2 of the file is over 100,000 characters long")


def test_a_csv_of_a_million_empty_rows_is_refused(tmp_path):
    content = "성명,이메일\r\n김하늘,sky@example.com\r\n".encode() + b",\r\n" * 1_000_000
    read = read_apart(tmp_path, "empty.csv", content)
    assert_refused_quickly(read, "The file has more than 25,000 rows (empty rows count too)")


# --- within the limits ------------------------------------------------------------------


def test_a_campus_history_of_20000_rows_and_40_columns_reads_in_bounded_memory(tmp_path):
    letters = [get_column_letter(n).encode() for n in range(1, 41)]
    header = b'<row r="1">' + text("A1", "성명") + text("B1", "이메일")
    header += b"".join(text(f"{letter.decode()}1", "memo") for letter in letters[2:]) + b"</row>"
    cells = b"".join(b'<c r="%s{n}" t="s"><v>%d</v></c>' % (letter, n % 7)
                     for n, letter in enumerate(letters))  # fmt: skip
    rows = numbered_rows(b'<row r="{n}">' + cells + b"</row>", range(2, 20_002))
    strings = b"".join(b"<si><t>%d@example.com</t></si>" % n for n in range(7))
    content = workbook(
        sheet_xml([header, rows], b"A1:AN20001"),
        shared_strings=[b"<sst %s>" % MAIN, strings, b"</sst>"],
    )
    # No time limit here: the machine running the tests may be busy; it is tested below.
    read = read_apart(tmp_path, "history.xlsx", content, seconds=600, traced=False)
    assert read.message is None and read.rows == 20_000
    assert read.peak < MEMORY, read


def openpyxl_rows(content: bytes) -> list[tuple[int, list]]:
    """The non-empty rows of the first sheet as openpyxl's read-only mode reads them (the
    reader before this one), trailing empty cells dropped."""
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    sheet = book.worksheets[0]
    sheet.reset_dimensions()
    rows = [(n, [clean_cell(v) for v in values]) for n, values in enumerate(sheet.values, 1)]
    book.close()
    return [(n, trimmed(cells)) for n, cells in rows if any(cells)]


def trimmed(cells: list) -> list:
    while cells and cells[-1] == "":
        cells = cells[:-1]
    return cells


@pytest.mark.parametrize("epoch", [CALENDAR_WINDOWS_1900, CALENDAR_MAC_1904])
def test_cells_arrive_as_openpyxl_gave_them(epoch):
    book = Workbook()
    book.epoch = epoch
    sheet = book.active
    sheet.append(["성명", "이메일", "날짜", "수", "기타"])
    sheet.append(["김하늘", "a@example.com", date(2020, 1, 2), 1, True])
    sheet.append([" 이민 ", "b@example.com", datetime(2021, 3, 4, 5, 6, 7), 2.5, time(12, 30)])
    sheet.append([])
    sheet.append(["=1+2", None, timedelta(hours=30), 1e20, False])
    sheet["C5"].number_format = "[h]:mm:ss"
    sheet["G7"] = "far right"
    sheet["A8"] = CellRichText([TextBlock(InlineFont(b=True), "굵게"), " 보통"])
    sheet["C9"] = 45678
    sheet["C9"].number_format = "yyyy-mm-dd"
    sheet["D9"] = 0.75
    sheet["D9"].number_format = "h:mm"
    book.create_sheet("second").append(["not read"])
    out = io.BytesIO()
    book.save(out)
    content = out.getvalue()
    rows = xlsx.read_rows(content, Limits.current(), Deadline(10))
    read = [(n, trimmed([clean_cell(v) for v in values])) for n, values in rows]
    assert [(n, cells) for n, cells in read if cells] == openpyxl_rows(content)
    third = ["이민", "b@example.com", datetime(2021, 3, 4, 5, 6, 7), "2.5", "12:30:00"]
    assert dict(read)[3] == third


def test_korean_excel_date_formats_are_dates(app):
    styles = (
        b'<styleSheet %s><numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;'
        b'\xeb\x85\x84&quot;"/></numFmts><cellXfs count="4"><xf numFmtId="0"/>'
        b'<xf numFmtId="27"/><xf numFmtId="176"/><xf numFmtId="3"/></cellXfs></styleSheet>' % MAIN
    )
    row = b'<row r="2"><c r="A2" s="1"><v>45678</v></c><c r="B2" s="2"><v>45679</v></c>'
    row += b'<c r="C2" s="3"><v>45680</v></c></row>'
    header = b'<row r="1">' + text("A1", "성명") + text("B1", "이메일") + text("C1", "수")
    content = workbook(sheet_xml([header + b"</row>", row]), extra={"xl/styles.xml": [styles]})
    columns = [*COLUMNS, Column("number", "number", "수")]
    assert read_table("a.xlsx", content, columns).rows[0].values == {
        "name": datetime(2025, 1, 21),
        "email": datetime(2025, 1, 22),
        "number": "45680",
    }


def test_prefixed_tags_as_the_open_xml_sdk_writes_them_are_read(app):
    sheet = (
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<x:dimension ref="A1:B2"/><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr">'
        b'<x:is><x:t>\xec\x84\xb1\xeb\xaa\x85</x:t></x:is></x:c><x:c t="str"><x:v>email</x:v>'
        b'</x:c></x:row><x:row><x:c r="A2" t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v>'
        b"</x:c></x:row></x:sheetData></x:worksheet>"
    )
    strings = b'<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    strings += b"<x:si><x:t>Kim_x000D_</x:t></x:si><x:si><x:r><x:t>kim@</x:t></x:r><x:r>"
    strings += b"<x:t>example.com</x:t></x:r><x:rPh><x:t>\xed\x82\xb4</x:t></x:rPh></x:si></x:sst>"
    content = workbook([sheet], shared_strings=[strings])
    table = read_table("a.xlsx", content, COLUMNS)
    assert [(row.number, row.values) for row in table.rows] == [
        (2, {"name": "Kim", "email": "kim@example.com"})
    ]


def test_the_limits_are_the_settings(app):
    app.config.update(IMPORT_MAX_ROWS=3, IMPORT_MAX_COLUMNS=2, IMPORT_MAX_SECONDS=0)
    limits = Limits.current()
    assert (limits.rows, limits.columns, limits.seconds) == (3, 2, 0)
    csv = "성명,이메일\r\n김하늘,a@example.com\r\n".encode()
    with pytest.raises(UnreadableFile, match="too long to read"):
        read_table("a.csv", csv, COLUMNS)
    app.config["IMPORT_MAX_SECONDS"] = 10
    assert len(read_table("a.csv", csv, COLUMNS).rows) == 1
    with pytest.raises(UnreadableFile, match="more than 3 rows"):
        read_table("a.csv", csv + b"\r\n\r\n", COLUMNS)
    with pytest.raises(UnreadableFile, match="has 3 columns; at most 2"):
        read_table("a.csv", csv.replace(b"\r\n", b",\r\n", 1), COLUMNS)


def test_the_time_limit_stops_a_workbook_being_read(app):
    app.config["IMPORT_MAX_SECONDS"] = 0
    content = workbook(sheet_xml([HEADER_ROW, DATA_ROW]))
    with pytest.raises(UnreadableFile, match="more than 0 seconds"):
        read_table("a.xlsx", content, COLUMNS)
    app.config["IMPORT_MAX_SECONDS"] = 10
    assert [row.values for row in read_table("a.xlsx", content, COLUMNS).rows] == [
        {"name": "김하늘", "email": "sky@example.com"}
    ]


def test_without_an_app_the_defaults_apply():
    from sesac_ms import config

    assert Limits.current().rows == config.IMPORT_MAX_ROWS == 25_000


# --- the upload pages -------------------------------------------------------------------

WIDE = workbook(sheet_xml([HEADER_ROW, XFD_ROWS], b"A1:XFD60000"))


def url(endpoint: str, **values) -> str:
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def post_file(client, address: str, filename: str, content: bytes):
    return client.post(
        address,
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def assert_refused_beside_the_file(response) -> None:
    """The upload page refused WIDE beside its file field and shows no preview."""
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (
        '<div class="invalid-feedback">The sheet is 16,384 columns wide; at most 100 are read.'
        in html
    )
    assert 'id="preview-title"' not in html


def test_the_applicant_upload_shows_the_refusal_beside_the_file_and_stores_nothing(
    client, login_as, make_cohort
):
    cohort = make_cohort()
    login_as("manager", campus=cohort.course.campus, locale="en")
    response = post_file(
        client, url("applications.import_applicants", cohort_id=cohort.id), "wide.xlsx", WIDE
    )
    assert_refused_beside_the_file(response)
    assert count(UploadedFile) == 0 and count(Application) == 0


@pytest.mark.parametrize(
    "endpoint", ["placements.import_records", "placements.import_certifications"]
)
def test_the_record_uploads_show_the_refusal_beside_the_file_and_store_nothing(
    client, login_as, endpoint
):
    login_as("admin", locale="en")
    # 200 KB: over 500 KB, the test client leaves its spooled request body open.
    content = "성명,이메일\r\n".encode() + b"x" * 200_000 + b"\r\n"
    response = post_file(client, url(endpoint), "records.csv", content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<div class="invalid-feedback">Row 2 of the file is over 100,000 characters' in html
    assert count(UploadedFile) == 0


def test_the_command_line_import_refuses_a_bomb_and_stores_nothing(app, runner, tmp_path):
    path = tmp_path / "records.xlsx"
    path.write_bytes(WIDE)
    before = [count(model) for model in (Campus, Course, Cohort, User, Enrollment)]
    result = runner.invoke(args=["import-records", str(path)])
    assert result.exit_code == 1
    assert "16,384" in result.output  # in the default language (Korean), as staff read it
    assert [count(model) for model in (Campus, Course, Cohort, User, Enrollment)] == before


def test_the_command_line_refuses_a_file_over_the_size_limit_before_reading_it(
    app, runner, tmp_path, monkeypatch
):
    path = tmp_path / "records.csv"
    path.write_bytes(b"x" * 3_000_000)
    app.config["IMPORT_MAX_FILE_BYTES"] = 1_000_000
    opened: list[str] = []
    real_open = open
    monkeypatch.setattr(
        "builtins.open", lambda file, *a, **k: opened.append(str(file)) or real_open(file, *a, **k)
    )
    result = runner.invoke(args=["import-records", str(path)])
    assert result.exit_code == 1
    assert "2.9" in result.output  # the size of the file, in MB
    assert str(path) not in opened

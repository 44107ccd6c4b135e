"""How much of an upload the reader reads, and the refusal when a file asks for more.

An upload is read within fixed bounds (settings in config.py, read from the app's config
when there is one): its size, what it unpacks to, its rows and columns, and the time taken.
A file past any of them is refused with UnreadableFile before it can fill a worker's memory
or hold it past gunicorn's timeout.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import gettext

from .. import config as defaults
from ..errors import InvalidInput

MEGABYTE = 1024 * 1024
# Excel itself keeps at most 32,767 characters in a cell; longer text cannot come from it.
EXCEL_MAX_CELL_CHARS = 32_767


class UnreadableFile(InvalidInput):
    """The upload is not a CSV or XLSX table that can be read at all, or is too big to read."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "file")


@dataclass(frozen=True)
class Limits:
    """The bounds of one read; `current()` takes them from the settings IMPORT_MAX_*."""

    rows: int  # rows read, the header and empty rows included
    columns: int  # cells in a row (XLSX: the rightmost column a cell may be in)
    file_bytes: int  # the file as uploaded
    unpacked_bytes: int  # XLSX: every part of the archive, unpacked
    shared_strings_bytes: int  # XLSX: the workbook's text table, held in memory while reading
    compression_ratio: int  # XLSX: unpacked / packed size of a part larger than 1 MB
    archive_members: int  # XLSX: parts in the archive
    line_chars: int  # CSV: characters of one row
    seconds: float  # the whole read

    @classmethod
    def current(cls) -> Limits:
        def setting(name: str) -> int:
            if has_app_context():
                return current_app.config.get(name, getattr(defaults, name))
            return getattr(defaults, name)

        return cls(
            rows=int(setting("IMPORT_MAX_ROWS")),
            columns=int(setting("IMPORT_MAX_COLUMNS")),
            file_bytes=int(setting("IMPORT_MAX_FILE_BYTES")),
            unpacked_bytes=int(setting("IMPORT_MAX_UNPACKED_BYTES")),
            shared_strings_bytes=int(setting("IMPORT_MAX_SHARED_STRINGS_BYTES")),
            compression_ratio=int(setting("IMPORT_MAX_COMPRESSION_RATIO")),
            archive_members=int(setting("IMPORT_MAX_ARCHIVE_MEMBERS")),
            line_chars=int(setting("IMPORT_MAX_LINE_CHARS")),
            seconds=float(setting("IMPORT_MAX_SECONDS")),
        )


class Deadline:
    """The time budget of one read: `check()` while reading refuses once it is spent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends_at = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.ends_at:
            raise UnreadableFile(
                gettext(
                    "The file takes too long to read (more than %(limit)s seconds); "
                    "split it into smaller files.",
                    limit=f"{self.seconds:g}",
                )
            )


def number(value: int) -> str:
    """16384 as 16,384 (Korean and English group digits alike)."""
    return f"{value:,}"


def megabytes(size: int) -> str:
    """A size in MB as people read it, rounded up so that a size over a limit never shows
    as the limit itself: 678, 50.1, 0.1."""
    value = math.ceil(size / MEGABYTE * 10) / 10
    return f"{value:,.0f}" if value >= 100 or value.is_integer() else f"{value:.1f}"


def file_too_large(size: int, limits: Limits) -> UnreadableFile:
    return UnreadableFile(
        gettext(
            "The file is %(size)s MB; at most %(limit)s MB is accepted. "
            "Split it into smaller files.",
            size=megabytes(size),
            limit=megabytes(limits.file_bytes),
        )
    )


def too_many_rows(limits: Limits) -> UnreadableFile:
    return UnreadableFile(
        gettext(
            "The file has more than %(limit)s rows (empty rows count too): delete the "
            "empty rows under the table, or split it into smaller files.",
            limit=number(limits.rows),
        )
    )


def too_wide(width: int, limits: Limits) -> UnreadableFile:
    return UnreadableFile(
        gettext(
            "The sheet is %(width)s columns wide; at most %(limit)s are read. Delete the "
            "columns to the right of the table (even empty ones) and upload it again.",
            width=number(width),
            limit=number(limits.columns),
        )
    )

"""The checks an uploaded .xlsx archive passes before anything in it is unpacked.

The archive's directory says how many parts it holds and what each unpacks to; zipfile
never unpacks more than a part's declared size (and fails its CRC check when the data is
longer), so refusing on the declared sizes bounds what is read. The number of parts is
read from the end record first, because zipfile reads every entry of the directory
(a 10 MB file can list 200,000 empty parts) before anyone can count them.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from flask_babel import gettext

from .limits import MEGABYTE, Limits, UnreadableFile, megabytes, number

RATIO_FLOOR = MEGABYTE  # smaller parts are not judged by their compression ratio
END_OF_DIRECTORY = b"PK\x05\x06"
CENTRAL_ENTRY_BYTES = 1024  # a generous size of one entry of the archive's directory
# What zipfile raises for a part that is missing (KeyError), encrypted (RuntimeError),
# packed by an unknown method (NotImplementedError) or damaged (the others).
PART_ERRORS = (
    KeyError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
)


def not_a_workbook() -> UnreadableFile:
    return UnreadableFile(gettext("This file is not a valid .xlsx workbook."))


def open_archive(content: bytes, limits: Limits) -> zipfile.ZipFile:
    """The archive, once its directory shows nothing that could overload the server."""
    _check_directory_size(content, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (*PART_ERRORS, zipfile.LargeZipFile, ValueError):
        raise not_a_workbook() from None
    members = archive.infolist()
    try:
        _check_members(members, limits)
    except UnreadableFile:
        archive.close()
        raise
    return archive


def _check_directory_size(content: bytes, limits: Limits) -> None:
    """Refuse an archive whose end record lists too many parts, or a directory too long
    for the parts it lists (the count may lie; zipfile reads the whole directory)."""
    at = content.rfind(END_OF_DIRECTORY, max(0, len(content) - 65_557))
    if at < 0 or at + 22 > len(content):
        raise not_a_workbook()
    (entries, directory_size) = struct.unpack_from("<HI", content, at + 10)
    # 0xFFFF entries: a ZIP64 archive, which no spreadsheet program writes for a table.
    too_long = directory_size > limits.archive_members * CENTRAL_ENTRY_BYTES
    if entries > limits.archive_members or entries == 0xFFFF or too_long:
        raise too_many_members(limits)


def too_many_members(limits: Limits) -> UnreadableFile:
    return UnreadableFile(
        gettext(
            "The file is an archive of more than %(limit)s parts; a workbook has far fewer. "
            "Save the table as a new .xlsx or CSV file and upload that.",
            limit=number(limits.archive_members),
        )
    )


def _check_members(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(members) > limits.archive_members:
        raise too_many_members(limits)
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.unpacked_bytes:
        raise UnreadableFile(
            gettext(
                "The file unpacks to %(size)s MB; at most %(limit)s MB is accepted. "
                "Split it into smaller files.",
                size=megabytes(unpacked),
                limit=megabytes(limits.unpacked_bytes),
            )
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and ratio > limits.compression_ratio:
            raise UnreadableFile(
                gettext(
                    "The file is packed unusually tightly: a part of it unpacks to %(ratio)s "
                    "times its size, and at most %(limit)s times is accepted. Save the table "
                    "as a new .xlsx or CSV file and upload that.",
                    ratio=number(int(ratio)),
                    limit=number(limits.compression_ratio),
                )
            )

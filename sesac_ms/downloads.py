"""The one way a route hands out a file: named, and kept out of every cache (security.py
would add `no-store` to an attachment anyway; a file shown inline needs it said)."""

from __future__ import annotations

from flask import Response


def file_response(
    content: bytes | str, mimetype: str, filename: str, *, attachment: bool = True
) -> Response:
    """The content as a file called `filename`: downloaded, or shown in the browser."""
    response = Response(content, mimetype=mimetype)
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f"{disposition}; filename={filename}"
    response.headers["Cache-Control"] = "no-store"
    return response

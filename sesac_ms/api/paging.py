"""Cursor pagination: items in id order, and a cursor that continues after the last.

A cursor is the last id a page showed (schemas.PageQuery checks its form, so every cursor
the document allows is one the API can continue from). A page is then a range read from
the primary key whatever the history's size (no OFFSET, no count), and records added
meanwhile neither repeat nor shift an item onto the next page.
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from sqlalchemy import Select

from ..extensions import db


def page(stmt: Select, id_column: Any, args: dict[str, Any]) -> dict[str, Any]:
    """One page of `stmt` (its own order replaced by the id), with the next page's cursor."""
    limit = args["limit"]
    if args.get("cursor") is not None:
        stmt = stmt.where(id_column > args["cursor"])
    rows = list(db.session.scalars(stmt.order_by(None).order_by(id_column).limit(limit + 1)))
    items = rows[:limit]
    next_cursor = items[-1].id if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def next_link(next_cursor: int | None) -> dict[str, str]:
    """The Link header of a page that has a next one (RFC 8288)."""
    if next_cursor is None:
        return {}
    query = request.args.to_dict()
    query["cursor"] = next_cursor
    from urllib.parse import urlencode

    return {"Link": f'<{request.base_url}?{urlencode(query)}>; rel="next"'}


def listed(
    stmt: Select,
    id_column: Any,
    args: dict[str, Any],
    filters: dict[str, Any] | None = None,
    *,
    people: bool = False,
) -> tuple[dict[str, Any], dict[str, str]]:
    """An operation's page: `stmt` narrowed by each given filter (query name → column), paged,
    with its Link header. `people`: the items are people, counted in the access log."""
    for name, column in (filters or {}).items():
        if args.get(name) is not None:
            stmt = stmt.where(column == args[name])
    found = page(stmt, id_column, args)
    if people:
        g.api_people_count = len(found["items"])
    return found, next_link(found["next_cursor"])

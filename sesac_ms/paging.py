"""Paging of long lists, with the page or key read safely from the URL.

Two kinds, both rendered by templates/_macros/pagination.html:
- numbered pages (`numbered`): Flask-SQLAlchemy's `db.paginate`, one COUNT of the filtered
  list and one page of rows, for lists bounded by a campus or a cohort;
- keyset pages (`keyset`): newest first by id, "Newer"/"Older" links carrying the id at the
  page's edge, no COUNT at all, for the logs that grow without end (audit and access logs).

A page parameter that is not a page number falls back to the first page and a page past
the end to the last one; a key that is not a record number falls back to the newest page.
Nothing in the URL can make a list page fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import request
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from .extensions import db

MAX_PAGE = 100_000  # far past any list; keeps OFFSET within every database's integers
MAX_KEY = 2**63 - 1


def requested_page(name: str = "page") -> int:
    """The page number asked for in the URL; anything else (text, 0, -1, 10**30) is page 1."""
    raw = request.args.get(name, "").strip()
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_PAGE:
        return int(raw)
    return 1


class RowsPagination(SelectPagination):
    """`db.paginate`'s page (the subclass Flask-SQLAlchemy's Pagination asks for), whose
    items are whole rows when the query selects several things: (Enrollment, Outcome)."""

    def _query_items(self) -> list[Any]:
        select, offset = self._query_args["select"], self._query_offset
        narrow = self._query_args.get("narrow")
        if narrow is not None:
            narrowed = narrow(select, offset, self.per_page)
            if narrowed is None:
                return []
            select, offset = narrowed
        result = self._query_args["session"].execute(select.limit(self.per_page).offset(offset))
        if len(select.column_descriptions) == 1:
            return list(result.unique().scalars())
        return list(result.unique().all())

    def _query_count(self) -> int:
        total = self._query_args.get("total")
        return super()._query_count() if total is None else total


def numbered(
    stmt: Select,
    per_page: int,
    *,
    total: int | None = None,
    narrow: Callable[[Select, int, int], tuple[Select, int] | None] | None = None,
) -> Pagination:
    """One page of `stmt` (page from the URL) and the COUNT of the filtered list, or
    `total` when the caller knows it exactly from something cheaper (kept figures).
    `narrow(stmt, offset, per_page)`, when given, returns the same rows' query narrowed to
    a range of the sort key holding the page, with the offset within it (None: past the end).

    A page past the end shows the last page, one more round trip only in that case.
    """

    def paginate(number: int) -> Pagination:
        return RowsPagination(
            select=stmt,
            session=db.session(),
            page=number,
            per_page=per_page,
            max_per_page=per_page,
            error_out=False,
            total=total,
            narrow=narrow,
        )

    page = paginate(requested_page())
    if not page.items and page.page > 1 and page.total:
        page = paginate(page.pages)
    return page


def _key(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 19 and int(raw) <= MAX_KEY:
        return int(raw)
    return None


@dataclass
class KeysetPage:
    """A page of a list ordered newest first by a unique increasing key (an id).

    `newer` and `older` are the keys the "Newer" and "Older" links carry (`after=`,
    `before=`), None when there is nothing that way; `newest` is True on the first page.
    `asked` is how the page was asked for: ("before", key), ("after", key) or None.
    """

    items: list[Any] = field(default_factory=list)
    newer: int | None = None
    older: int | None = None
    asked: tuple[str, int] | None = None

    @property
    def newest(self) -> bool:
        return self.newer is None

    @property
    def has_other_pages(self) -> bool:
        return self.newer is not None or self.older is not None


def keyset(stmt: Select, key: InstrumentedAttribute, per_page: int) -> KeysetPage:
    """One page of `stmt`, newest first by `key`, asked by `before=` or `after=` in the URL.

    One query for the newest page; a keyed page adds one indexed probe for rows on the
    other side. No COUNT: the logs this pages hold years of rows. "Newer" from the second
    page shows the newest page, whole, as it is now.
    """
    before, after = _key("before"), _key("after")
    if before is not None and after is not None:
        before = after = None  # a hand-made URL asking both ways: the newest page
    base = stmt.order_by(None)
    if after is not None:
        rows = list(
            db.session.scalars(base.where(key > after).order_by(key.asc()).limit(per_page + 1))
        )
        if len(rows) > per_page:  # newer rows beyond this page: a page in the middle
            rows = rows[:per_page][::-1]
            last = getattr(rows[-1], key.key)
            older = last if _exists(base.where(key < last), key) else None
            return KeysetPage(rows, getattr(rows[0], key.key), older, ("after", after))
        # Nothing newer than this page: it is the newest page, shown whole.
    if before is None:
        rows = list(db.session.scalars(base.order_by(key.desc()).limit(per_page + 1)))
        older = getattr(rows[per_page - 1], key.key) if len(rows) > per_page else None
        return KeysetPage(rows[:per_page], None, older, None)
    rows = list(
        db.session.scalars(base.where(key < before).order_by(key.desc()).limit(per_page + 1))
    )
    older = getattr(rows[per_page - 1], key.key) if len(rows) > per_page else None
    rows = rows[:per_page]
    # The newer link shows what is newer than this page's first row; on an empty page past
    # the end, everything from the key asked for up.
    edge = getattr(rows[0], key.key) if rows else max(before - 1, 0)
    newer = edge if _exists(base.where(key > edge), key) else None
    return KeysetPage(rows, newer, older, ("before", before))


def _exists(stmt: Select, key: InstrumentedAttribute) -> bool:
    return db.session.scalar(stmt.with_only_columns(key).limit(1)) is not None

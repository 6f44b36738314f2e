"""Keyset pages over a query ordered by id, newest first.

A page after a cursor is "the next ``limit`` rows with an id below the last one seen": rows
inserted meanwhile have larger ids and never push older rows onto a page already read, so
following ``next`` neither repeats nor skips a row that existed when paging began (offset
paging repeated rows after inserts). ``page`` still works for jumping to a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement


@dataclass
class KeysetSlice:
    items: list[Any]
    total: int  # rows of the whole filtered query, now
    page: int  # which page this is, counted from the newest row now
    next_before: int | None  # the cursor of the next page (its rows have smaller ids)


def id_desc_page(
    session: Session,
    query: Select[Any],
    id_column: ColumnElement[int] | InstrumentedAttribute[int],
    *,
    page: int,
    limit: int,
    before: int | None,
    options: tuple[Any, ...] = (),
) -> KeysetSlice:
    """One page of ``query`` ordered by ``id_column`` descending: after the cursor
    ``before`` (an id) when given, else the ``page``-th page by offset."""

    def count(q: Select[Any]) -> int:
        return int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)

    total = count(query)
    if before is not None:
        skipped = count(query.where(id_column >= before))
        page = skipped // limit + 1
        q = query.where(id_column < before)
    else:
        skipped = (page - 1) * limit
        q = query.offset(skipped)
    items = list(session.scalars(q.order_by(id_column.desc()).limit(limit).options(*options)))
    more = skipped + len(items) < total
    return KeysetSlice(items, total, page, items[-1].id if items and more else None)

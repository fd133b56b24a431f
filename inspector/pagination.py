"""One way to page a query, for every list endpoint."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

#: flask-smorest's paginate() arguments for every list of the API.
PAGE_ARGS: dict[str, Any] = {"page_size": 50, "max_page_size": 500}


def page_of(session: Session, statement: sa.Select[Any], pagination_parameters: Any) -> list[Any]:
    """Count the whole list for X-Pagination, return one page of it."""
    total = session.scalar(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    )
    pagination_parameters.item_count = int(total or 0)
    page_size = pagination_parameters.page_size
    offset = (pagination_parameters.page - 1) * page_size
    return list(session.scalars(statement.limit(page_size).offset(offset)))

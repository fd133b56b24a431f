"""One way to page a query, for every list endpoint."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session

#: flask-smorest's paginate() arguments for every list of the API.
PAGE_ARGS: dict[str, Any] = {"page_size": 50, "max_page_size": 500}


class PaginationMetadataSchema(ma.Schema):
    """The ``X-Pagination`` header of every list (a JSON object)."""

    total = ma.fields.Int(required=True, metadata={"description": "Items in the whole list."})
    total_pages = ma.fields.Int(required=True, metadata={"description": "Pages in the list."})
    page = ma.fields.Int(required=True, metadata={"description": "This page's number."})
    page_size = ma.fields.Int(required=True, metadata={"description": "Items per page."})
    first_page = ma.fields.Int(metadata={"description": "First page (when not empty)."})
    last_page = ma.fields.Int(metadata={"description": "Last page (when not empty)."})
    previous_page = ma.fields.Int(metadata={"description": "Previous page, if any."})
    next_page = ma.fields.Int(metadata={"description": "Next page, if any."})


#: How the header is documented in the OpenAPI document.
PAGINATION_HEADER: dict[str, Any] = {
    "description": "Pagination metadata (JSON): total, total_pages, page, page_size, ...",
    # The value is a JSON document, so it is described as content, not as a simple-style schema.
    "content": {"application/json": {"schema": PaginationMetadataSchema}},
}


def pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, Any]:
    """flask-smorest's metadata plus ``page_size``, and ``page`` even past the end."""
    metadata: dict[str, Any] = {
        "total": item_count,
        "total_pages": (item_count + page_size - 1) // page_size,
        "page": page,
        "page_size": page_size,
    }
    if item_count:
        last = metadata["total_pages"]
        metadata["first_page"] = 1
        metadata["last_page"] = last
        if 1 < page <= last:
            metadata["previous_page"] = page - 1
        if page < last:
            metadata["next_page"] = page + 1
    return dict(PaginationMetadataSchema().dump(metadata))


def page_of(session: Session, statement: sa.Select[Any], pagination_parameters: Any) -> list[Any]:
    """Count the whole list for X-Pagination, return one page of it."""
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    pagination_parameters.item_count = int(total or 0)
    page_size = pagination_parameters.page_size
    offset = (pagination_parameters.page - 1) * page_size
    if offset >= pagination_parameters.item_count:
        # Past the end the page is empty; asking the database would overflow its integers for huge pages.
        return []
    return list(session.scalars(statement.limit(page_size).offset(offset)))


def page_of_list(items: list[Any], pagination_parameters: Any) -> list[Any]:
    """One page of a list computed in memory (e.g. ranked in Python), with the same header."""
    pagination_parameters.item_count = len(items)
    offset = (pagination_parameters.page - 1) * pagination_parameters.page_size
    return items[offset : offset + pagination_parameters.page_size]

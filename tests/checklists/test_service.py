"""published_items: a published checklist version's items, read once per worker."""

from __future__ import annotations

import uuid

from flask import Flask

from tests.checklists.test_api import DOMAIN_ITEMS
from tests.statements import recorded_statements


def test_a_versions_items_are_read_once(app: Flask) -> None:
    from inspector.checklists.service import current_checklist, published_items
    from inspector.extensions import db

    with app.app_context():
        checklist_id = current_checklist(db.session).id
        db.session.rollback()
        with recorded_statements(db.engine) as statements:
            first = published_items(db.session, checklist_id)
            reads = len(statements)
            again = published_items(db.session, checklist_id)
        assert set(first) == set(DOMAIN_ITEMS)
        assert first["license-posted"]["citation"]
        assert again == first
        assert len(statements) == reads, "the second call read the database again"


def test_no_such_version_is_read_every_time(app: Flask) -> None:
    from inspector.checklists.service import published_items
    from inspector.extensions import db

    with app.app_context(), recorded_statements(db.engine) as statements:
        unknown = uuid.uuid4()
        assert published_items(db.session, unknown) == {}
        reads = len(statements)
        assert published_items(db.session, unknown) == {}
        assert len(statements) > reads, "an unknown version was kept"

"""CSV export of an office's inspections and findings: streamed, scoped, filtered, audited."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from inspector.db import utcnow
from tests.assertions import assert_problem
from tests.factories import World
from tests.leads.test_workflow import audit_rows
from tests.review.helpers import submit

URL = "/api/v1/inspections/export.csv"


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def bulk_inspections(world: World, count: int, findings_each: int) -> None:
    """``count`` submitted Houston inspections with ``findings_each`` findings, inserted in bulk."""
    from inspector.checklists.models import ChecklistItem
    from inspector.extensions import db
    from inspector.inspections.models import Finding, Inspection

    with world.app.app_context():
        keys = list(
            db.session.scalars(
                sa.select(ChecklistItem.key)
                .where(ChecklistItem.checklist_id == world.checklist)
                .order_by(ChecklistItem.position)
            )
        )[:findings_each]
        now = utcnow()
        inspections = [
            {
                "id": uuid.uuid4(),
                "licensee_id": world.licensee,
                "checklist_id": world.checklist,
                "investigator_id": world.investigator.id,
                "field_office_id": world.houston,
                "type": "compliance",
                "status": "submitted",
                "submitted_at": now,
                "due_date": date(2026, 12, 1),
                "attachments": [],
            }
            for _ in range(count)
        ]
        db.session.execute(sa.insert(Inspection), inspections)
        db.session.execute(
            sa.insert(Finding),
            [
                {
                    "id": uuid.uuid4(),
                    "inspection_id": i["id"],
                    "item_key": key,
                    "result": "violation" if n == 0 else "compliant",
                    "instances": 2 if n == 0 else 0,
                    "note": f"note {n}",
                    "attachments": [],
                }
                for i in inspections
                for n, key in enumerate(keys)
            ],
        )
        db.session.commit()


def test_five_thousand_rows_stream_out(world: World) -> None:
    bulk_inspections(world, 500, 10)
    response = world.client(world.reviewer).get(URL)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    chunks = list(response.iter_encoded())
    assert len(chunks) >= 5  # written in batches as rows are read, not built whole
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    # the 5,000 bulk findings, plus the world's own inspection (one finding)
    assert len(rows) == 5001
    assert sum(1 for r in rows if r["result"] == "violation") == 500
    assert {r["citation"] for r in rows if r["item_key"] == "license-posted"} == {"27 CFR 478.91, 478.50"}


def test_rows_carry_inspection_and_finding(world: World) -> None:
    findings = submit(world, violations={"form-4473-complete": 3})
    body = {
        "comment": "Check.",
        "findings": [{"finding_id": str(findings["form-4473-complete"]), "comment": "=1+1"}],
    }
    assert (
        world.client(world.reviewer)
        .post(f"/api/v1/inspections/{world.inspection}/return", json=body)
        .status_code
        == 200
    )
    rows = rows_of(world.client(world.reviewer).get(URL))
    [row] = [r for r in rows if r["item_key"] == "form-4473-complete"]
    assert row["inspection_id"] == str(world.inspection)
    assert (row["field_office"], row["licensee_name"], row["premises_state"]) == (
        "Houston",
        "LONE STAR GUNS LLC",
        "TX",
    )
    assert (row["status"], row["investigator"], row["reviewer"]) == ("returned", "Ines", "Ray")
    assert (row["citation"], row["result"], row["instances"]) == ("27 CFR 478.124(c)", "violation", "3")
    assert row["recommended_outcome"] == "warning_letter"
    assert row["reviewed_at"].endswith("Z")
    # a cell a spreadsheet would run as a formula is quoted
    assert row["finding_review_comment"] == "'=1+1"
    [(actor, target, _details)] = audit_rows(world, "inspections-exported")
    assert (actor, target) == ("ray", str(world.houston))


def test_an_inspection_without_findings_is_one_row(world: World) -> None:
    from inspector.extensions import db
    from inspector.inspections.models import Finding

    with world.app.app_context():
        db.session.execute(sa.delete(Finding))
        db.session.commit()
    [row] = rows_of(world.client(world.reviewer).get(URL))
    assert row["inspection_id"] == str(world.inspection)
    assert row["item_key"] == row["result"] == ""


def test_filters_and_scope(world: World) -> None:
    bulk_inspections(world, 3, 2)
    client = world.client(world.reviewer)
    assert len(rows_of(client.get(URL, query_string={"status": "assigned"}))) == 1
    assert len(rows_of(client.get(URL, query_string={"has_violations": "true"}))) == 6
    other = rows_of(world.client(world.reviewer_other).get(URL))
    assert {r["field_office"] for r in other} == {"Phoenix"}
    everything = rows_of(world.client(world.admin).get(URL))
    assert {r["field_office"] for r in everything} == {"Houston", "Phoenix"}
    narrowed = rows_of(
        world.client(world.admin).get(URL, query_string={"field_office_id": str(world.phoenix)})
    )
    assert {r["field_office"] for r in narrowed} == {"Phoenix"}
    assert_problem(client.get(URL, query_string={"outcome": "nope"}), 422, "validation-error")


@pytest.mark.parametrize("persona", ["investigator", "investigator_other"])
def test_investigators_do_not_export(world: World, persona: str) -> None:
    assert_problem(world.client(world.persona(persona)).get(URL), 403, "forbidden")
    assert audit_rows(world, "inspections-exported") == []

"""The dashboard's series, computed in SQL on each backend, and who may read them."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.assertions import assert_problem
from tests.factories import World, add_finding, add_inspection, add_licensee

PERIOD = {"from": "2026-01-01", "to": "2026-11-30"}


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def decided(
    world: World,
    *,
    office: str = "houston",
    status: str = "approved",
    outcome: str | None = "no_violations",
    submitted: str = "2026-10-01",
    days: float = 2.0,
    violations: tuple[tuple[str, int], ...] = (),
    created: str = "2026-09-01",
) -> uuid.UUID:
    from inspector.extensions import db
    from inspector.inspections.models import Inspection

    houston = office == "houston"
    persona = world.investigator if houston else world.investigator_other
    with world.app.app_context():
        session = db.session
        licensee = add_licensee(session, "TX" if houston else "AZ", persona.office_id)
        submitted_at = at(submitted)
        inspection_id = add_inspection(
            session,
            licensee,
            persona,
            status=status,
            submitted_at=submitted_at,
            reviewed_at=submitted_at + timedelta(days=days) if status != "submitted" else None,
            decided_outcome=outcome if status == "approved" else None,
        )
        session.get(Inspection, inspection_id).created_at = at(created)  # type: ignore[union-attr]
        for key, instances in violations:
            add_finding(session, inspection_id, key, result="violation", instances=instances)
        session.commit()
    return inspection_id


def add_lead(
    world: World, indicators: list[str], office: str = "houston", created: str = "2026-06-01"
) -> None:
    from inspector.extensions import db
    from inspector.leads.models import Lead

    houston = office == "houston"
    persona = world.investigator if houston else world.investigator_other
    with world.app.app_context():
        db.session.add(
            Lead(
                created_by=persona.id,
                field_office_id=persona.office_id,
                status="submitted",
                indicators=indicators,
                narrative="Secret narrative text",
                purge_after=datetime(2030, 1, 1, tzinfo=UTC),
                created_at=at(created),
            )
        )
        db.session.commit()


def dashboard(world: World, persona: Any = None, **query: Any) -> Any:
    return world.client(persona or world.reviewer).get("/api/v1/dashboard", query_string={**PERIOD, **query})


@pytest.fixture
def figures(world: World) -> World:
    """Houston: 3 approved (two months), 1 returned, 1 submitted; Phoenix: 1 approved."""
    decided(
        world, outcome="warning_letter", submitted="2026-10-01", days=1, violations=(("license-posted", 2),)
    )
    decided(
        world,
        outcome="report_of_violations",
        submitted="2026-10-10",
        days=3,
        violations=(("license-posted", 1), ("form-4473-complete", 4)),
    )
    decided(world, outcome="no_violations", submitted="2026-11-02", days=10)
    decided(world, status="returned", outcome=None, submitted="2026-11-05", days=6)
    decided(world, status="submitted", outcome=None, submitted="2026-11-20", violations=(("nics-checks", 1),))
    decided(world, office="phoenix", outcome="revocation", submitted="2026-10-01", days=30)
    add_lead(world, ["multiple-sales", "straw-purchase-signs"])
    add_lead(world, ["multiple-sales"])
    add_lead(world, ["other"], office="phoenix")
    add_lead(world, ["multiple-sales"], created="2025-06-01")  # before the period
    return world


def test_reviewer_sees_the_office_series(figures: World) -> None:
    response = dashboard(figures)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    assert body["field_office_id"] == str(figures.houston)
    assert (body["from"], body["to"]) == ("2026-01-01", "2026-11-30")
    # world.inspection was created now (the test's day) and may fall outside the period: count ours
    statuses = {r["status"]: r["count"] for r in body["inspections_by_status"]}
    assert statuses["approved"] == 3
    assert statuses["returned"] == 1
    assert statuses["submitted"] == 1
    assert body["violations_by_citation"][0]["findings"] == 2  # license-posted, twice
    by_citation = {r["citation"]: (r["findings"], r["instances"]) for r in body["violations_by_citation"]}
    assert sorted(by_citation.values()) == [(1, 1), (1, 4), (2, 3)]
    assert body["outcomes_by_month"] == [
        {"month": "2026-10", "outcome": "report_of_violations", "count": 1},
        {"month": "2026-10", "outcome": "warning_letter", "count": 1},
        {"month": "2026-11", "outcome": "no_violations", "count": 1},
    ]
    leads = {r["indicator"]: r["count"] for r in body["leads_by_indicator"]}
    assert leads["multiple-sales"] == 2
    assert leads["straw-purchase-signs"] == 1
    assert leads["other"] == 0  # Phoenix's
    assert "Secret narrative" not in response.get_data(as_text=True)
    # decisions: Oct 1 day, 3 days; Nov 10 days, 6 days (returned counts as a decision)
    assert body["decision_days_by_month"] == [
        {"month": "2026-10", "median_days": 2.0, "decisions": 2},
        {"month": "2026-11", "median_days": 8.0, "decisions": 2},
    ]
    assert body["median_decision_days"] == 4.5  # 1, 3, 6, 10
    assert body["decisions"] == 4


def test_an_odd_count_takes_the_middle(figures: World) -> None:
    decided(figures, outcome="no_violations", submitted="2026-11-10", days=20)
    body = dashboard(figures).json
    assert body["median_decision_days"] == 6.0  # 1, 3, 6, 10, 20
    assert body["decision_days_by_month"][-1] == {"month": "2026-11", "median_days": 10.0, "decisions": 3}


def test_admins_see_one_office_or_all(figures: World) -> None:
    every = dashboard(figures, figures.admin).json
    assert every["field_office_id"] is None
    assert {r["indicator"]: r["count"] for r in every["leads_by_indicator"]}["other"] == 1
    assert every["decisions"] == 5
    assert every["median_decision_days"] == 6.0  # 1, 3, 6, 10, 30
    phoenix = dashboard(figures, figures.admin, field_office_id=str(figures.phoenix)).json
    assert phoenix["outcomes_by_month"] == [{"month": "2026-10", "outcome": "revocation", "count": 1}]


def test_the_period_bounds_every_series(figures: World) -> None:
    body = dashboard(figures, **{"from": "2026-11-01", "to": "2026-11-30"}).json
    assert [r["month"] for r in body["outcomes_by_month"]] == ["2026-11"]
    assert body["decisions"] == 2
    assert {r["indicator"]: r["count"] for r in body["leads_by_indicator"]}["multiple-sales"] == 0
    last_year = dashboard(figures, **{"from": "2025-01-01", "to": "2025-12-31"}).json
    assert {r["indicator"]: r["count"] for r in last_year["leads_by_indicator"]}["multiple-sales"] == 1
    assert last_year["median_decision_days"] is None
    bad = dashboard(figures, **{"from": "2026-12-01", "to": "2026-11-01"})
    assert_problem(bad, 422, "validation-error")


def test_who_reads_the_dashboard(world: World) -> None:
    assert_problem(dashboard(world, world.investigator), 403, "forbidden")
    assert_problem(
        dashboard(world, world.reviewer_other, field_office_id=str(world.houston)), 404, "not-found"
    )
    assert dashboard(world, world.reviewer, field_office_id=str(world.houston)).status_code == 200
    assert_problem(dashboard(world, world.admin, field_office_id=str(uuid.uuid4())), 404, "not-found")


def test_each_series_downloads_as_csv(figures: World) -> None:
    client = figures.client(figures.reviewer)
    from inspector.dashboard.service import SERIES

    body = dashboard(figures).json
    for name, (_query, columns) in SERIES.items():
        response = client.get(f"/api/v1/dashboard/{name}.csv", query_string=PERIOD)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/csv"
        assert f'filename="{name}.csv"' in response.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert tuple(rows[0].keys()) == columns if rows else True
        expected = [{k: str(v) for k, v in r.items()} for r in body[name.replace("-", "_")]]
        assert rows == expected
    assert_problem(client.get("/api/v1/dashboard/nothing.csv"), 404, "not-found")
    assert_problem(
        figures.client(figures.investigator).get("/api/v1/dashboard/leads-by-indicator.csv"), 403, "forbidden"
    )


def test_the_widest_period_is_answered(figures: World) -> None:
    body = dashboard(figures, **{"from": "0001-01-01", "to": "9999-12-31"}).json
    assert body["decisions"] == 4

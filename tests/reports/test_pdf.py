"""The printable inspection report: a Report of Violations with citations and counts."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.assertions import assert_problem
from tests.factories import World
from tests.leads.test_workflow import audit_rows
from tests.review.helpers import submit


def text_of(pdf: bytes) -> str:
    """The PDF's text as a reader extracts it (whitespace collapsed)."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def report(world: World, persona: str = "reviewer") -> tuple[int, bytes]:
    response = world.client(world.persona(persona)).get(f"/api/v1/inspections/{world.inspection}/report.pdf")
    return response.status_code, response.get_data()


def test_report_of_violations_before_and_after_the_decision(world: World) -> None:
    submit(world, violations={"form-4473-complete": 3, "nics-checks": 1})
    response = world.client(world.reviewer).get(f"/api/v1/inspections/{world.inspection}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    text = text_of(response.get_data())
    assert text.startswith("Report of Violations")
    for expected in (
        "Licensee: LONE STAR GUNS LLC",
        "Field office: Houston",
        "Investigator: Ines",
        "Violations (2)",
        "Citation: 27 CFR 478.124(c) Instances: 3 Note: form-4473-complete note",
        "Citation: 27 CFR 478.102, 478.124(c)(3)(iv) Instances: 1",
        "Recommended outcome: warning letter",
        "Decided outcome: not decided yet",
    ):
        assert expected in text, (expected, text)

    approved = world.client(world.reviewer).post(
        f"/api/v1/inspections/{world.inspection}/approve",
        json={"decided_outcome": "warning_conference", "comment": "Repeat of last year's 4473 problems."},
    )
    assert approved.status_code == 200
    decided_on = approved.json["reviewed_at"][:10]
    status, pdf = report(world)
    text = text_of(pdf)
    assert status == 200
    for expected in (
        "Decided outcome: warning conference",
        "Reviewer: Ray",
        f"Decision date: {decided_on}",
        "Reviewer's comment: Repeat of last year's 4473 problems.",
    ):
        assert expected in text, (expected, text)
    # the investigator prints their own report too; every print is audited
    assert report(world, "investigator")[0] == 200
    assert [a for a, _t, _d in audit_rows(world, "inspection-report")] == ["ray", "ray", "ines"]


def test_without_violations_it_is_no_report_of_violations(world: World) -> None:
    submit(world, violations={})
    text = text_of(report(world)[1])
    assert text.startswith("Inspection Report - no violations")
    assert "Report of Violations" not in text
    assert "No violations were found." in text


def test_a_report_waits_for_the_submission(world: World) -> None:
    body = assert_problem(
        world.client(world.reviewer).get(f"/api/v1/inspections/{world.inspection}/report.pdf"),
        409,
        "conflict",
    )
    assert body["inspection_status"] == "assigned"


@pytest.mark.parametrize(
    ("persona", "status"), [("admin", 403), ("investigator_other", 404), ("reviewer_other", 404)]
)
def test_who_may_not_print(world: World, persona: str, status: int) -> None:
    submit(world)
    response = world.client(world.persona(persona)).get(f"/api/v1/inspections/{world.inspection}/report.pdf")
    assert_problem(response, status)
    assert audit_rows(world, "inspection-report") == []


def test_text_outside_latin1_and_long_notes(world: World) -> None:
    """Long notes wrap and span pages; characters PDF's standard fonts lack become '?'."""
    from inspector.pdf import render_pdf
    from inspector.reports.inspection_pdf import report_lines

    class Row:
        def __init__(self, **fields: object) -> None:
            self.__dict__.update(fields)

    inspection = Row(
        id="i-1",
        type="compliance",
        status="submitted",
        started_at=None,
        completed_at=None,
        submitted_at=None,
        recommended_outcome=None,
        decided_outcome=None,
        reviewed_at=None,
        review_comment=None,
        summary="Summary (with parens) \\ and a backslash",
    )
    licensee = Row(
        license_name="ÅNGSTRÖM ARMS 漢",
        business_name=None,
        license_number="5-74-201-01-7F-00001",
        premises_street="1 Main St",
        premises_city="Austin",
        premises_state="TX",
        premises_zip="78701",
    )
    findings = [
        Row(item_key=f"k{n}", result="violation", instances=n + 1, note="word " * 60) for n in range(12)
    ]
    items = {f"k{n}": Row(citation=f"27 CFR 478.{n}", prompt=f"Item {n}") for n in range(12)}
    lines = report_lines(inspection, licensee, findings, items, {"office": "Austin"})
    pdf = render_pdf(lines)
    text = text_of(pdf)
    assert "Licensee: ÅNGSTRÖM ARMS ?" in text
    assert "Summary (with parens) \\ and a backslash" in text
    assert "27 CFR 478.11" in text and "Instances: 12" in text
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    assert all(len(t) <= 92 for _s, t in lines)

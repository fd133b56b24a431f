"""The referral packet: a PDF of a referred lead, for the reviewer of its office only."""

from __future__ import annotations

from tests.assertions import assert_problem
from tests.factories import World
from tests.leads.helpers import device, firearm, submitted_lead
from tests.leads.test_workflow import REFER, audit_rows


def test_referral_packet(world: World) -> None:
    lead = submitted_lead(
        device(world, world.investigator),
        licensee_id=str(world.licensee),
        firearms=[firearm("PK-1 (x)")],
        subjects=[{"name": "Packet Subject", "role": "buyer"}],
        narrative="Line one of the narrative.\nSecond paragraph with a backslash \\ and (parens).",
    )
    reviewer = world.client(world.reviewer)
    url = f"/api/v1/leads/{lead}/referral-packet"
    assert_problem(reviewer.get(url), 409, "conflict")
    assert reviewer.post(f"/api/v1/leads/{lead}/refer", json=REFER).status_code == 200
    response = reviewer.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    for text in (
        b"ATF special agents",
        b"ATF-2026-0042",
        b"Packet Subject",
        b"LONE STAR GUNS LLC",
        b"Serial PK-1 \\(x\\)",
        b"backslash \\\\ and \\(parens\\)",
        b"Houston",
    ):
        assert text in pdf, text
    # the cross-reference table points at each object
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[xref:].startswith(b"xref")
    entries = pdf[xref:].split(b"\n")[3:]
    for number, entry in enumerate(entries[:4], start=1):
        offset = int(entry[:10])
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())
    assert [a for a, _t, _d in audit_rows(world, "lead-packet")] == ["ray"]

    for persona, status in ((world.investigator, 403), (world.admin, 403), (world.reviewer_other, 404)):
        refused = world.client(persona).get(url)
        assert refused.status_code == status
        assert b"Packet Subject" not in refused.get_data()


def test_a_long_lead_spans_pages() -> None:
    from inspector.pdf import render_pdf

    pdf = render_pdf([("t", f"line {n}") for n in range(200)])
    assert pdf.count(b"/Type /Page ") == 4
    assert b"Page 4 of 4" in pdf

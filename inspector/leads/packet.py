"""The referral packet: a plain PDF of a referred lead for the receiving agency."""

from __future__ import annotations

from datetime import datetime

from inspector.leads.models import Lead
from inspector.pdf import Line, Lines


def packet_lines(lead: Lead, office: str, licensee: str | None, reviewer: str) -> list[Line]:
    """The packet's lines (see ``inspector.pdf``)."""
    doc = Lines("Referral packet - investigative lead")

    def stamp(value: datetime | None) -> str | None:
        return value.strftime("%Y-%m-%d") if value else None

    doc.field("Lead", lead.id)
    doc.field("Field office", office)
    doc.field("Referred to", lead.referral_agency)
    doc.field("Referred on", lead.referred_on.isoformat() if lead.referred_on else None)
    doc.field("Reference", lead.referral_reference)
    doc.field("Status", lead.status)
    doc.field("Lead date", stamp(lead.created_at))
    doc.field("Licensee", licensee)
    doc.field("Indicators", ", ".join(lead.indicators or []))
    doc.field("Prepared by", reviewer)
    doc.heading("Firearms")
    if not lead.firearms:
        doc.text("none named")
    for firearm in lead.firearms or []:
        parts = [firearm.get(k) for k in ("make", "model", "caliber", "type")]
        doc.field(f"Serial {firearm.get('serial')}", " / ".join(str(p) for p in parts if p))
    doc.heading("Subjects")
    if not lead.subjects:
        doc.text("none named" if lead.purged_at is None else "removed (purged)")
    for subject in lead.subjects or []:
        doc.field(
            subject.get("name") or "?",
            "; ".join(str(subject.get(k)) for k in ("role", "description") if subject.get(k)),
        )
    doc.heading("Narrative")
    doc.text(lead.narrative or "-")
    if lead.status == "closed":
        doc.heading("Result")
        doc.text(lead.close_result or "-")
    doc.text("")
    doc.text("Law enforcement sensitive. Handle on a need-to-know basis.")
    return doc.lines

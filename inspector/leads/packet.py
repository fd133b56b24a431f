"""The referral packet: a plain PDF of a referred lead for the receiving agency.

Written by hand (PDF 1.4, the standard Helvetica font, text only) so the server
needs no PDF library; characters outside Latin-1 become ``?``.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any

from inspector.leads.models import Lead

LINES_PER_PAGE = 54
WIDTH = 92


def _escape(text: str) -> bytes:
    raw = text.encode("latin-1", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def packet_lines(lead: Lead, office: str, licensee: str | None, reviewer: str) -> list[tuple[str, str]]:
    """(style, text) lines: ``h`` headings, ``t`` text."""
    lines: list[tuple[str, str]] = [("h", "Referral packet - investigative lead"), ("t", "")]

    def field(label: str, value: Any) -> None:
        for n, part in enumerate(
            textwrap.wrap(f"{label}: {value if value not in (None, '') else '-'}", WIDTH)
        ):
            lines.append(("t", part if n == 0 else "    " + part))

    def stamp(value: datetime | None) -> str | None:
        return value.strftime("%Y-%m-%d") if value else None

    field("Lead", lead.id)
    field("Field office", office)
    field("Referred to", lead.referral_agency)
    field("Referred on", lead.referred_on.isoformat() if lead.referred_on else None)
    field("Reference", lead.referral_reference)
    field("Status", lead.status)
    field("Lead date", stamp(lead.created_at))
    field("Licensee", licensee)
    field("Indicators", ", ".join(lead.indicators or []))
    field("Prepared by", reviewer)
    lines += [("t", ""), ("h", "Firearms")]
    if not lead.firearms:
        lines.append(("t", "none named"))
    for firearm in lead.firearms or []:
        parts = [firearm.get(k) for k in ("make", "model", "caliber", "type")]
        field(f"Serial {firearm.get('serial')}", " / ".join(str(p) for p in parts if p))
    lines += [("t", ""), ("h", "Subjects")]
    if not lead.subjects:
        lines.append(("t", "none named" if lead.purged_at is None else "removed (purged)"))
    for subject in lead.subjects or []:
        field(
            subject.get("name") or "?",
            "; ".join(str(subject.get(k)) for k in ("role", "description") if subject.get(k)),
        )
    lines += [("t", ""), ("h", "Narrative")]
    for paragraph in (lead.narrative or "").splitlines() or ["-"]:
        lines += [("t", part) for part in textwrap.wrap(paragraph, WIDTH) or [""]]
    if lead.status == "closed":
        lines += [("t", ""), ("h", "Result")]
        lines += [("t", part) for part in textwrap.wrap(lead.close_result or "-", WIDTH)]
    lines += [("t", ""), ("t", "Law enforcement sensitive. Handle on a need-to-know basis.")]
    return lines


def render_pdf(lines: list[tuple[str, str]]) -> bytes:
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    objects: list[bytes] = []
    # 1 catalog, 2 pages, 3 regular font, 4 bold font; then per page: page, content
    kids = " ".join(f"{5 + 2 * n} 0 R" for n in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    for n, page in enumerate(pages):
        stream = b"BT 50 770 Td 13 TL\n"
        for style, text in page:
            font = b"/F2 11" if style == "h" else b"/F1 10"
            stream += font + b" Tf (" + _escape(text) + b") Tj T*\n"
        stream += f"/F1 8 Tf 0 -12 Td (Page {n + 1} of {len(pages)}) Tj\n".encode() + b"ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {6 + 2 * n} 0 R "
            "/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out

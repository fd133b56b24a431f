"""A plain PDF text writer (PDF 1.4, the standard Helvetica fonts, text only).

Written by hand so the server needs no PDF library. Documents are lists of
``(style, text)`` lines: ``h`` headings in bold, ``t`` text. Characters
outside Latin-1 become ``?``. The lead referral packet and the inspection
report both print through it.
"""

from __future__ import annotations

import textwrap
from typing import Any

LINES_PER_PAGE = 54
#: characters per line at 10 pt Helvetica on a Letter page with 50 pt margins.
WIDTH = 92

Line = tuple[str, str]


class Lines:
    """A document being written: headings, wrapped paragraphs and ``Label: value`` fields."""

    def __init__(self, title: str) -> None:
        self.lines: list[Line] = [("h", title), ("t", "")]

    def heading(self, text: str) -> None:
        self.lines += [("t", ""), ("h", text)]

    def text(self, text: str, indent: str = "") -> None:
        """A paragraph per source line, each wrapped; an empty text is one blank line."""
        for paragraph in text.splitlines() or [""]:
            parts = textwrap.wrap(paragraph, WIDTH - len(indent)) or [""]
            self.lines += [("t", indent + part) for part in parts]

    def field(self, label: str, value: Any, indent: str = "") -> None:
        """``Label: value`` (``-`` when empty), continuation lines indented."""
        shown = value if value not in (None, "") else "-"
        parts = textwrap.wrap(f"{label}: {shown}", WIDTH - len(indent), subsequent_indent="    ")
        self.lines += [("t", indent + part) for part in parts]


def _escape(text: str) -> bytes:
    raw = text.encode("latin-1", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def render_pdf(lines: list[Line]) -> bytes:
    """The lines as a PDF of Letter pages, numbered ``Page n of m``."""
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

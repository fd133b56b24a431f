"""Building ATF listing files for tests and the benchmark."""

from __future__ import annotations

import uuid
from typing import Any

from inspector.licensees.listing import COLUMNS


def listing_row(sequence: int | str = 1, **changes: Any) -> dict[str, str]:
    """One licensee as the listing's columns (a Texas dealer unless changed)."""
    row = {
        "LIC_REGN": "5",
        "LIC_DIST": "74",
        "LIC_CNTY": "201",
        "LIC_TYPE": "01",
        "LIC_XPRDTE": "7F",
        "LIC_SEQN": f"{int(sequence):05d}" if isinstance(sequence, int) else sequence,
        "LICENSE_NAME": f"DEALER {sequence} LLC",
        "BUSINESS_NAME": f"Dealer {sequence}",
        "PREMISE_STREET": "1 Main St",
        "PREMISE_CITY": "Austin",
        "PREMISE_STATE": "TX",
        "PREMISE_ZIP_CODE": "78701",
        "MAIL_STREET": "",
        "MAIL_CITY": "",
        "MAIL_STATE": "",
        "MAIL_ZIP_CODE": "",
        "VOICE_PHONE": "5125550100",
    }
    row.update({key: str(value) for key, value in changes.items()})
    return row


def listing(*rows: dict[str, str] | str, delimiter: str = "\t", columns: tuple[str, ...] = COLUMNS) -> bytes:
    """A file: the header, then each row (a dict of columns, or a raw line as is)."""
    lines = [delimiter.join(columns)]
    for row in rows:
        lines.append(row if isinstance(row, str) else delimiter.join(row.get(c, "") for c in columns))
    return ("\n".join(lines) + "\n").encode()


def multipart(
    data: bytes, *, dry_run: bool | None = None, filename: str = "listing.txt"
) -> tuple[bytes, str]:
    """The upload's body and Content-Type, encoded in memory (the test client spools big ones to disk)."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n".encode()
        + data
        + b"\r\n"
    ]
    if dry_run is not None:
        value = "true" if dry_run else "false"
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="dry_run"\r\n\r\n{value}\r\n'.encode()
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"

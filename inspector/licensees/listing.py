"""ATF's licensee listing: a header row, then one licensee per line (pure rules, no Flask, no DB).

The file is tab or pipe delimited; the header names the columns (any order,
extra columns ignored). Each data line becomes a ``ListingRow`` or a reason it
is rejected, with its 1-based line number in the file (the header is line 1).
A licensee is identified by region + district + sequence, so a second row of
the same licensee in one file is rejected (which one would win is not ours to guess).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from inspector.licensees.numbers import InvalidLicenseNumber, LicenseNumber, parse_license_number
from inspector.offices.states import STATES

COLUMNS = (
    "LIC_REGN",
    "LIC_DIST",
    "LIC_CNTY",
    "LIC_TYPE",
    "LIC_XPRDTE",
    "LIC_SEQN",
    "LICENSE_NAME",
    "BUSINESS_NAME",
    "PREMISE_STREET",
    "PREMISE_CITY",
    "PREMISE_STATE",
    "PREMISE_ZIP_CODE",
    "MAIL_STREET",
    "MAIL_CITY",
    "MAIL_STATE",
    "MAIL_ZIP_CODE",
    "VOICE_PHONE",
)
#: columns that may be empty in a row (the others are required).
OPTIONAL = frozenset(
    {"BUSINESS_NAME", "MAIL_STREET", "MAIL_CITY", "MAIL_STATE", "MAIL_ZIP_CODE", "VOICE_PHONE"}
)
DELIMITERS = {"\t": "tab", "|": "pipe"}
#: licensee column -> (listing column, longest value the licensees table holds).
TEXT_COLUMNS = {
    "license_name": ("LICENSE_NAME", 200),
    "business_name": ("BUSINESS_NAME", 200),
    "premises_street": ("PREMISE_STREET", 200),
    "premises_city": ("PREMISE_CITY", 100),
    "mailing_street": ("MAIL_STREET", 200),
    "mailing_city": ("MAIL_CITY", 100),
    "phone": ("VOICE_PHONE", 20),
}
#: numeric parts of the license number and their width; spreadsheets drop leading zeros.
PADDED = {"LIC_DIST": 2, "LIC_CNTY": 3, "LIC_TYPE": 2, "LIC_SEQN": 5}


class ListingFileError(ValueError):
    """The file as a whole cannot be read (no header, wrong delimiter, missing columns)."""


class RowRejected(ValueError):
    """One line is rejected; the message is the reason shown to the admin."""


@dataclass(frozen=True)
class Header:
    delimiter: str
    positions: dict[str, int]
    width: int

    @property
    def delimiter_name(self) -> str:
        return DELIMITERS[self.delimiter]


@dataclass(frozen=True, slots=True)
class ListingRow:
    line: int
    number: LicenseNumber
    #: licensee columns (premises_state, premises_zip, mailing_*, phone, names, street, city).
    values: dict[str, str | None]


def decode(raw: bytes) -> str:
    """UTF-8, else Windows-1252 (what a spreadsheet saves); line ends and a BOM dropped."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff").rstrip("\r\n")


def read_header(text: str) -> Header:
    delimiter = next((d for d in DELIMITERS if d in text), None)
    if delimiter is None:
        raise ListingFileError(
            "Line 1 must be the header, tab or pipe delimited, naming the columns " + " ".join(COLUMNS) + "."
        )
    names = [name.strip().upper() for name in text.split(delimiter)]
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        positions.setdefault(name, index)
    missing = [c for c in COLUMNS if c not in positions]
    if missing:
        raise ListingFileError(f"The header lacks the column(s) {', '.join(missing)}.")
    return Header(delimiter, positions, len(names))


def _zip(value: str, column: str) -> str:
    digits = value.replace("-", "").replace(" ", "")
    if len(digits) == 5 and digits.isascii() and digits.isdigit():
        return digits
    if len(digits) == 9 and digits.isascii() and digits.isdigit():
        return f"{digits[:5]}-{digits[5:]}"
    raise RowRejected(f"{column} {value!r} is not a 5 or 9 digit ZIP code")


def _state(value: str, column: str) -> str:
    state = value.upper()
    if state not in STATES:
        raise RowRejected(f"{column} {value!r} is not a US state or territory")
    return state


def parse_row(header: Header, text: str, line: int) -> ListingRow:
    """One data line, validated; raises RowRejected with the reason."""
    fields = text.split(header.delimiter)
    if len(fields) != header.width:
        hint = ""
        other = next((d for d in DELIMITERS if d != header.delimiter and d in text), None)
        if other is not None:
            hint = (
                f" (it looks {DELIMITERS[other]} delimited, the header is {header.delimiter_name} delimited)"
            )
        raise RowRejected(
            f"expected {header.width} {header.delimiter_name}-delimited fields, found {len(fields)}{hint}"
        )
    cell = {name: fields[index].strip() for name, index in header.positions.items() if name in COLUMNS}
    empty = [name for name in COLUMNS if name not in OPTIONAL and not cell[name]]
    if empty:
        raise RowRejected(f"{', '.join(empty)} is empty")
    parts = {
        name: cell[name].zfill(PADDED[name]) if name in PADDED and cell[name].isdigit() else cell[name]
        for name in ("LIC_REGN", "LIC_DIST", "LIC_CNTY", "LIC_TYPE", "LIC_XPRDTE", "LIC_SEQN")
    }
    try:
        number = parse_license_number("-".join(parts.values()))
    except InvalidLicenseNumber as error:
        raise RowRejected(f"license number {'-'.join(parts.values())}: {error}") from None
    values: dict[str, str | None] = {}
    for column, (name, longest) in TEXT_COLUMNS.items():
        value = cell[name]
        if len(value) > longest:
            raise RowRejected(f"{name} is longer than {longest} characters")
        values[column] = value or None
    values["premises_state"] = _state(cell["PREMISE_STATE"], "PREMISE_STATE")
    values["premises_zip"] = _zip(cell["PREMISE_ZIP_CODE"], "PREMISE_ZIP_CODE")
    values["mailing_state"] = _state(cell["MAIL_STATE"], "MAIL_STATE") if cell["MAIL_STATE"] else None
    values["mailing_zip"] = _zip(cell["MAIL_ZIP_CODE"], "MAIL_ZIP_CODE") if cell["MAIL_ZIP_CODE"] else None
    return ListingRow(line, number, values)


def read_rows(
    header: Header, lines: Iterable[bytes], first_line: int = 2
) -> Iterator[tuple[int, ListingRow | str]]:
    """Every data line after the header: (line number, row or reason). Blank lines are skipped."""
    seen: dict[tuple[str, str, str], int] = {}
    for line, raw in enumerate(lines, start=first_line):
        text = decode(raw)
        if not text.strip():
            continue
        try:
            row = parse_row(header, text, line)
        except RowRejected as error:
            yield line, str(error)
            continue
        identity = row.number.identity
        if identity in seen:
            yield (
                line,
                (
                    f"the same licensee (region {identity[0]}, district {identity[1]}, "
                    f"sequence {identity[2]}) is on line {seen[identity]}"
                ),
            )
            continue
        seen[identity] = line
        yield line, row


def count_rows(lines: Iterable[bytes]) -> int:
    """Data lines in a file (non-blank lines after the header), for the progress bar."""
    return max(0, sum(1 for raw in lines if raw.strip()) - 1)

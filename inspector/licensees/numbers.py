"""License numbers: R-DD-CCC-TT-YM-SSSSS (pure rules, no Flask, no database).

Region, district, county FIPS, license type, expiration code (last digit of
the year + month letter A-M without I), sequence. A licensee is identified by
region + district + sequence, because the expiration code changes at renewal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REGIONS = frozenset("1345689")
LICENSE_TYPES = {
    "01": "dealer",
    "02": "pawnbroker",
    "03": "collector of curios and relics",
    "06": "ammunition manufacturer",
    "07": "firearms manufacturer",
    "08": "importer",
    "09": "dealer in destructive devices",
    "10": "manufacturer of destructive devices",
    "11": "importer of destructive devices",
}
MONTH_LETTERS = "ABCDEFGHJKLM"  # twelve months, I left out

# ASCII digits only: \d would also take fullwidth or Arabic-Indic digits and store them.
_COMPACT = re.compile(r"([0-9])([0-9]{2})([0-9]{3})([0-9]{2})([0-9][A-Z])([0-9]{5})")
_HYPHENATED = re.compile(r"([0-9])-([0-9]{2})-([0-9]{3})-([0-9]{2})-([0-9][A-Z])-([0-9]{5})")


class InvalidLicenseNumber(ValueError):
    """The text is not a valid license number; the message says which part."""


@dataclass(frozen=True)
class LicenseNumber:
    region: str
    district: str
    county: str
    license_type: str
    expiration: str
    sequence: str

    @property
    def normalised(self) -> str:
        return "-".join(
            (
                self.region,
                self.district,
                self.county,
                self.license_type,
                self.expiration,
                self.sequence,
            )
        )

    @property
    def identity(self) -> tuple[str, str, str]:
        """Region + district + sequence: the same licensee across renewals."""
        return (self.region, self.district, self.sequence)

    def __str__(self) -> str:
        return self.normalised


def parse_license_number(text: str) -> LicenseNumber:
    """Accept the number with or without hyphens (and surrounding spaces)."""
    cleaned = text.strip().upper()
    match = _HYPHENATED.fullmatch(cleaned) or _COMPACT.fullmatch(cleaned)
    if match is None:
        raise InvalidLicenseNumber(
            "expected R-DD-CCC-TT-YM-SSSSS (15 characters without hyphens), e.g. 5-74-201-01-7F-04321"
        )
    region, district, county, license_type, expiration, sequence = match.groups()
    if region not in REGIONS:
        raise InvalidLicenseNumber(f"region {region} does not exist (1, 3, 4, 5, 6, 8, 9)")
    if license_type not in LICENSE_TYPES:
        raise InvalidLicenseNumber(f"license type {license_type} does not exist")
    if expiration[1] not in MONTH_LETTERS:
        raise InvalidLicenseNumber(f"expiration month letter {expiration[1]} is not A-M without I")
    return LicenseNumber(region, district, county, license_type, expiration, sequence)


def format_license_number(
    region: str, district: str, county: str, license_type: str, expiration: str, sequence: str
) -> str:
    """Build and validate a number from the columns of ATF's listing."""
    return parse_license_number(
        f"{region}-{district}-{county}-{license_type}-{expiration}-{sequence}"
    ).normalised

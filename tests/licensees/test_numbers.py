"""License numbers R-DD-CCC-TT-YM-SSSSS: parsing, normalising, identity (pure, no app)."""

from __future__ import annotations

import pytest

from inspector.licensees.numbers import (
    LICENSE_TYPES,
    MONTH_LETTERS,
    REGIONS,
    InvalidLicenseNumber,
    LicenseNumber,
    format_license_number,
    parse_license_number,
)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("5-74-201-01-7F-04321", "5-74-201-01-7F-04321"),
        ("574201017F04321", "5-74-201-01-7F-04321"),
        ("  5-74-201-01-7F-04321\n", "5-74-201-01-7F-04321"),
        ("574201017f04321", "5-74-201-01-7F-04321"),
        ("9-86-013-07-4M-00001", "9-86-013-07-4M-00001"),
        ("1-01-001-11-0A-99999", "1-01-001-11-0A-99999"),
        ("386001030J12345", "3-86-001-03-0J-12345"),
    ],
)
def test_valid_numbers_normalise_to_the_hyphenated_form(text: str, normalised: str) -> None:
    number = parse_license_number(text)
    assert number.normalised == normalised
    assert str(number) == normalised
    assert parse_license_number(number.normalised) == number


def test_parts_are_split_as_documented() -> None:
    number = parse_license_number("574201017F04321")
    assert number == LicenseNumber(
        region="5",
        district="74",
        county="201",
        license_type="01",
        expiration="7F",
        sequence="04321",
    )


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_every_existing_region_is_accepted(region: str) -> None:
    assert parse_license_number(f"{region}-74-201-01-7F-04321").region == region


@pytest.mark.parametrize("region", ["0", "2", "7"])
def test_regions_that_do_not_exist_are_refused(region: str) -> None:
    with pytest.raises(InvalidLicenseNumber, match="region"):
        parse_license_number(f"{region}-74-201-01-7F-04321")


@pytest.mark.parametrize("license_type", sorted(LICENSE_TYPES))
def test_every_license_type_is_accepted(license_type: str) -> None:
    number = parse_license_number(f"5-74-201-{license_type}-7F-04321")
    assert number.license_type == license_type


@pytest.mark.parametrize("license_type", ["00", "04", "05", "12", "99"])
def test_license_types_that_do_not_exist_are_refused(license_type: str) -> None:
    with pytest.raises(InvalidLicenseNumber, match="license type"):
        parse_license_number(f"5-74-201-{license_type}-7F-04321")


@pytest.mark.parametrize("letter", list(MONTH_LETTERS))
def test_every_month_letter_is_accepted(letter: str) -> None:
    assert parse_license_number(f"5-74-201-01-7{letter}-04321").expiration == f"7{letter}"


def test_there_are_twelve_month_letters_without_i() -> None:
    assert MONTH_LETTERS == "ABCDEFGHJKLM"


@pytest.mark.parametrize("letter", ["I", "N", "Z", "i", "n"])
def test_month_letters_outside_a_to_m_or_i_are_refused(letter: str) -> None:
    with pytest.raises(InvalidLicenseNumber, match="month letter"):
        parse_license_number(f"5-74-201-01-7{letter}-04321")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "5-74-201-01-7F-0432",  # sequence too short
        "5-74-201-01-7F-043210",  # sequence too long
        "5-7-201-01-7F-04321",  # district too short
        "5-74-21-01-7F-04321",  # county too short
        "5-74-201-1-7F-04321",  # type too short
        "5-74-201-01-F-04321",  # expiration without its year digit
        "5-74-201-01-7FF-04321",  # two letters
        "54-74-201-01-7F-04321",  # region too long
        "574201017F0432",  # 14 characters
        "574201017F043210",  # 16 characters
        "5-74-201-01-7F-04321-1",  # an extra part
    ],
)
def test_wrong_lengths_are_refused(text: str) -> None:
    with pytest.raises(InvalidLicenseNumber):
        parse_license_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "X-74-201-01-7F-04321",
        "5-7A-201-01-7F-04321",
        "5-74-2O1-01-7F-04321",  # the letter O, not zero
        "5-74-201-0l-7F-04321",  # the letter l, not one
        "5-74-201-01-XF-04321",
        "5-74-201-01-7F-0432I",
        "5-74-201-01-7F-O4321",
        "574201017F0432A",
    ],
)
def test_letters_where_digits_belong_are_refused(text: str) -> None:
    with pytest.raises(InvalidLicenseNumber):
        parse_license_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "5-\uff17\uff14-201-01-7F-04321",  # fullwidth digits in the district
        "5-74-\u0662\u0660\u0661-01-7F-04321",  # Arabic-Indic digits in the county
        "5-74-201-01-7F-\u0966\u096a\u0969\u0968\u0967",  # Devanagari digits in the sequence
        "5\u200b-74-201-01-7F-04321",  # a zero-width space
    ],
)
def test_only_ascii_digits_count_as_digits(text: str) -> None:
    """Python's \\d matches any Unicode digit; a stored number must be plain ASCII."""
    with pytest.raises(InvalidLicenseNumber):
        parse_license_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "5 74 201 01 7F 04321",
        "5.74.201.01.7F.04321",
        "5--74-201-01-7F-04321",
        "5-74-201-01-7F-04321x",
    ],
)
def test_other_separators_and_trailing_characters_are_refused(text: str) -> None:
    with pytest.raises(InvalidLicenseNumber):
        parse_license_number(text)


def test_invalid_license_number_is_a_value_error_with_a_helpful_message() -> None:
    with pytest.raises(ValueError, match="R-DD-CCC-TT-YM-SSSSS"):
        parse_license_number("not a number")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("5-74-201-01-7F-04321", "5-74-201-01-8F-04321"),  # next year
        ("5-74-201-01-7F-04321", "574201019B04321"),  # renewed, written without hyphens
        ("5-74-201-01-7F-04321", "5-74-999-01-0A-04321"),  # moved county, renewed
        ("5-74-201-01-7F-04321", "5-74-201-02-7F-04321"),  # same licensee, other type
    ],
)
def test_a_renewal_keeps_the_identity_key(before: str, after: str) -> None:
    old, new = parse_license_number(before), parse_license_number(after)
    assert old.normalised != new.normalised
    assert old.identity == new.identity == ("5", "74", "04321")


@pytest.mark.parametrize(
    "other",
    [
        "6-74-201-01-7F-04321",  # another region
        "5-75-201-01-7F-04321",  # another district
        "5-74-201-01-7F-04322",  # another sequence
    ],
)
def test_another_region_district_or_sequence_is_another_licensee(other: str) -> None:
    assert parse_license_number(other).identity != parse_license_number("5-74-201-01-7F-04321").identity


def test_format_builds_and_validates_from_listing_columns() -> None:
    assert format_license_number("5", "74", "201", "01", "7F", "04321") == "5-74-201-01-7F-04321"
    with pytest.raises(InvalidLicenseNumber):
        format_license_number("2", "74", "201", "01", "7F", "04321")
    with pytest.raises(InvalidLicenseNumber):
        format_license_number("5", "74", "201", "01", "7F", "4321")

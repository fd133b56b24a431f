"""Reading ATF's listing: the header, each row's checks and reasons, duplicates (no database)."""

from __future__ import annotations

import pytest

from inspector.licensees.listing import (
    COLUMNS,
    ListingFileError,
    ListingRow,
    count_rows,
    decode,
    parse_row,
    read_header,
    read_rows,
)
from tests.licensees.listing_files import listing, listing_row

TAB = read_header("\t".join(COLUMNS))


def line_of(row: dict[str, str], delimiter: str = "\t") -> str:
    return delimiter.join(row[c] for c in COLUMNS)


def rows_of(data: bytes) -> list[tuple[int, ListingRow | str]]:
    lines = iter(data.splitlines(keepends=True))
    header = read_header(decode(next(lines)))
    return list(read_rows(header, lines))


@pytest.mark.parametrize("delimiter", ["\t", "|"])
def test_header_names_the_delimiter_and_columns_in_any_order(delimiter: str) -> None:
    columns = (*reversed(COLUMNS), "EXTRA")
    header = read_header(delimiter.join(columns))
    assert header.delimiter == delimiter
    assert header.width == len(COLUMNS) + 1
    assert header.positions["LIC_REGN"] == len(COLUMNS) - 1
    row = parse_row(header, delimiter.join([*(listing_row(7)[c] for c in columns[:-1]), "x"]), 2)
    assert row.number.normalised == "5-74-201-01-7F-00007"


def test_a_header_with_a_bom_and_crlf_is_read() -> None:
    assert read_header(decode(("\ufeff" + "|".join(COLUMNS) + "\r\n").encode())).delimiter == "|"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(",".join(COLUMNS), "tab or pipe", id="comma-delimited"),
        pytest.param("", "tab or pipe", id="empty-file"),
        pytest.param(
            "\t".join(c for c in COLUMNS if c != "PREMISE_STATE"), "PREMISE_STATE", id="missing-column"
        ),
    ],
)
def test_a_header_that_cannot_be_read_fails_the_file(text: str, message: str) -> None:
    with pytest.raises(ListingFileError, match=message):
        read_header(text)


def test_a_valid_row_becomes_licensee_columns() -> None:
    row = parse_row(TAB, line_of(listing_row(42, PREMISE_ZIP_CODE="787011234", MAIL_STATE="tx")), 9)
    assert row.line == 9
    assert row.number.identity == ("5", "74", "00042")
    assert row.values["premises_zip"] == "78701-1234"
    assert row.values["mailing_state"] == "TX"
    assert row.values["mailing_street"] is None
    assert row.values["license_name"] == "DEALER 42 LLC"


def test_leading_zeros_a_spreadsheet_dropped_are_restored() -> None:
    row = parse_row(TAB, line_of(listing_row("42", LIC_CNTY="1", LIC_TYPE="1", LIC_DIST="4")), 2)
    assert row.number.normalised == "5-04-001-01-7F-00042"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"LIC_REGN": "2"}, "region 2 does not exist", id="bad-region"),
        pytest.param({"LIC_TYPE": "05"}, "license type 05 does not exist", id="bad-type"),
        pytest.param({"LIC_XPRDTE": "7I"}, "month letter I", id="bad-expiration"),
        pytest.param({"LIC_SEQN": "12A45"}, "expected R-DD-CCC-TT-YM-SSSSS", id="bad-sequence"),
        pytest.param({"PREMISE_STATE": "ZZ"}, "PREMISE_STATE 'ZZ' is not a US state", id="unknown-state"),
        pytest.param({"MAIL_STATE": "QQ"}, "MAIL_STATE 'QQ'", id="unknown-mail-state"),
        pytest.param({"PREMISE_ZIP_CODE": "7870"}, "5 or 9 digit ZIP", id="bad-zip"),
        pytest.param({"LICENSE_NAME": ""}, "LICENSE_NAME is empty", id="empty-name"),
        pytest.param({"PREMISE_CITY": " "}, "PREMISE_CITY is empty", id="blank-city"),
        pytest.param({"LICENSE_NAME": "X" * 201}, "longer than 200", id="long-name"),
        pytest.param({"VOICE_PHONE": "1" * 21}, "VOICE_PHONE is longer than 20", id="long-phone"),
    ],
)
def test_a_bad_row_is_rejected_with_its_reason(changes: dict[str, str], reason: str) -> None:
    [(line, result)] = rows_of(listing(listing_row(1, **changes)))
    assert line == 2
    assert isinstance(result, str)
    assert reason in result


def test_a_row_with_another_delimiter_says_so() -> None:
    [(line, reason)] = rows_of(listing(line_of(listing_row(1), "|")))
    assert line == 2
    assert (
        reason
        == "expected 17 tab-delimited fields, found 1 (it looks pipe delimited, the header is tab delimited)"
    )


def test_a_row_with_too_many_fields_is_rejected() -> None:
    [(_line, reason)] = rows_of(listing(line_of(listing_row(1)) + "\textra"))
    assert reason == "expected 17 tab-delimited fields, found 18"


def test_the_same_licensee_twice_rejects_the_second_with_the_first_line() -> None:
    renewed = listing_row(5, LIC_XPRDTE="8A")
    results = rows_of(listing(listing_row(5), listing_row(6), renewed))
    assert [line for line, _ in results] == [2, 3, 4]
    assert isinstance(results[0][1], ListingRow) and isinstance(results[1][1], ListingRow)
    assert results[2][1] == "the same licensee (region 5, district 74, sequence 00005) is on line 2"


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file() -> None:
    data = listing(listing_row(1), "", listing_row(2, PREMISE_STATE="ZZ"), "   ")
    results = rows_of(data)
    assert [line for line, _ in results] == [2, 4]
    assert count_rows(iter(data.splitlines(keepends=True))) == 2


def test_cp1252_text_from_a_spreadsheet_is_read() -> None:
    data = listing(listing_row(1, BUSINESS_NAME="Peña Arms")).decode().encode("cp1252")
    [(_line, row)] = rows_of(data)
    assert isinstance(row, ListingRow)
    assert row.values["business_name"] == "Peña Arms"

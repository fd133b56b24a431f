"""Blobs: PUT by digest with type sniffing, and reads that need proof of possession.

The contract (sync-protocol.md, "Blobs"): the server checks the digest and the
type of the bytes, stores them idempotently, and answers HEAD/GET 404 unless the
caller holds the bytes or can see a record that lists them with proof of
possession. Nobody can probe whether a digest exists.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import dispose, make_app
from tests.factories import World
from tests.sync.helpers import assert_problem, change, current_cursor, pull_all, pulled, push_one


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(pixel: int = 0) -> bytes:
    """A valid 1x1 grey PNG; ``pixel`` varies the bytes (and so the digest)."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes([0, pixel])))
        + _png_chunk(b"IEND", b"")
    )


#: a 1x1 baseline JPEG (JFIF), with its end-of-image marker.
JPEG = (
    base64.b64decode(
        "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP////////////////////////////////////////////////////////"
        "//////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA="
    )
    + b"\xff\xd9"
)
#: a 1x1 lossless WebP.
WEBP = bytes.fromhex("524946461a000000574542505650384c0d0000002f00000010071011118888fe0700")
#: a one-page PDF.
PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(client: FlaskClient, data: bytes, content_type: str, digest: str | None = None) -> Any:
    return client.put(f"/api/v1/blobs/{digest or sha(data)}", data=data, content_type=content_type)


def get(client: FlaskClient, digest: str) -> Any:
    return client.get(f"/api/v1/blobs/{digest}")


def head(client: FlaskClient, digest: str) -> Any:
    return client.head(f"/api/v1/blobs/{digest}")


def assert_unreadable(client: FlaskClient, digest: str) -> None:
    """HEAD and GET say 404 problem+json, exactly as for a digest nobody ever stored."""
    for response in (get(client, digest), get(client, sha(b"never stored " + digest.encode()))):
        assert_problem(response, 404, "not-found")
    for response in (head(client, digest), head(client, sha(b"never stored " + digest.encode()))):
        assert response.status_code == 404
        assert response.get_data() == b""


def stored_blobs(app: Flask) -> list[str]:
    with app.app_context():
        from inspector.blobs.models import Blob
        from inspector.extensions import db

        digests = list(db.session.scalars(sa.select(Blob.sha256)))
        db.session.remove()
        return digests


@pytest.fixture
def ines(world: World) -> FlaskClient:
    """The Houston investigator, whose inspection and finding the world holds."""
    return world.client(world.investigator)


def list_on_finding(world: World, client: FlaskClient, attachments: list[str]) -> dict[str, Any]:
    """The investigator lists digests on the world's finding through sync."""
    version = finding_version(world)
    receipt = push_one(
        client,
        world.investigator,
        change("finding", world.finding, "update", {"attachments": attachments}, version),
    )
    assert receipt["status"] == "applied", receipt
    return receipt


def finding_version(world: World) -> int:
    from tests.sync.helpers import finding_version as version_of

    return version_of(world, world.finding)


# ---- PUT -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "media"),
    [
        pytest.param(png(), "image/png", id="png"),
        pytest.param(JPEG, "image/jpeg", id="jpeg"),
        pytest.param(WEBP, "image/webp", id="webp"),
        pytest.param(PDF, "application/pdf", id="pdf"),
    ],
)
def test_put_is_201_then_200_and_the_uploader_reads_the_bytes(
    world: World, ines: FlaskClient, data: bytes, media: str
) -> None:
    first = put(ines, data, media)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = put(ines, data, media)
    assert again.status_code == 200, again.get_data(as_text=True)
    assert stored_blobs(world.app) == [sha(data)]

    response = get(ines, sha(data))
    assert response.status_code == 200
    assert response.get_data() == data
    assert response.mimetype == media
    assert response.headers["ETag"] == f'"{sha(data)}"'
    assert head(ines, sha(data)).status_code == 200


def test_a_second_uploader_gets_200_and_holds_the_bytes(world: World, ines: FlaskClient) -> None:
    data = png(7)
    assert put(ines, data, "image/png").status_code == 201
    other = world.client(world.investigator_other)
    assert_unreadable(other, sha(data))
    assert put(other, data, "image/png").status_code == 200
    assert get(other, sha(data)).get_data() == data


def test_content_type_parameters_are_ignored(ines: FlaskClient) -> None:
    assert put(ines, PDF, "application/pdf; charset=binary").status_code == 201


def test_digest_mismatch_is_422_and_nothing_is_stored(world: World, ines: FlaskClient) -> None:
    data = png(1)
    claimed = sha(b"something else")
    body = assert_problem(put(ines, data, "image/png", digest=claimed), 422, "validation-error")
    assert "sha256" in body["errors"]
    assert stored_blobs(world.app) == []
    assert_unreadable(ines, claimed)
    assert_unreadable(ines, sha(data))


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        pytest.param(png(2), "image/jpeg", id="png-as-jpeg"),
        pytest.param(JPEG, "image/png", id="jpeg-as-png"),
        pytest.param(PDF, "image/webp", id="pdf-as-webp"),
        pytest.param(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/png", id="gif-as-png"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "application/pdf", id="svg-as-pdf"),
    ],
)
def test_type_mismatch_is_422_and_nothing_is_stored(
    world: World, ines: FlaskClient, data: bytes, declared: str
) -> None:
    body = assert_problem(put(ines, data, declared), 422, "validation-error")
    assert "content_type" in body["errors"]
    assert stored_blobs(world.app) == []
    assert_unreadable(ines, sha(data))


@pytest.mark.parametrize("media", ["text/plain", "image/gif", "image/svg+xml", "application/octet-stream"])
def test_media_types_outside_the_list_are_415(world: World, ines: FlaskClient, media: str) -> None:
    assert_problem(put(ines, png(3), media), 415, "unsupported-media-type")
    assert stored_blobs(world.app) == []


def test_no_content_type_is_415(world: World, ines: FlaskClient) -> None:
    data = png(4)
    response = ines.put(f"/api/v1/blobs/{sha(data)}", data=data)
    assert_problem(response, 415, "unsupported-media-type")
    assert stored_blobs(world.app) == []


def test_put_needs_a_login(world: World, client: FlaskClient) -> None:
    assert_problem(put(client, png(), "image/png"), 401)
    assert stored_blobs(world.app) == []


@pytest.mark.parametrize("digest", ["ABC", "0" * 63, "G" * 64, ("A" * 64)])
def test_malformed_digests_are_not_found(ines: FlaskClient, digest: str) -> None:
    assert_problem(ines.get(f"/api/v1/blobs/{digest}"), 404, "not-found")
    assert ines.head(f"/api/v1/blobs/{digest}").status_code == 404


@pytest.fixture
def small_limit_app(database_url: str, app: Flask) -> Iterator[Flask]:
    """The same database, with blobs limited to 200 bytes."""
    small = make_app(database_url, BLOB_MAX_BYTES=200)
    yield small
    dispose(small)


def bearer(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    token = world.tokens(world.investigator)["access"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_over_the_limit_is_413_and_nothing_is_stored(world: World, small_limit_app: Flask) -> None:
    client = bearer(small_limit_app, world)
    big = PDF + b"%" + b"x" * (201 - len(PDF) - 2) + b"\n"
    assert len(big) == 201
    assert_problem(put(client, big, "application/pdf"), 413, "payload-too-large")
    assert stored_blobs(world.app) == []
    exactly = big[:-2] + b"\n"
    assert len(exactly) == 200
    assert put(client, exactly, "application/pdf").status_code == 201


def test_the_default_limit_is_15_mib_not_the_json_body_limit(world: World, ines: FlaskClient) -> None:
    """A 6 MiB photo is a normal blob, although JSON bodies stop at 5 MiB."""
    data = PDF + b"%" + b"x" * (6 * 1024 * 1024) + b"\n"
    response = put(ines, data, "application/pdf")
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert stored_blobs(world.app) == [sha(data)]


# ---- who can read --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["reviewer", "investigator_other", "reviewer_other", "admin"])
def test_nobody_else_reads_bytes_no_record_lists(world: World, ines: FlaskClient, persona: str) -> None:
    data = png(5)
    assert put(ines, data, "image/png").status_code == 201
    assert_unreadable(world.client(world.persona(persona)), sha(data))


def test_reading_needs_a_login(world: World, ines: FlaskClient, client: FlaskClient) -> None:
    data = png(6)
    assert put(ines, data, "image/png").status_code == 201
    assert_problem(get(client, sha(data)), 401)


def test_a_listing_without_the_bytes_is_flagged_and_grants_nothing_until_upload(
    world: World, ines: FlaskClient
) -> None:
    data = JPEG
    digest = sha(data)
    reviewer = world.client(world.reviewer)
    other = world.client(world.investigator_other)
    cursor = current_cursor(ines, world.investigator)

    receipt = list_on_finding(world, ines, [digest])
    assert receipt["record"]["missing_blobs"] is True
    assert receipt["record"]["attachments"] == [digest]
    listed_version = receipt["version"]
    for client in (ines, reviewer, other):
        assert_unreadable(client, digest)

    # The lister uploads: the flag clears with a new version every device pulls.
    assert put(ines, data, "image/jpeg").status_code == 201
    changes, _ = pull_all(ines, world.investigator, cursor)
    entry = pulled(changes, "finding", world.finding)
    assert entry is not None
    assert entry["version"] == listed_version + 1
    assert entry["record"]["missing_blobs"] is False
    assert entry["record"]["attachments"] == [digest]
    finding = ines.get(f"/api/v1/findings/{world.finding}")
    assert finding.status_code == 200
    assert finding.get_json()["version"] == listed_version + 1

    # The office's reviewer sees the finding, so the bytes; the other office does not.
    response = get(reviewer, digest)
    assert response.status_code == 200
    assert response.get_data() == data
    assert head(reviewer, digest).status_code == 200
    assert_unreadable(other, digest)
    assert_unreadable(world.client(world.reviewer_other), digest)


def test_listing_a_digest_someone_else_uploaded_does_not_grant_it(world: World, ines: FlaskClient) -> None:
    """No probing: naming a digest in a record reads nothing the lister does not hold."""
    data = png(9)
    digest = sha(data)
    other = world.client(world.investigator_other)
    assert put(other, data, "image/png").status_code == 201
    reviewer = world.client(world.reviewer)

    receipt = list_on_finding(world, ines, [digest])
    assert receipt["record"]["missing_blobs"] is True
    assert_unreadable(ines, digest)
    assert_unreadable(reviewer, digest)
    assert get(other, digest).status_code == 200  # the uploader still holds them

    # Uploading the bytes (already stored: 200) is the proof; then the office may read.
    version = finding_version(world)
    assert put(ines, data, "image/png").status_code == 200
    assert finding_version(world) == version + 1
    changes, _ = pull_all(ines, world.investigator)
    entry = pulled(changes, "finding", world.finding)
    assert entry is not None and entry["record"]["missing_blobs"] is False
    assert get(ines, digest).status_code == 200
    assert get(reviewer, digest).status_code == 200


def test_a_listing_with_proof_grants_the_office_at_once(world: World, ines: FlaskClient) -> None:
    data = PDF
    assert put(ines, data, "application/pdf").status_code == 201
    receipt = list_on_finding(world, ines, [sha(data)])
    assert receipt["record"]["missing_blobs"] is False
    assert get(world.client(world.reviewer), sha(data)).get_data() == data
    assert_unreadable(world.client(world.investigator_other), sha(data))
    assert_unreadable(world.client(world.reviewer_other), sha(data))


def test_a_flag_clears_only_when_every_listed_blob_is_proven(world: World, ines: FlaskClient) -> None:
    first, second = png(10), png(11)
    receipt = list_on_finding(world, ines, [sha(first), sha(second)])
    assert receipt["record"]["missing_blobs"] is True
    version = receipt["version"]
    assert put(ines, first, "image/png").status_code == 201
    assert finding_version(world) == version  # still missing one: no new version
    changes, _ = pull_all(ines, world.investigator)
    entry = pulled(changes, "finding", world.finding)
    assert entry is not None and entry["record"]["missing_blobs"] is True
    assert put(ines, second, "image/png").status_code == 201
    assert finding_version(world) == version + 1
    changes, _ = pull_all(ines, world.investigator)
    entry = pulled(changes, "finding", world.finding)
    assert entry is not None and entry["record"]["missing_blobs"] is False


def test_a_digest_no_longer_listed_grants_nothing(world: World, ines: FlaskClient) -> None:
    """Access comes from a record that lists the blob; once the record drops it, so does access."""
    data = png(12)
    assert put(ines, data, "image/png").status_code == 201
    list_on_finding(world, ines, [sha(data)])
    reviewer = world.client(world.reviewer)
    assert get(reviewer, sha(data)).status_code == 200
    list_on_finding(world, ines, [])
    assert_unreadable(reviewer, sha(data))
    assert get(ines, sha(data)).status_code == 200  # the uploader still holds them


def test_a_deleted_finding_grants_nothing(world: World, ines: FlaskClient) -> None:
    data = png(13)
    assert put(ines, data, "image/png").status_code == 201
    list_on_finding(world, ines, [sha(data)])
    reviewer = world.client(world.reviewer)
    assert get(reviewer, sha(data)).status_code == 200
    receipt = push_one(
        ines, world.investigator, change("finding", world.finding, "delete", None, finding_version(world))
    )
    assert receipt["status"] == "applied", receipt
    assert_unreadable(reviewer, sha(data))


def test_lead_attachments_are_not_for_admins(world: World, ines: FlaskClient) -> None:
    data = PDF
    assert put(ines, data, "application/pdf").status_code == 201
    lead_id = uuid.uuid4()
    receipt = push_one(
        ines,
        world.investigator,
        change("lead", lead_id, "create", {"narrative": "straw purchase", "attachments": [sha(data)]}),
    )
    assert receipt["status"] == "applied", receipt
    assert receipt["record"]["missing_blobs"] is False
    assert get(world.client(world.reviewer), sha(data)).status_code == 200
    assert_unreadable(world.client(world.admin), sha(data))
    assert_unreadable(world.client(world.investigator_other), sha(data))

"""Who may call what: every route under /api/v1 x every persona -> the expected status.

Adding a route? Add one row to MATRIX, and when needed: a body to BODIES, a query
string to QUERIES, a path value to PATH_VALUES (by argument name) or ROUTE_PATH_VALUES
(by route and argument; a maker may create the object through the API, see
make_conflict), or a credential to CREDENTIALS. ``test_matrix_covers_every_route``
fails until the row exists, and ``test_matrix_has_no_row_for_a_route_that_is_gone``
fails when a row's route is gone.

Ids in paths are those of the investigator's office (Houston): the investigator's
licensee, inspection and finding, the investigator's own user. So, for an object
in Houston's scope, personas of the other office (Phoenix) expect 404 (out of
scope looks like missing) and roles that may not use the function expect 403.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.assertions import assert_problem
from tests.factories import PASSWORD, Persona, World

Key = tuple[str, str]
Row = tuple[int, int, int, int, int, int]

#: The columns of every row, in this order.
PERSONAS = (
    "anonymous",
    "investigator",
    "investigator_other",
    "reviewer",
    "reviewer_other",
    "admin",
)

# fmt: off
#: (METHOD, url rule) -> expected status per persona, in the order of PERSONAS:
#:                                                          anon  inv  inv_o  rev rev_o admin
MATRIX: dict[Key, Row] = {
    # auth: login and token are public (bad credentials for anonymous, own ones for the others)
    ("POST", "/api/v1/auth/login"):                         (401, 200, 200, 200, 200, 200),
    ("POST", "/api/v1/auth/token"):                         (401, 200, 200, 200, 200, 200),
    ("POST", "/api/v1/auth/refresh"):                       (401, 200, 200, 200, 200, 200),
    ("POST", "/api/v1/auth/logout"):                        (401, 204, 204, 204, 204, 204),
    ("GET", "/api/v1/auth/me"):                             (401, 200, 200, 200, 200, 200),
    # the second factor: everyone signed in manages their own
    ("GET", "/api/v1/auth/totp"):                           (401, 200, 200, 200, 200, 200),
    ("POST", "/api/v1/auth/totp/enrol"):                    (401, 200, 200, 200, 200, 200),
    ("POST", "/api/v1/auth/totp/confirm"):                  (401, 200, 200, 200, 200, 200),
    ("POST", "/api/v1/auth/totp/disable"):                  (401, 204, 204, 204, 204, 204),
    # the licensee directory: an office's licensees, admins all
    ("GET", "/api/v1/licensees"):                           (401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/licensees/<uuid:licensee_id>"):        (401, 200, 404, 200, 404, 200),
    # checklists: every signed-in user reads every version
    ("GET", "/api/v1/checklists"):                          (401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/checklists/<uuid:checklist_id>"):      (401, 200, 200, 200, 200, 200),
    # inspections: investigator own, reviewer office, admin all
    ("GET", "/api/v1/inspections"):                         (401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/inspections/<uuid:inspection_id>"):    (401, 200, 404, 200, 404, 200),
    ("GET", "/api/v1/inspections/<uuid:inspection_id>/findings"): (401, 200, 404, 200, 404, 200),
    ("GET", "/api/v1/findings/<uuid:finding_id>"):          (401, 200, 404, 200, 404, 200),
    # administration: admins only
    ("GET", "/api/v1/field-offices"):                       (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/field-offices"):                      (401, 403, 403, 403, 403, 201),
    ("GET", "/api/v1/users"):                               (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/users"):                              (401, 403, 403, 403, 403, 201),
    ("GET", "/api/v1/users/<uuid:user_id>"):                (401, 403, 403, 403, 403, 200),
    ("PATCH", "/api/v1/users/<uuid:user_id>"):              (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/users/<uuid:user_id>/unlock"):        (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/users/<uuid:user_id>/disable"):       (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/users/<uuid:user_id>/enable"):        (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/users/<uuid:user_id>/reset-password"): (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/users/<uuid:user_id>/reset-second-factor"): (401, 403, 403, 403, 403, 200),
    ("GET", "/api/v1/field-offices/<uuid:office_id>"):      (401, 403, 403, 403, 403, 200),
    ("PATCH", "/api/v1/field-offices/<uuid:office_id>"):    (401, 403, 403, 403, 403, 200),
    # the licensee import (ATF's listing): admins only
    ("GET", "/api/v1/licensee-imports"):                    (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/licensee-imports"):                   (401, 403, 403, 403, 403, 202),
    ("GET", "/api/v1/licensee-imports/<uuid:import_id>"):   (401, 403, 403, 403, 403, 200),
    ("GET", "/api/v1/devices"):                             (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/devices/<uuid:device_id>/revoke"):    (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/inspections/<uuid:inspection_id>/reassign"): (401, 403, 403, 403, 403, 200),
    # review: the office's reviewer decides, prints and exports; investigators print their own
    ("POST", "/api/v1/inspections/<uuid:inspection_id>/approve"): (401, 403, 403, 200, 404, 403),
    ("POST", "/api/v1/inspections/<uuid:inspection_id>/return"): (401, 403, 403, 200, 404, 403),
    ("GET", "/api/v1/inspections/<uuid:inspection_id>/report.pdf"): (401, 200, 404, 200, 404, 403),
    ("GET", "/api/v1/inspections/export.csv"):              (401, 403, 403, 200, 200, 200),
    # sync: every signed-in device pushes and pulls; what each change may do is in its receipt
    ("POST", "/api/v1/sync/push"):                          (401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/sync/pull"):                           (401, 200, 200, 200, 200, 200),
    # field data that admins administer but do not read or decide
    ("GET", "/api/v1/sync/rejected"):                       (401, 200, 200, 200, 200, 403),
    ("GET", "/api/v1/conflicts"):                           (401, 200, 200, 200, 200, 403),
    ("POST", "/api/v1/conflicts/<uuid:conflict_id>/resolve"): (401, 200, 404, 200, 404, 403),
    # history follows the record's scope (admins get a lead's history redacted)
    ("GET", "/api/v1/inspections/<uuid:record_id>/history"): (401, 200, 404, 200, 404, 200),
    ("GET", "/api/v1/findings/<uuid:record_id>/history"):   (401, 200, 404, 200, 404, 200),
    ("GET", "/api/v1/leads/<uuid:record_id>/history"):      (401, 200, 404, 200, 404, 200),
    # leads: investigator own, reviewer office, admin metadata only; the workflow is the reviewer's
    ("GET", "/api/v1/leads"):                               (401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/leads/<uuid:lead_id>"):                (401, 200, 404, 200, 404, 200),
    ("GET", "/api/v1/leads/<uuid:lead_id>/matches"):        (401, 403, 404, 200, 404, 403),
    ("GET", "/api/v1/leads/<uuid:lead_id>/referral-packet"): (401, 403, 404, 200, 404, 403),
    ("POST", "/api/v1/leads/<uuid:lead_id>/refer"):         (401, 403, 403, 200, 404, 403),
    ("POST", "/api/v1/leads/<uuid:lead_id>/close"):         (401, 403, 403, 200, 404, 403),
    ("POST", "/api/v1/leads/<uuid:lead_id>/extend"):        (401, 403, 403, 200, 404, 403),
    # blobs: anyone signed in uploads; reading needs the bytes or a visible record listing them
    ("PUT", "/api/v1/blobs/<string:sha256>"):               (401, 201, 201, 201, 201, 201),
    ("GET", "/api/v1/blobs/<string:sha256>"):               (401, 200, 404, 200, 404, 200),
    # queues: reviewers read their office's ranked list and queues, investigators their own queue;
    # admins fill, reorder and empty queues
    ("GET", "/api/v1/ranked-licensees"):                    (401, 403, 403, 200, 404, 200),
    ("GET", "/api/v1/queues/<uuid:investigator_id>"):       (401, 200, 404, 200, 404, 200),
    ("POST", "/api/v1/queues/<uuid:investigator_id>/assignments"): (401, 403, 403, 403, 403, 201),
    ("PUT", "/api/v1/queues/<uuid:investigator_id>/order"): (401, 403, 403, 403, 403, 200),
    ("POST", "/api/v1/inspections/<uuid:inspection_id>/unassign"): (401, 403, 403, 403, 403, 204),
    # dashboard: reviewers their office, admins any office or all; counts only
    ("GET", "/api/v1/dashboard"):                           (401, 403, 403, 200, 404, 200),
    ("GET", "/api/v1/dashboard/<string:series>.csv"):       (401, 403, 403, 200, 404, 200),
}
# fmt: on

#: Routes outside the matrix: not API, or public by design.
EXCLUDED_RULES = {"/api/v1/openapi.json"}
API_PREFIX = "/api/v1/"
#: Methods Flask adds to every rule by itself.
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Raw:
    """A non-JSON body (e.g. a blob upload) with its media type."""

    data: bytes
    content_type: str


#: A tiny PNG (the server sniffs the magic number); one to upload, one already stored.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24 + b"matrix-upload"
STORED_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24 + b"matrix-stored"


# ---- setting the scene: objects of the investigator's office, made through the API ----------


def push(world: World, persona: Persona, *changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Push changes as the persona's device; returns the receipts."""
    body = {
        "device_id": str(persona.device_id),
        "schema_version": 1,
        "changes": [
            {"op_id": str(uuid.uuid4()), "seq": seq, "client_time": "2026-11-28T14:03:11Z", **change}
            for seq, change in enumerate(changes, start=1)
        ],
    }
    response = world.client(persona).post("/api/v1/sync/push", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(response.json["receipts"])


def other_device(persona: Persona) -> Persona:
    return Persona(persona.id, persona.username, persona.role, persona.office_id, uuid.uuid4())


def make_conflict(world: World) -> uuid.UUID:
    """Two devices of the investigator edit the inspection's summary from the same base."""
    edit = {"entity": "inspection", "id": str(world.inspection), "action": "update", "base_version": 1}
    [first] = push(world, world.investigator, {**edit, "fields": {"summary": "from the tablet"}})
    assert first["status"] == "applied", first
    [second] = push(
        world, other_device(world.investigator), {**edit, "fields": {"summary": "from the phone"}}
    )
    assert second["status"] == "conflict", second
    return uuid.UUID(second["conflicts"][0]["conflict_id"])


def make_lead(world: World) -> uuid.UUID:
    """The investigator's lead on the investigator's licensee."""
    lead_id = uuid.uuid4()
    fields = {
        "licensee_id": str(world.licensee),
        "indicators": ["multiple-sales"],
        "narrative": "Several handguns sold to one buyer in a week.",
        "firearms": [],
        "subjects": [],
        "status": "draft",
        "attachments": [],
    }
    [receipt] = push(
        world,
        world.investigator,
        {"entity": "lead", "id": str(lead_id), "action": "create", "fields": fields},
    )
    assert receipt["status"] == "applied", receipt
    return lead_id


def make_submitted_lead(world: World) -> uuid.UUID:
    """The investigator's lead, submitted (ready for the reviewer to refer or close)."""
    lead_id = make_lead(world)
    change = {
        "entity": "lead",
        "id": str(lead_id),
        "action": "update",
        "base_version": 1,
        "fields": {"status": "submitted"},
    }
    [receipt] = push(world, world.investigator, change)
    assert receipt["status"] == "applied", receipt["problem"]
    return lead_id


def make_referred_lead(world: World) -> uuid.UUID:
    """The investigator's lead, referred by the office's reviewer."""
    lead_id = make_submitted_lead(world)
    body = {"agency": "HSI", "referred_on": "2026-11-29", "reference": "HSI-1"}
    response = world.client(world.reviewer).post(f"/api/v1/leads/{lead_id}/refer", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return lead_id


def make_listed_blob(world: World) -> str:
    """The investigator uploads a photo and lists it on their finding (proof of possession)."""
    sha256 = hashlib.sha256(STORED_PNG).hexdigest()
    client = world.client(world.investigator)
    response = client.put(f"/api/v1/blobs/{sha256}", data=STORED_PNG, content_type="image/png")
    assert response.status_code == 201, response.get_data(as_text=True)
    change = {
        "entity": "finding",
        "id": str(world.finding),
        "action": "update",
        "base_version": 1,
        "fields": {"attachments": [sha256]},
    }
    [receipt] = push(world, world.investigator, change)
    assert receipt["status"] == "applied", receipt
    return sha256


def investigator_device(world: World) -> uuid.UUID:
    """The investigator's device, known to the server once they logged in with it."""
    world.tokens(world.investigator)
    return world.investigator.device_id


def colleague(world: World) -> uuid.UUID:
    """A second investigator of the investigator's office (to reassign to)."""
    from inspector.extensions import db
    from tests.factories import add_user

    with world.app.app_context():
        persona = add_user(db.session, f"colleague-{uuid.uuid4().hex[:8]}", "investigator", world.houston)
        db.session.commit()
    return persona.id


def fresh_licensee(world: World) -> uuid.UUID:
    """A Houston licensee in nobody's queue, never inspected (to assign)."""
    from inspector.extensions import db
    from tests.factories import add_licensee

    with world.app.app_context():
        licensee = add_licensee(db.session, "TX", world.houston)
        db.session.commit()
    return licensee


def fresh_assignment(world: World) -> uuid.UUID:
    """An assigned, unstarted inspection in the investigator's queue (to unassign)."""
    from inspector.extensions import db
    from tests.factories import add_inspection

    licensee = fresh_licensee(world)
    with world.app.app_context():
        inspection = add_inspection(db.session, licensee, world.investigator)
        db.session.commit()
    return inspection


def submitted_inspection(world: World) -> uuid.UUID:
    """The investigator's inspection, answered and submitted from their tablet."""
    from tests.review.helpers import submit

    submit(world)
    return world.inspection


def finished_import(world: World) -> uuid.UUID:
    """A dry run the admin made earlier (its report row)."""
    from inspector.extensions import db
    from inspector.licensees.models import LicenseeImport

    with world.app.app_context():
        report = LicenseeImport(
            created_by=world.admin.id, filename="listing.txt", sha256="0" * 64, dry_run=True, status="done"
        )
        db.session.add(report)
        db.session.commit()
        return report.id


def listing_upload(world: World, persona: Persona | None) -> Raw:
    """A one-row listing as a multipart dry run."""
    from tests.licensees.listing_files import listing, listing_row, multipart

    body, content_type = multipart(listing(listing_row(1)), dry_run=True)
    return Raw(body, content_type)


#: How to fill a path argument, by its name in the rule (the investigator's office's objects).
PATH_VALUES: dict[str, Callable[[World], object]] = {
    "licensee_id": lambda w: w.licensee,
    "checklist_id": lambda w: w.checklist,
    "inspection_id": lambda w: w.inspection,
    "finding_id": lambda w: w.finding,
    "user_id": lambda w: w.investigator.id,
    "device_id": investigator_device,
    "conflict_id": make_conflict,
    "lead_id": make_submitted_lead,
    "investigator_id": lambda w: w.investigator.id,
    "office_id": lambda w: w.houston,
    "import_id": finished_import,
    "series": lambda w: "outcomes-by-month",
}
#: (route, argument) -> value, where a name means different things on different routes.
ROUTE_PATH_VALUES: dict[tuple[Key, str], Callable[[World], object]] = {
    (("GET", "/api/v1/inspections/<uuid:record_id>/history"), "record_id"): lambda w: w.inspection,
    (("GET", "/api/v1/findings/<uuid:record_id>/history"), "record_id"): lambda w: w.finding,
    (("GET", "/api/v1/leads/<uuid:record_id>/history"), "record_id"): make_lead,
    (("PUT", "/api/v1/blobs/<string:sha256>"), "sha256"): lambda w: hashlib.sha256(PNG).hexdigest(),
    (("GET", "/api/v1/blobs/<string:sha256>"), "sha256"): make_listed_blob,
    (("GET", "/api/v1/leads/<uuid:lead_id>/referral-packet"), "lead_id"): make_referred_lead,
    (("POST", "/api/v1/inspections/<uuid:inspection_id>/approve"), "inspection_id"): submitted_inspection,
    (("POST", "/api/v1/inspections/<uuid:inspection_id>/return"), "inspection_id"): submitted_inspection,
    (("GET", "/api/v1/inspections/<uuid:inspection_id>/report.pdf"), "inspection_id"): submitted_inspection,
    (("POST", "/api/v1/inspections/<uuid:inspection_id>/unassign"), "inspection_id"): fresh_assignment,
}


def _login_body(world: World, persona: Persona | None) -> dict[str, Any]:
    if persona is None:
        return {"username": world.investigator.username, "password": "not the password"}
    return {"username": persona.username, "password": PASSWORD, "device_id": str(persona.device_id)}


def _totp_code(world: World, persona: Persona | None, *, enabled: bool) -> str:
    """A current code of the persona's second factor, started (or, ``enabled``, enrolled) here."""
    from inspector.auth import totp
    from inspector.db import utcnow
    from inspector.extensions import db
    from inspector.offices.models import User

    if persona is None:
        return "000000"
    with world.app.app_context():
        user = db.session.get(User, persona.id)
        assert user is not None
        user.totp_secret = totp.new_secret()
        user.totp_enabled_at = utcnow() if enabled else None
        user.totp_last_step = None
        db.session.commit()
        return totp.current_code(user.totp_secret)


def _device_of(persona: Persona | None) -> str:
    return str(persona.device_id if persona else uuid.uuid4())


#: Request bodies, valid enough to reach the authorization check (and to succeed for
#: the personas the row allows). ``persona`` is None for anonymous. A body may be Raw.
BODIES: dict[Key, Callable[[World, Persona | None], Any]] = {
    ("POST", "/api/v1/auth/login"): _login_body,
    ("POST", "/api/v1/auth/token"): _login_body,
    ("POST", "/api/v1/auth/totp/confirm"): lambda w, p: {"code": _totp_code(w, p, enabled=False)},
    ("POST", "/api/v1/auth/totp/disable"): lambda w, p: {
        "password": PASSWORD,
        "code": _totp_code(w, p, enabled=True),
    },
    ("POST", "/api/v1/field-offices"): lambda w, p: {"name": "Dallas", "states": ["OK", "AR"]},
    ("POST", "/api/v1/users"): lambda w, p: {
        "username": "new-investigator",
        "display_name": "New Investigator",
        "role": "investigator",
        "field_office_id": str(w.houston),
        "password": "a long enough new password",
    },
    ("PATCH", "/api/v1/users/<uuid:user_id>"): lambda w, p: {"display_name": "Ines Renamed"},
    ("POST", "/api/v1/users/<uuid:user_id>/reset-password"): lambda w, p: {
        "password": "a long enough new password"
    },
    ("PATCH", "/api/v1/field-offices/<uuid:office_id>"): lambda w, p: {"name": "Houston Field Office"},
    ("POST", "/api/v1/licensee-imports"): listing_upload,
    ("POST", "/api/v1/inspections/<uuid:inspection_id>/reassign"): lambda w, p: {
        "investigator_id": str(colleague(w))
    },
    ("POST", "/api/v1/sync/push"): lambda w, p: {
        "device_id": _device_of(p),
        "schema_version": 1,
        "changes": [],
    },
    ("POST", "/api/v1/conflicts/<uuid:conflict_id>/resolve"): lambda w, p: {"resolution": "keep_server"},
    ("POST", "/api/v1/inspections/<uuid:inspection_id>/approve"): lambda w, p: {
        "decided_outcome": "warning_letter"
    },
    ("POST", "/api/v1/inspections/<uuid:inspection_id>/return"): lambda w, p: {"comment": "Recount."},
    ("PUT", "/api/v1/blobs/<string:sha256>"): lambda w, p: Raw(PNG, "image/png"),
    ("POST", "/api/v1/leads/<uuid:lead_id>/refer"): lambda w, p: {
        "agency": "ATF special agents",
        "referred_on": "2026-11-29",
        "reference": "ATF-2026-0042",
    },
    ("POST", "/api/v1/leads/<uuid:lead_id>/close"): lambda w, p: {"result": "Case opened by the agency."},
    ("POST", "/api/v1/queues/<uuid:investigator_id>/assignments"): lambda w, p: {
        "licensee_ids": [str(fresh_licensee(w))],
        "due_date": "2026-12-20",
        "type": "compliance",
    },
    ("PUT", "/api/v1/queues/<uuid:investigator_id>/order"): lambda w, p: {
        "inspection_ids": [str(w.inspection)]
    },
    ("POST", "/api/v1/leads/<uuid:lead_id>/extend"): lambda w, p: {
        "purge_after": "2030-01-01T00:00:00Z",
        "reason": "Prosecution pending.",
    },
}

#: Query strings, per route (``persona`` is None for anonymous).
QUERIES: dict[Key, Callable[[World, Persona | None], dict[str, Any]]] = {
    ("GET", "/api/v1/sync/pull"): lambda w, p: {"device_id": _device_of(p), "schema_version": 1},
    ("GET", "/api/v1/ranked-licensees"): lambda w, p: {"field_office_id": str(w.houston)},
    ("GET", "/api/v1/dashboard"): lambda w, p: {"field_office_id": str(w.houston)},
    ("GET", "/api/v1/dashboard/<string:series>.csv"): lambda w, p: {"field_office_id": str(w.houston)},
}

#: Which token a persona's client presents (default: the access token as Bearer).
CREDENTIALS: dict[Key, str] = {
    ("POST", "/api/v1/auth/refresh"): "refresh",
}

#: The problem type each refused status carries, unless a cell says otherwise in SLUGS.
DEFAULT_SLUGS = {401: "unauthorized", 403: "forbidden", 404: "not-found"}
#: (key, persona) -> slug, for cells whose refusal is not the default slug of its status.
SLUGS: dict[tuple[Key, str], str] = {}

_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def api_routes(app: Flask) -> set[Key]:
    """(METHOD, rule) of every API route the app serves, as the matrix keys them."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX) or rule.rule in EXCLUDED_RULES:
            continue
        for method in (rule.methods or set()) - IMPLICIT_METHODS:
            routes.add((method, rule.rule))
    return routes


def path_value(key: Key, name: str) -> Callable[[World], object]:
    maker = ROUTE_PATH_VALUES.get((key, name)) or PATH_VALUES.get(name)
    if maker is None:
        raise AssertionError(f"add a PATH_VALUES entry for <{name}> (used by {key[0]} {key[1]})")
    return maker


def url_for_route(key: Key, world: World) -> str:
    return _ARGUMENT.sub(lambda match: str(path_value(key, match.group(1))(world)), key[1])


def client_for(world: World, persona: Persona | None, credential: str) -> FlaskClient:
    if persona is None:
        return world.app.test_client()
    if credential == "access":
        return world.client(persona)
    client = world.app.test_client()
    token = world.tokens(persona)[credential]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def request_options(key: Key, world: World, persona: Persona | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if key in QUERIES:
        options["query_string"] = QUERIES[key](world, persona)
    if key in BODIES:
        body = BODIES[key](world, persona)
        if isinstance(body, Raw):
            options.update(data=body.data, content_type=body.content_type)
        else:
            options["json"] = body
    return options


CELLS = [(key, persona) for key in MATRIX for persona in PERSONAS]


@pytest.mark.parametrize(("key", "persona_name"), CELLS, ids=[f"{m} {r} {p}" for (m, r), p in CELLS])
def test_cell(world: World, key: Key, persona_name: str) -> None:
    method, rule = key
    expected = MATRIX[key][PERSONAS.index(persona_name)]
    persona = None if persona_name == "anonymous" else world.persona(persona_name)
    client = client_for(world, persona, CREDENTIALS.get(key, "access"))

    url = url_for_route(key, world)  # may set the scene first (a conflict, a lead, a blob)
    response = client.open(url, method=method, **request_options(key, world, persona))

    body = response.get_data()  # bytes: a blob is not text
    assert response.status_code == expected, (
        f"{method} {rule} as {persona_name}: expected {expected}, "
        f"got {response.status_code} {body[:300].decode(errors='replace')}"
    )
    assert b"$argon2" not in body
    if not 200 <= response.status_code < 300:
        slug = SLUGS.get((key, persona_name), DEFAULT_SLUGS.get(response.status_code))
        assert_problem(response, expected, slug)


def test_matrix_covers_every_route(app: Flask) -> None:
    served = api_routes(app)
    missing = sorted(served - MATRIX.keys())
    assert not missing, f"routes without a row in MATRIX: {missing}"


def test_matrix_has_no_row_for_a_route_that_is_gone(app: Flask) -> None:
    stale = sorted(MATRIX.keys() - api_routes(app))
    assert not stale, f"rows in MATRIX for routes the app does not serve: {stale}"


def test_helper_tables_name_only_matrix_routes() -> None:
    for table in (BODIES, QUERIES, CREDENTIALS):
        stray = sorted(set(table) - MATRIX.keys())
        assert not stray, f"entries for routes not in MATRIX: {stray}"
    stray = sorted(key for key, _name in ROUTE_PATH_VALUES if key not in MATRIX)
    assert not stray, f"ROUTE_PATH_VALUES for routes not in MATRIX: {stray}"
    assert set(CREDENTIALS.values()) <= {"access", "refresh"}
    assert {key for key, _persona in SLUGS} <= MATRIX.keys()


def test_every_path_argument_has_a_value() -> None:
    for key in MATRIX:
        for name in _ARGUMENT.findall(key[1]):
            path_value(key, name)


def test_every_row_names_a_status_for_every_persona() -> None:
    for key, row in MATRIX.items():
        assert len(row) == len(PERSONAS), key
        assert all(100 <= status <= 599 for status in row), key


def test_personas_are_those_of_the_world(world: World) -> None:
    for name in PERSONAS[1:]:
        assert isinstance(world.persona(name), Persona)
    # the objects in paths belong to the investigator's office, not the other one
    assert world.investigator.office_id == world.reviewer.office_id == world.houston
    assert world.investigator_other.office_id == world.reviewer_other.office_id == world.phoenix


def test_the_openapi_document_is_public(client: FlaskClient) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_an_unknown_id_is_404_even_for_admins(world: World) -> None:
    """The 200s above are real lookups: the same route with an unknown id is 404."""
    client = world.client(world.admin)
    for method, rule in MATRIX:
        if method != "GET" or "<uuid:" not in rule:
            continue
        url = _ARGUMENT.sub(lambda _m: str(uuid.uuid4()), rule)
        assert_problem(client.get(url), 404, "not-found")


def test_admins_read_a_leads_history_without_its_content(world: World) -> None:
    """Admins administer, they do not investigate: a lead's history comes to them redacted."""
    lead = make_lead(world)
    url = f"/api/v1/leads/{lead}/history"
    own = world.client(world.investigator).get(url)
    assert own.status_code == 200
    assert "Several handguns" in own.get_data(as_text=True)
    redacted = world.client(world.admin).get(url)
    assert redacted.status_code == 200
    assert "Several handguns" not in redacted.get_data(as_text=True)

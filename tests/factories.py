"""Small builders for test data: personas, licensees, inspections, and logged-in clients."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(10001)


@cache
def password_hash() -> str:
    """Every test persona shares one argon2id hash, made with low cost parameters.

    argon2 verifies with the parameters stored in the hash, so logins in tests
    run the real verification, just without the production cost (~100 ms each).
    """
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@dataclass
class Persona:
    """A user the tests act as, with what is needed to log in or call the API."""

    id: uuid.UUID
    username: str
    role: str
    office_id: uuid.UUID | None
    device_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class World:
    app: Flask
    houston: uuid.UUID
    phoenix: uuid.UUID
    investigator: Persona
    investigator_other: Persona
    reviewer: Persona
    reviewer_other: Persona
    admin: Persona
    licensee: uuid.UUID  # Houston (TX)
    licensee_other: uuid.UUID  # Phoenix (AZ)
    inspection: uuid.UUID  # investigator's, Houston
    inspection_other: uuid.UUID  # investigator_other's, Phoenix
    finding: uuid.UUID  # in inspection
    finding_other: uuid.UUID  # in inspection_other
    checklist: uuid.UUID

    def persona(self, name: str) -> Persona:
        return getattr(self, name)  # type: ignore[no-any-return]

    def tokens(self, persona: Persona, *, device: bool = True, otp: str | None = None) -> dict[str, str]:
        """A token pair for the persona, issued the way a login issues it (``otp``: second factor code)."""
        with self.app.app_context():
            from inspector.auth.service import login
            from inspector.extensions import db

            result = login(
                db.session,
                username=persona.username,
                password=PASSWORD,
                device_id=persona.device_id if device else None,
                address="127.0.0.1",
                otp=otp,
            )
            db.session.commit()
            assert result.tokens is not None, result.problem
            return {"access": result.tokens.access_token, "refresh": result.tokens.refresh_token}

    def client(self, persona: Persona, *, device: bool = True) -> FlaskClient:
        """A test client that sends the persona's access token as Bearer."""
        client = self.app.test_client()
        token = self.tokens(persona, device=device)["access"]
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client


def add_user(session: Any, username: str, role: str, office_id: uuid.UUID | None) -> Persona:
    from inspector.offices.models import User

    user = User(
        username=username,
        display_name=username.title(),
        role=role,
        field_office_id=office_id,
        password_hash=password_hash(),
    )
    session.add(user)
    session.flush()
    return Persona(user.id, username, role, office_id)


def record_written(session: Any, entity: str, record: Any) -> None:
    """Test data goes through the same journal as every server-side write."""
    from inspector.sync.service import record_written as journal

    journal(session, entity, record)


def add_licensee(session: Any, state: str, office_id: uuid.UUID | None, **fields: Any) -> uuid.UUID:
    from inspector.licensees.models import Licensee
    from inspector.licensees.numbers import parse_license_number

    region = "9" if state in {"AZ", "CA"} else "5"
    number = parse_license_number(
        f"{region}-74-201-{fields.pop('license_type', '01')}-7F-{next(_sequence):05d}"
    )
    licensee = Licensee(
        license_number=number.normalised,
        region=number.region,
        district=number.district,
        county_code=number.county,
        license_type=number.license_type,
        expiration_code=number.expiration,
        sequence=number.sequence,
        license_name=fields.pop("license_name", f"TEST DEALER {number.sequence}"),
        premises_street="1 Main St",
        premises_city=fields.pop("premises_city", "Testville"),
        premises_state=state,
        premises_zip="77001",
        field_office_id=office_id,
        **fields,
    )
    session.add(licensee)
    session.flush()
    record_written(session, "licensee", licensee)
    return licensee.id


def add_inspection(session: Any, licensee_id: uuid.UUID, investigator: Persona, **fields: Any) -> uuid.UUID:
    from inspector.checklists.service import current_checklist
    from inspector.inspections.models import Inspection

    inspection = Inspection(
        licensee_id=licensee_id,
        checklist_id=current_checklist(session).id,
        investigator_id=investigator.id,
        field_office_id=investigator.office_id,
        type=fields.pop("type", "compliance"),
        status=fields.pop("status", "assigned"),
        due_date=fields.pop("due_date", date(2026, 12, 15)),
        **fields,
    )
    session.add(inspection)
    session.flush()
    record_written(session, "inspection", inspection)
    return inspection.id


def add_finding(
    session: Any, inspection_id: uuid.UUID, item_key: str = "license-posted", **fields: Any
) -> uuid.UUID:
    from inspector.inspections.models import Finding

    finding = Finding(
        inspection_id=inspection_id,
        item_key=item_key,
        result=fields.pop("result", "compliant"),
        **fields,
    )
    session.add(finding)
    session.flush()
    record_written(session, "finding", finding)
    return finding.id


def build_world(app: Flask) -> World:
    from inspector.checklists.service import current_checklist
    from inspector.extensions import db
    from inspector.offices.models import FieldOffice, OfficeState

    with app.app_context():
        session = db.session
        houston = FieldOffice(name="Houston", coverage=[OfficeState(state="TX"), OfficeState(state="NM")])
        phoenix = FieldOffice(name="Phoenix", coverage=[OfficeState(state="AZ"), OfficeState(state="CA")])
        session.add_all([houston, phoenix])
        session.flush()
        investigator = add_user(session, "ines", "investigator", houston.id)
        investigator_other = add_user(session, "pat", "investigator", phoenix.id)
        reviewer = add_user(session, "ray", "reviewer", houston.id)
        reviewer_other = add_user(session, "rita", "reviewer", phoenix.id)
        admin = add_user(session, "ada", "admin", None)
        licensee = add_licensee(
            session, "TX", houston.id, license_name="LONE STAR GUNS LLC", premises_city="El Paso"
        )
        licensee_other = add_licensee(
            session, "AZ", phoenix.id, license_name="SAGUARO PAWN LLC", premises_city="Tucson"
        )
        inspection = add_inspection(session, licensee, investigator)
        inspection_other = add_inspection(session, licensee_other, investigator_other)
        finding = add_finding(session, inspection)
        finding_other = add_finding(session, inspection_other)
        world = World(
            app=app,
            houston=houston.id,
            phoenix=phoenix.id,
            investigator=investigator,
            investigator_other=investigator_other,
            reviewer=reviewer,
            reviewer_other=reviewer_other,
            admin=admin,
            licensee=licensee,
            licensee_other=licensee_other,
            inspection=inspection,
            inspection_other=inspection_other,
            finding=finding,
            finding_other=finding_other,
            checklist=current_checklist(session).id,
        )
        session.commit()
        return world


PERSONAS = ("investigator", "investigator_other", "reviewer", "reviewer_other", "admin")

"""Demo data for ``make run``: two offices, four accounts, ~200 licensees, queued inspections.

Development mode only; production never seeds demo accounts.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.auth.passwords import hash_password
from inspector.checklists.service import current_checklist
from inspector.inspections.models import Inspection
from inspector.licensees.models import Licensee
from inspector.licensees.numbers import MONTH_LETTERS, format_license_number, parse_license_number
from inspector.offices.models import FieldOffice, OfficeState, User
from inspector.sync.service import record_written

OFFICES = {"Houston": ("TX", "NM"), "Phoenix": ("AZ", "CA")}
ACCOUNTS = (
    ("investigator", "Ines Investigator", "investigator", "Houston"),
    ("reviewer", "Ray Reviewer", "reviewer", "Houston"),
    ("investigator2", "Pat Investigator", "investigator", "Phoenix"),
    ("admin", "Ada Admin", "admin", None),
)
#: state -> (region, districts, cities with county name and FIPS code, zip prefix)
GEOGRAPHY = {
    "TX": (
        "5",
        ("74", "75", "76"),
        (
            ("Houston", "Harris", "201"),
            ("El Paso", "El Paso", "141"),
            ("Laredo", "Webb", "479"),
            ("San Antonio", "Bexar", "029"),
        ),
        "77",
    ),
    "NM": (
        "5",
        ("85",),
        (("Albuquerque", "Bernalillo", "001"), ("Las Cruces", "Dona Ana", "013")),
        "87",
    ),
    "AZ": (
        "9",
        ("86",),
        (
            ("Phoenix", "Maricopa", "013"),
            ("Tucson", "Pima", "019"),
            ("Nogales", "Santa Cruz", "023"),
        ),
        "85",
    ),
    "CA": (
        "9",
        ("33", "95"),
        (
            ("San Diego", "San Diego", "073"),
            ("Calexico", "Imperial", "025"),
            ("Fresno", "Fresno", "019"),
        ),
        "92",
    ),
}
NAMES = (
    "Lone Star",
    "Border",
    "Desert",
    "Mesa",
    "Canyon",
    "Frontier",
    "Gulf Coast",
    "Sierra",
    "Pecos",
    "Rio Grande",
    "Saguaro",
    "Coyote",
    "Red Rock",
    "Sun Valley",
    "Pacific",
    "Alamo",
)
KINDS = (
    ("Guns & Ammo", "01"),
    ("Pawn", "02"),
    ("Outfitters", "01"),
    ("Arms Manufacturing", "07"),
    ("Imports", "08"),
    ("Sporting Goods", "01"),
    ("Collectibles", "03"),
    ("Ammunition Works", "06"),
)
STREETS = (
    "Main St",
    "Border Rd",
    "Highway 90",
    "Mesa Blvd",
    "Ranch Rd",
    "Commerce St",
    "Broadway",
    "Grand Ave",
)


def database_is_empty(session: Session) -> bool:
    return session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def seed_demo(session: Session, password: str, licensees_per_state: int = 50) -> dict[str, int]:
    """Create the demo world; deterministic, so screenshots and tests are stable."""
    rng = random.Random(926)
    offices: dict[str, FieldOffice] = {}
    for name, states in OFFICES.items():
        offices[name] = FieldOffice(name=name, coverage=[OfficeState(state=s) for s in states])
        session.add(offices[name])
    session.flush()
    password_hash = hash_password(password)
    users: dict[str, User] = {}
    for username, display_name, role, office in ACCOUNTS:
        users[username] = User(
            username=username,
            display_name=display_name,
            role=role,
            field_office_id=offices[office].id if office else None,
            password_hash=password_hash,
        )
        session.add(users[username])
    office_of_state = {s: offices[name] for name, states in OFFICES.items() for s in states}
    licensees: list[Licensee] = []
    sequence = 1000
    for state, (region, districts, cities, zip_prefix) in GEOGRAPHY.items():
        for i in range(licensees_per_state):
            sequence += 7
            city, county, fips = cities[i % len(cities)]
            kind, license_type = KINDS[rng.randrange(len(KINDS))]
            name = f"{NAMES[rng.randrange(len(NAMES))]} {kind}"
            expiration = f"{rng.randrange(10)}{MONTH_LETTERS[rng.randrange(12)]}"
            number = parse_license_number(
                format_license_number(
                    region,
                    districts[i % len(districts)],
                    fips,
                    license_type,
                    expiration,
                    f"{sequence:05d}",
                )
            )
            inspected = rng.random() < 0.7
            licensee = Licensee(
                license_number=number.normalised,
                region=number.region,
                district=number.district,
                county_code=number.county,
                license_type=number.license_type,
                expiration_code=number.expiration,
                sequence=number.sequence,
                license_name=f"{name.upper()} LLC",
                business_name=name,
                premises_street=f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}",
                premises_city=city,
                premises_state=state,
                premises_zip=f"{zip_prefix}{rng.randrange(100, 999)}",
                county=county,
                phone=f"({rng.randrange(200, 999)}) 555-{rng.randrange(1000, 9999)}",
                field_office_id=office_of_state[state].id,
                last_inspection_date=date(2026, 11, 1) - timedelta(days=rng.randrange(200, 2500))
                if inspected
                else None,
                last_inspection_outcome=rng.choice(
                    ("no_violations", "report_of_violations", "warning_letter")
                )
                if inspected
                else None,
            )
            licensees.append(licensee)
    session.add_all(licensees)
    session.flush()
    for licensee in licensees:
        record_written(session, "licensee", licensee)
    checklist = current_checklist(session)
    inspections = 0
    for username in ("investigator", "investigator2"):
        investigator = users[username]
        candidates = [lic for lic in licensees if lic.field_office_id == investigator.field_office_id]
        for n, licensee in enumerate(rng.sample(candidates, 6)):
            inspection = Inspection(
                licensee_id=licensee.id,
                checklist_id=checklist.id,
                investigator_id=investigator.id,
                field_office_id=licensee.field_office_id,
                created_by=users["admin"].id,
                type="compliance" if licensee.last_inspection_date else "application",
                status="assigned",
                due_date=date(2026, 12, 1) + timedelta(days=7 * n),
                priority=6 - n,
            )
            session.add(inspection)
            session.flush()
            record_written(session, "inspection", inspection, user_id=users["admin"].id)
            inspections += 1
    session.flush()
    return {
        "field_offices": len(offices),
        "users": len(users),
        "licensees": len(licensees),
        "inspections": inspections,
    }

"""CSV export benchmark on PostgreSQL: 100,000 rows (10,000 inspections x 10 findings).

Run with ``make bench`` or ``python bench/export_bench.py [--inspections N]``. Times
``GET /api/v1/inspections/export.csv`` as a reviewer through the app (read to the last
byte), then reads it again under ``tracemalloc`` for the peak Python memory, also for a
tenth of the rows (``?investigator_id=``): a streamed export's peak does not grow with
the rows (``export_100k_peak_mib`` is about ``export_10k_peak_mib``), one built in memory
would grow tenfold. Uses its own database (``BENCH_EXPORT_DATABASE_URL``, default
``inspector_bench_export``), created from the migrations and dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.import_bench import drop
from bench.prodserver import rebuild_database
from inspector import create_app
from inspector.extensions import db

BENCH_URL = os.environ.get(
    "BENCH_EXPORT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/inspector_bench_export"
)
PASSWORD = "bench password long enough"


def make_app(database_url: str) -> Any:
    from flask_migrate import upgrade

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "MFA_REQUIRED_ROLES": (),
        }
    )
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    return app


def seed(app: Any, inspections: int) -> uuid.UUID:
    """One office, a reviewer, two investigators (a tenth and the rest), findings in bulk."""
    from inspector.auth.passwords import hash_password
    from inspector.checklists.models import ChecklistItem
    from inspector.checklists.service import current_checklist
    from inspector.inspections.models import Finding, Inspection
    from inspector.licensees.models import Licensee
    from inspector.offices.models import FieldOffice, OfficeState, User

    with app.app_context():
        office = FieldOffice(name="Houston", coverage=[OfficeState(state="TX")])
        db.session.add(office)
        db.session.flush()
        password = hash_password(PASSWORD)
        people = {
            name: User(
                username=name,
                display_name=name.title(),
                role=role,
                field_office_id=office.id,
                password_hash=password,
            )
            for name, role in (("reviewer", "reviewer"), ("few", "investigator"), ("many", "investigator"))
        }
        db.session.add_all(people.values())
        checklist = current_checklist(db.session)
        keys = list(
            db.session.scalars(
                sa.select(ChecklistItem.key)
                .where(ChecklistItem.checklist_id == checklist.id)
                .order_by(ChecklistItem.position)
            )
        )[:10]
        licensees = [
            {
                "id": uuid.uuid4(),
                "license_number": f"5-74-201-01-7F-{n:05d}",
                "region": "5",
                "district": "74",
                "county_code": "201",
                "license_type": "01",
                "expiration_code": "7F",
                "sequence": f"{n:05d}",
                "license_name": f"BENCH DEALER {n} LLC",
                "premises_street": "1 Main St",
                "premises_city": "Houston",
                "premises_state": "TX",
                "premises_zip": "77001",
                "field_office_id": office.id,
            }
            for n in range(1, 101)
        ]
        db.session.execute(sa.insert(Licensee), licensees)
        db.session.flush()
        rows = []
        for n in range(inspections):
            investigator = people["few"] if n < inspections // 10 else people["many"]
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "licensee_id": licensees[n % len(licensees)]["id"],
                    "checklist_id": checklist.id,
                    "investigator_id": investigator.id,
                    "field_office_id": office.id,
                    "type": "compliance",
                    "status": "submitted",
                    "due_date": date(2026, 12, 1),
                    "attachments": [],
                    "recommended_outcome": "warning_letter",
                }
            )
        db.session.execute(sa.insert(Inspection), rows)
        findings = [
            {
                "id": uuid.uuid4(),
                "inspection_id": row["id"],
                "item_key": key,
                "result": "violation" if k == 0 else "compliant",
                "instances": 2 if k == 0 else 0,
                "note": "Two transfers without a complete 4473; see binder 3, pages 12 and 14.",
                "attachments": [],
            }
            for row in rows
            for k, key in enumerate(keys)
        ]
        for start in range(0, len(findings), 20_000):
            db.session.execute(sa.insert(Finding), findings[start : start + 20_000])
        db.session.commit()
        return people["few"].id


def export(client: Any, token: str, query: str = "") -> tuple[int, int]:
    """Read the whole export; (rows, bytes)."""
    response = client.get(
        f"/api/v1/inspections/export.csv{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response.is_streamed, response.status_code
    rows = size = 0
    for chunk in response.iter_encoded():
        rows += chunk.count(b"\r\n")
        size += len(chunk)
    response.close()
    return rows - 1, size


def peak_mib(client: Any, token: str, query: str = "") -> tuple[int, float]:
    tracemalloc.start()
    try:
        rows, _size = export(client, token, query)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return rows, peak / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspections", type=int, default=10_000)
    args = parser.parse_args()
    rebuild_database(BENCH_URL)
    try:
        app = make_app(BENCH_URL)
        few = seed(app, args.inspections)
        client = app.test_client()
        login = {"username": "reviewer", "password": PASSWORD}
        token = client.post("/api/v1/auth/token", json=login).get_json()["access_token"]
        export(client, token, f"?investigator_id={few}")  # warm up (imports, plans)
        started = time.perf_counter()
        rows, size = export(client, token)
        seconds = time.perf_counter() - started
        small_rows, small_peak = peak_mib(client, token, f"?investigator_id={few}")
        big_rows, big_peak = peak_mib(client, token)
        with app.app_context():
            db.engine.dispose()
    finally:
        drop(BENCH_URL)
    assert rows == big_rows == args.inspections * 10, (rows, big_rows)
    print(f"export: {rows:,} rows, {size / 1e6:.1f} MB in {seconds:.2f} s ({rows / seconds:,.0f} rows/s)")
    print(
        f"peak Python memory: {small_peak:.1f} MiB for {small_rows:,} rows, {big_peak:.1f} MiB for {big_rows:,} rows"
    )
    print(
        json.dumps(
            {
                "export_100k_s": round(seconds, 3),
                "export_100k_peak_mib": round(big_peak, 2),
                "export_10k_peak_mib": round(small_peak, 2),
            }
        )
    )
    # streamed: ten times the rows may not take much more memory
    return 0 if big_peak < 2 * small_peak + 5 else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Licensee import benchmark on PostgreSQL: ATF's listing of 130,000 rows, dry run and apply.

Run with ``make bench`` or ``python bench/import_bench.py [--rows N]``. Generates a
tab-delimited listing (national: every state, four field offices covering some of
them), then times, through the same worker the API starts (``run_import``):

- the dry run of the whole file (checks and counts, writes nothing);
- the apply into an empty directory (``import_130k_s``; target < 60 s);
- the apply of next month's listing: 10% renewed (new expiration code), the rest
  unchanged (``import_130k_renewal_s``).

Every add and change is journaled (version row + feed entry), as in production.
Uses its own database (``BENCH_IMPORT_DATABASE_URL``, default ``inspector_bench_import``),
created from the migrations and dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.prodserver import rebuild_database
from bench.sync_bench import make_app
from inspector.extensions import db
from inspector.licensees.listing import COLUMNS
from inspector.licensees.numbers import LICENSE_TYPES, MONTH_LETTERS
from inspector.offices.states import STATES

BENCH_URL = os.environ.get(
    "BENCH_IMPORT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/inspector_bench_import"
)
ROWS = 130_000
TARGET_S = 60.0
OFFICES = {"Houston": ("TX", "NM"), "Phoenix": ("AZ", "CA"), "Atlanta": ("GA", "FL"), "Denver": ("CO", "UT")}
REGIONS = "1345689"


def generate(rows: int, *, renewed: float = 0.0, seed: int = 7) -> bytes:
    """A listing like ATF's: ``renewed`` of the licensees carry next year's expiration code."""
    rng = random.Random(seed)
    states = sorted(STATES)
    types = sorted(LICENSE_TYPES)
    out = io.StringIO()
    out.write("\t".join(COLUMNS) + "\n")
    renew = random.Random(seed + 1)
    for n in range(rows):
        region = REGIONS[n % len(REGIONS)]
        district = f"{(n // len(REGIONS)) % 99 + 1:02d}"
        sequence = f"{n // (len(REGIONS) * 99) + 1:05d}"
        year = rng.randrange(10)
        if renew.random() < renewed:
            year = (year + 1) % 10
        state = states[rng.randrange(len(states))]
        name = f"BENCH DEALER {n}"
        out.write(
            "\t".join(
                (
                    region,
                    district,
                    f"{rng.randrange(1, 999):03d}",
                    types[rng.randrange(len(types))],
                    f"{year}{MONTH_LETTERS[rng.randrange(12)]}",
                    sequence,
                    f"{name} LLC",
                    name.title(),
                    f"{rng.randrange(1, 9999)} Main St",
                    "Springfield",
                    state,
                    f"{rng.randrange(10000, 99999)}",
                    f"PO Box {rng.randrange(1, 999)}",
                    "Springfield",
                    state,
                    f"{rng.randrange(10000, 99999)}{rng.randrange(1000, 9999)}",
                    f"{rng.randrange(200, 999)}555{rng.randrange(1000, 9999)}",
                )
            )
            + "\n"
        )
    return out.getvalue().encode()


def timed_import(
    app: object, admin_id: uuid.UUID, data: bytes, *, dry_run: bool
) -> tuple[float, dict[str, object]]:
    from inspector.licensees import imports
    from inspector.licensees.models import LicenseeImport
    from inspector.offices.models import User

    with app.app_context():  # type: ignore[attr-defined]
        admin = db.session.get(User, admin_id)
        assert admin is not None
        report, path = imports.start_import(
            db.session, admin, io.BytesIO(data), filename="bench.txt", dry_run=dry_run, address=None
        )
        db.session.commit()
        import_id = report.id
    started = time.perf_counter()
    imports.run_import(app, import_id, path)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    with app.app_context():  # type: ignore[attr-defined]
        done = db.session.get(LicenseeImport, import_id)
        assert done is not None
        doc = imports.report_doc(done)
    assert doc["status"] == "done", doc
    return seconds, doc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args()

    from inspector.offices.models import FieldOffice, OfficeState, User

    data = generate(args.rows)
    renewal = generate(args.rows, renewed=0.1)
    print(f"listing: {args.rows:,} rows, {len(data) / 1e6:.1f} MB")
    rebuild_database(BENCH_URL)
    try:
        app = make_app(BENCH_URL)
        with app.app_context():
            for name, states in OFFICES.items():
                db.session.add(FieldOffice(name=name, coverage=[OfficeState(state=s) for s in states]))
            admin = User(username="bench-admin", display_name="Bench", role="admin", password_hash="-")
            db.session.add(admin)
            db.session.commit()
            admin_id = admin.id
        dry_s, dry = timed_import(app, admin_id, data, dry_run=True)
        apply_s, applied = timed_import(app, admin_id, data, dry_run=False)
        renew_s, renewed = timed_import(app, admin_id, renewal, dry_run=False)
        with app.app_context():
            stored = db.session.scalar(sa.text("SELECT count(*) FROM licensees"))
            versions = db.session.scalar(
                sa.text("SELECT count(*) FROM record_versions WHERE entity = 'licensee'")
            )
        with app.app_context():
            db.engine.dispose()
    finally:
        drop(BENCH_URL)
    assert stored == args.rows and applied["added"] == args.rows, (stored, applied)
    print(f"dry run:        {dry_s:6.1f} s  ({dry['added']:,} to add)")
    print(f"apply (empty):  {apply_s:6.1f} s  ({applied['added']:,} added)")
    print(
        f"apply renewal:  {renew_s:6.1f} s  ({renewed['updated']:,} updated, {renewed['unchanged']:,} unchanged)"
    )
    print(f"licensees stored: {stored:,}; licensee versions journaled: {versions:,}")
    print(f"{'import_130k_s':<28}{apply_s:>12.2f}  < {TARGET_S:.0f}")
    print(
        json.dumps(
            {
                "import_130k_s": round(apply_s, 3),
                "import_130k_dry_run_s": round(dry_s, 3),
                "import_130k_renewal_s": round(renew_s, 3),
            }
        )
    )
    return 0 if apply_s < TARGET_S else 1


def drop(database_url: str) -> None:
    url = sa.engine.make_url(database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())

"""Deconfliction benchmark on PostgreSQL: matching one new lead against 1,000,000 stored
firearms (100,000 leads of 10 firearms each, plus their licensee keys).

Run with ``make bench`` (after the sync figures) or ``python bench/leads_bench.py``.
Prints a line per figure, then one JSON line: ``deconflict_1m_ms`` (median; target <= 50).
Uses its own database (``BENCH_LEADS_DATABASE_URL``, default ``inspector_bench_leads``),
rebuilt from the migrations.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.prodserver import rebuild_database
from bench.sync_bench import make_app
from inspector.extensions import db

BENCH_URL = os.environ.get(
    "BENCH_LEADS_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/inspector_bench_leads"
)
LEADS = 100_000
FIREARMS_PER_LEAD = 10
RUNS = 31


def fill(office: uuid.UUID, user: uuid.UUID) -> None:
    """100,000 leads with 10 firearms each, and their match keys, in a few statements."""
    params = {"office": office, "user": user, "leads": LEADS, "per": FIREARMS_PER_LEAD}
    db.session.execute(
        sa.text(
            """
            INSERT INTO leads (id, version, created_at, updated_at, open_conflicts, missing_blobs,
                created_by, field_office_id, status, indicators, narrative, firearms, subjects,
                attachments, purge_after, match_count)
            SELECT md5('lead' || n)::uuid, 1, now(), now(), 0, false, :user, :office, 'submitted',
                '["multiple-sales"]'::jsonb, 'bench narrative',
                (SELECT jsonb_agg(jsonb_build_object('make', 'Glock', 'model', '19',
                    'serial', 'BN' || n || 'X' || k)) FROM generate_series(1, :per) k),
                '[]'::jsonb, '[]'::jsonb, now() + interval '2 years', 0
            FROM generate_series(1, :leads) n
            """
        ),
        params,
    )
    db.session.execute(
        sa.text(
            """
            INSERT INTO lead_match_keys (lead_id, kind, key_hash, make)
            SELECT md5('lead' || n)::uuid, 'serial', 'serial:BN' || n || 'X' || k, 'GLOCK'
            FROM generate_series(1, :leads) n, generate_series(1, :per) k
            """
        ),
        params,
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE leads"))
        conn.execute(sa.text("VACUUM ANALYZE lead_match_keys"))


def main() -> None:
    from inspector.leads.models import Lead
    from inspector.leads.service import deconflict
    from inspector.offices.models import FieldOffice, User

    rebuild_database(BENCH_URL)
    app = make_app(BENCH_URL)
    with app.app_context():
        office = FieldOffice(name="Bench office")
        db.session.add(office)
        db.session.flush()
        user = User(
            username="bench-investigator",
            display_name="Bench",
            role="investigator",
            field_office_id=office.id,
            password_hash="-",
        )
        db.session.add(user)
        db.session.commit()
        office_id, user_id = office.id, user.id
        started = time.perf_counter()
        fill(office_id, user_id)
        firearms = db.session.scalar(sa.text("SELECT count(*) FROM lead_match_keys WHERE kind = 'serial'"))
        print(f"stored: {firearms:,} firearms in {LEADS:,} leads ({time.perf_counter() - started:.1f} s)")

        times: list[float] = []
        for run in range(RUNS):
            # a new lead naming three firearms, one of them already in a stored lead, and a subject
            lead = Lead(
                created_by=user_id,
                field_office_id=office_id,
                status="submitted",
                firearms=[
                    {"make": "glock", "serial": f"bn{run + 1}-x3"},
                    {"make": "Ruger", "serial": f"NEW-{run}-1"},
                    {"make": None, "serial": f"NEW-{run}-2"},
                ],
                subjects=[{"name": "Bench Subject"}],
                purge_after=sa.func.now(),
            )
            db.session.add(lead)
            db.session.flush()
            start = time.perf_counter()
            deconflict(db.session(), [lead.id], user_id=user_id)
            db.session.flush()
            times.append(time.perf_counter() - start)
            assert lead.match_count == 1, lead.match_count
            db.session.rollback()
        median_ms = statistics.median(times) * 1000
    print(f"deconflict one new lead against {firearms:,} firearms: {median_ms:.1f} ms (median of {RUNS})")
    print(f"{'deconflict_1m_ms':<28}{median_ms:>12.2f}  <= 50")
    print(json.dumps({"deconflict_1m_ms": round(median_ms, 3)}))


if __name__ == "__main__":
    main()

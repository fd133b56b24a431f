"""Sync benchmarks on PostgreSQL: push rate and its ratio to the database's limit, pull page
cost at 10 thousand versus 1 million records, snapshot rate.

Run with ``make bench``. Prints a table, then one JSON line with the figures.
Uses its own database (``BENCH_DATABASE_URL``, default ``inspector_bench`` on
the local server), which it rebuilds from the migrations.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.prodserver import ITEMS, rebuild_database
from inspector import create_app
from inspector.extensions import db

BENCH_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/inspector_bench"
)


def make_app(database_url: str) -> Any:
    from flask_migrate import upgrade

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "PUSH_RATE_LIMIT": "100000 per minute",  # one device pushes far more than a person would
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        }
    )
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    return app


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Bench:
    def __init__(self, database_url: str = BENCH_URL) -> None:
        rebuild_database(database_url)
        self.app = make_app(database_url)
        from inspector.demo import seed_demo

        with self.app.app_context():
            seed_demo(db.session(), "bench-password-123", licensees_per_state=60)
            db.session.commit()
            from inspector.offices.models import User

            self.investigator = db.session.scalar(sa.select(User).where(User.username == "investigator"))
        self.device = uuid.uuid4()
        self.client = self.app.test_client()
        token = self.client.post(
            "/api/v1/auth/token",
            json={
                "username": "investigator",
                "password": "bench-password-123",
                "device_id": str(self.device),
            },
        ).json
        self.client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token['access_token']}"
        self.seq = 0

    def analyze(self) -> None:
        """Refresh the planner's statistics, as autovacuum does on a production server (this
        machine's PostgreSQL runs with autovacuum off; without statistics the planner guesses
        every table is tiny and, for example, reads all of a device's receipts to find 100)."""
        with self.app.app_context(), db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))

    def envelope(self, changes: list[dict[str, Any]]) -> dict[str, Any]:
        for change in changes:
            self.seq += 1
            change["seq"] = self.seq
        return {"device_id": str(self.device), "schema_version": 1, "changes": changes}

    def push(self, changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = self.client.post("/api/v1/sync/push", json=self.envelope(changes))
        assert response.status_code == 200, response.get_data(as_text=True)
        return list(response.json["receipts"])

    def inspections(self, n: int) -> list[str]:
        """Enough in-progress inspections of the investigator's for the findings we create."""
        from inspector.licensees.models import Licensee

        with self.app.app_context():
            licensees = list(
                db.session.scalars(
                    sa.select(Licensee.id).where(
                        Licensee.field_office_id == self.investigator.field_office_id,
                        Licensee.last_inspection_date.is_(None),
                    )
                )
            )
        ids = []
        for start in range(0, n, 50):
            batch = []
            for i in range(start, min(n, start + 50)):
                inspection = str(uuid.uuid4())
                ids.append(inspection)
                batch.append(
                    {
                        "op_id": str(uuid.uuid4()),
                        "entity": "inspection",
                        "id": inspection,
                        "action": "create",
                        "base_version": None,
                        "fields": {"licensee_id": str(licensees[i % len(licensees)]), "type": "application"},
                    }
                )
            self.push(batch)
        return ids

    # ---- push -------------------------------------------------------------------------------
    def push_round(self, slots: list[tuple[str, str]]) -> float:
        """1,000 changes (600 finding creates, 300 finding updates, 100 lead creates) in batches of 100."""
        targets = []
        for _ in range(3):  # the findings the updates edit, created outside the timing
            batch = [self.finding_create(*slots.pop()) for _ in range(100)]
            targets += [(r["id"], r["version"]) for r in self.push(batch)]
        self.analyze()
        batches = []
        for b in range(10):
            changes = [self.finding_create(*slots.pop()) for _ in range(60)]
            changes += [
                {
                    "op_id": str(uuid.uuid4()),
                    "entity": "finding",
                    "id": fid,
                    "action": "update",
                    "base_version": version,
                    "fields": {"note": f"updated in batch {b}", "instances": 3},
                }
                for fid, version in targets[b * 30 : (b + 1) * 30]
            ]
            changes += [
                {
                    "op_id": str(uuid.uuid4()),
                    "entity": "lead",
                    "id": str(uuid.uuid4()),
                    "action": "create",
                    "base_version": None,
                    "fields": {
                        "indicators": ["multiple-sales"],
                        "narrative": "n",
                        # unique serials: lead creates, not a storm of deconfliction matches
                        "firearms": [{"serial": uuid.uuid4().hex[:12], "make": "Glock"}],
                    },
                }
                for n in range(10)
            ]
            batches.append(changes)
        statuses: dict[str, int] = {}

        def run() -> None:
            for changes in batches:
                for receipt in self.push(changes):
                    statuses[receipt["status"]] = statuses.get(receipt["status"], 0) + 1

        seconds = timed(run)
        assert statuses == {"applied": 1000}, statuses
        return seconds

    def bench_push(self, rounds: int = 7) -> dict[str, float]:
        """Push rounds and limit runs alternate, so background load weighs on both alike.

        The ratio compares the fastest run of each: noise only ever adds time, and the
        limit's one 1,000-row transaction is bimodal here (~100 ms, or ~190 ms when it
        happens to open a new WAL segment), which made ratios of medians swing 0.2-0.4.
        """
        slots = [(i, key) for i in self.inspections(rounds * 160) for key in ITEMS]
        push_times, limit_times = [], []
        for _ in range(rounds):
            push_times.append(self.push_round(slots))
            limit_times.append(self.write_same_rows_with_core([slots.pop() for _ in range(600)]))
        push_rate = 1000 / min(push_times)
        limit_rate = 1000 / min(limit_times)
        return {
            "push_seconds": min(push_times),
            "push_seconds_median": statistics.median(push_times),
            "limit_seconds_median": statistics.median(limit_times),
            "push_changes_per_s": push_rate,
            "limit_changes_per_s": limit_rate,
            "push_ratio_to_limit": push_rate / limit_rate,
        }

    @staticmethod
    def finding_create(inspection: str, key: str) -> dict[str, Any]:
        return {
            "op_id": str(uuid.uuid4()),
            "entity": "finding",
            "id": str(uuid.uuid4()),
            "action": "create",
            "base_version": None,
            "fields": {
                "inspection_id": inspection,
                "item_key": key,
                "result": "violation",
                "instances": 2,
                "note": "bench",
            },
        }

    def write_same_rows_with_core(self, slots: list[tuple[str, str]]) -> float:
        """The limit: the rows a push of 1,000 changes writes, with Core executemany in one transaction."""
        from inspector.db import utcnow
        from inspector.inspections.models import Finding
        from inspector.leads.models import Lead
        from inspector.sync.journal import allocate_positions
        from inspector.sync.models import FeedEntry, RecordVersion, SyncReceipt

        with self.app.app_context():
            existing = list(db.session.execute(sa.select(Finding.id, Finding.version).limit(300)))
            office = self.investigator.field_office_id
            user = self.investigator.id
            now = utcnow()
            # The same documents the push stores: a finding's full record.
            doc = db.session.scalar(
                sa.select(RecordVersion.data).where(RecordVersion.entity == "finding").limit(1)
            )
            new_findings = [
                {
                    "id": uuid.uuid4(),
                    "inspection_id": uuid.UUID(i),
                    "item_key": k,
                    "result": "violation",
                    "instances": 2,
                    "note": "bench",
                    "attachments": [],
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "open_conflicts": 0,
                    "missing_blobs": False,
                    "created_by": user,
                }
                for i, k in slots
            ]
            leads = [
                {
                    "id": uuid.uuid4(),
                    "created_by": user,
                    "field_office_id": office,
                    "status": "draft",
                    "indicators": ["multiple-sales"],
                    "narrative": "n",
                    "firearms": [],
                    "subjects": [],
                    "attachments": [],
                    "purge_after": now,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "open_conflicts": 0,
                    "missing_blobs": False,
                }
                for _ in range(100)
            ]
            self.analyze()
            ids = (
                [("finding", r["id"], 1) for r in new_findings]
                + [("finding", f, v + 1) for f, v in existing]
                + [("lead", r["id"], 1) for r in leads]
            )
            start = time.perf_counter()
            session = db.session()
            session.execute(sa.insert(Finding.__table__), new_findings)
            table = Finding.__table__
            session.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("_id"))
                .values(
                    note=sa.bindparam("note"),
                    version=sa.bindparam("version"),
                    updated_at=sa.bindparam("updated_at"),
                ),
                [{"_id": f, "note": "core", "version": v + 1, "updated_at": now} for f, v in existing],
                execution_options={"synchronize_session": False},
            )
            session.execute(sa.insert(Lead.__table__), leads)
            session.execute(
                sa.insert(RecordVersion.__table__),
                [
                    {
                        "entity": e,
                        "record_id": r,
                        "version": v,
                        "data": doc,
                        "deleted": False,
                        "user_id": user,
                        "device_id": self.device,
                        "op_id": uuid.uuid4(),
                        "created_at": now,
                    }
                    for e, r, v in ids
                ],
            )
            session.execute(
                sa.insert(SyncReceipt.__table__),
                [
                    {
                        "device_id": self.device,
                        "op_id": uuid.uuid4(),
                        "user_id": user,
                        "seq": n,
                        "payload_hash": "x" * 64,
                        "entity": e,
                        "record_id": r,
                        "status": "applied",
                        "version": v,
                        "merged_into": None,
                        "conflicts": [],
                        "problem": None,
                        "received_at": now,
                    }
                    for n, (e, r, v) in enumerate(ids)
                ],
            )
            first = allocate_positions(session, len(ids))
            from sqlalchemy.dialects.postgresql import insert

            statement = insert(FeedEntry.__table__)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["entity", "record_id"],
                    set_={"position": statement.excluded.position, "version": statement.excluded.version},
                ),
                [
                    {
                        "entity": e,
                        "record_id": r,
                        "position": first + n,
                        "version": v,
                        "deleted": False,
                        "audience": "owner",
                        "field_office_id": office,
                        "investigator_id": user,
                    }
                    for n, (e, r, v) in enumerate(ids)
                ],
            )
            session.commit()
            return time.perf_counter() - start

    # ---- pull -------------------------------------------------------------------------------
    def fill_feed(self, total: int) -> None:
        """Synced records in bulk (leads of ten investigators), straight into the tables."""
        with self.app.app_context():
            conn = db.session.connection()
            have = conn.scalar(sa.text("SELECT count(*) FROM leads"))
            missing = total - have
            if missing <= 0:
                return
            start = conn.scalar(sa.text("SELECT value FROM feed_counter WHERE id = 1"))
            others = [uuid.uuid4() for _ in range(9)]
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, username, display_name, role, field_office_id, password_hash, active, "
                    "failed_logins, locked, scope_epoch, created_at, updated_at) SELECT CAST(u AS uuid), "
                    "'bench-' || u, 'Bench', 'investigator', :office, 'x', true, 0, false, 1, now(), now() "
                    "FROM unnest(CAST(:ids AS text[])) AS u ON CONFLICT DO NOTHING"
                ),
                {"ids": [str(o) for o in others], "office": self.investigator.field_office_id},
            )
            owners = [str(self.investigator.id)] + [str(o) for o in others]
            conn.execute(
                sa.text(
                    "INSERT INTO leads (id, created_by, field_office_id, status, indicators, narrative, firearms, subjects, "
                    "attachments, purge_after, version, created_at, updated_at, open_conflicts, missing_blobs) "
                    "SELECT gen_random_uuid(), CAST((CAST(:owners AS text[]))[1 + (g % 10)] AS uuid), :office, 'draft', "
                    "'[\"other\"]', 'bench narrative', '[]', '[]', '[]', now() + interval '2 years', 1, now(), now(), 0, false "
                    "FROM generate_series(1, :n) AS g"
                ),
                {"owners": owners, "office": self.investigator.field_office_id, "n": missing},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO change_feed (entity, record_id, position, version, deleted, audience, field_office_id, "
                    "investigator_id) SELECT 'lead', l.id, :start + row_number() OVER (ORDER BY l.created_at, l.id), 1, "
                    "false, 'owner', l.field_office_id, l.created_by FROM leads l "
                    "WHERE NOT EXISTS (SELECT 1 FROM change_feed f WHERE f.entity = 'lead' AND f.record_id = l.id)"
                ),
                {"start": start},
            )
            conn.execute(sa.text("UPDATE feed_counter SET value = (SELECT max(position) FROM change_feed)"))
            db.session.commit()
            conn = db.session.connection()
            conn.execute(sa.text("ANALYZE"))
            db.session.commit()

    def page_seconds(self, runs: int = 1) -> float:
        """Median time to pull a 500-record page after a cursor in the middle of the feed."""
        from inspector.sync.service import make_cursor

        with self.app.app_context():
            top = db.session.scalar(sa.text("SELECT max(position) FROM change_feed"))
            from inspector.offices.models import User

            user = db.session.get(User, self.investigator.id)
            assert user is not None
            cursor = make_cursor(user, int(top * 0.25))
        url = f"/api/v1/sync/pull?device_id={self.device}&schema_version=1&limit=500&cursor={cursor}"
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            response = self.client.get(url)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200 and len(response.json["changes"]) == 500, response.json
        return statistics.median(times)

    def snapshot_seconds(self, limit: int = 1000) -> tuple[float, int]:
        device = uuid.uuid4()
        client = self.app.test_client()
        token = client.post(
            "/api/v1/auth/token",
            json={"username": "investigator", "password": "bench-password-123", "device_id": str(device)},
        ).json
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token['access_token']}"
        records = 0
        cursor = None
        start = time.perf_counter()
        while True:
            url = f"/api/v1/sync/pull?device_id={device}&schema_version=1&limit={limit}"
            page = client.get(url + (f"&cursor={cursor}" if cursor else "")).json
            records += len(page["changes"])
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        return time.perf_counter() - start, records


def main() -> None:
    bench = Bench()
    figures: dict[str, Any] = {}
    figures.update(bench.bench_push())
    print(
        f"push: 1,000 changes in batches of 100: {figures['push_seconds']:.2f} s (fastest of 7), "
        f"{figures['push_changes_per_s']:.0f} changes/s; core executemany limit "
        f"{figures['limit_changes_per_s']:.0f} changes/s; ratio {figures['push_ratio_to_limit']:.2f}",
        flush=True,
    )
    # A fresh device of the investigator pulls 10,000 of their records.
    bench.fill_feed(100_000)
    snapshot_s, records = bench.snapshot_seconds()
    figures["snapshot_records"] = records
    figures["snapshot_records_per_s"] = records / snapshot_s
    print(
        f"snapshot: {records} records in {snapshot_s:.2f} s = {figures['snapshot_records_per_s']:.0f}/s",
        flush=True,
    )
    with bench.app.app_context():
        db.session.execute(
            sa.text(
                "DELETE FROM change_feed WHERE entity = 'lead' AND record_id IN "
                "(SELECT id FROM leads WHERE narrative = 'bench narrative')"
            )
        )
        db.session.execute(sa.text("DELETE FROM leads WHERE narrative = 'bench narrative'"))
        db.session.commit()
    bench.fill_feed(10_000)
    big = Bench(BENCH_URL + "_1m")
    big.fill_feed(1_000_000)
    # Interleaved, so background load on the machine weighs on both sizes alike.
    small_times, big_times = [], []
    for _ in range(31):
        small_times.append(bench.page_seconds())
        big_times.append(big.page_seconds())
    sizes = {10_000: statistics.median(small_times), 1_000_000: statistics.median(big_times)}
    for total, seconds in sizes.items():
        print(
            f"pull page of 500 after a cursor, {total:,} synced records: {seconds * 1000:.1f} ms (median of 31)"
        )
    figures["pull_page_ms_10k"] = sizes[10_000] * 1000
    figures["pull_page_ms_1m"] = sizes[1_000_000] * 1000
    figures["pull_page_ratio_1m_vs_10k"] = sizes[1_000_000] / sizes[10_000]
    rows = [
        ("push_changes_per_s", figures["push_changes_per_s"], "-"),
        ("push_ratio_to_limit", figures["push_ratio_to_limit"], ">= 0.33"),
        ("pull_page_ratio_1m_vs_10k", figures["pull_page_ratio_1m_vs_10k"], "<= 1.25"),
        ("snapshot_records_per_s", figures["snapshot_records_per_s"], ">= 5000"),
    ]
    print()
    print(f"{'figure':<28}{'value':>12}  target")
    for name, value, target in rows:
        print(f"{name:<28}{value:>12.2f}  {target}")
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()

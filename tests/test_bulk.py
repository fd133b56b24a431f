"""insert_many: COPY on PostgreSQL stores exactly what Core executemany stores."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
import sqlalchemy as sa
from flask import Flask

from inspector.bulk import copy_plan, insert_many
from inspector.db import among
from inspector.extensions import db
from inspector.sync.models import RecordVersion, RejectedChange, SyncReceipt

RECEIPTS = cast(sa.Table, SyncReceipt.__table__)
REJECTED = cast(sa.Table, RejectedChange.__table__)
VERSIONS = cast(sa.Table, RecordVersion.__table__)


def receipt(**fields: Any) -> dict[str, Any]:
    row = {
        "device_id": uuid.uuid4(),
        "op_id": uuid.uuid4(),
        "user_id": uuid.uuid4(),
        "seq": 1,
        "payload_hash": "a" * 64,
        "entity": "finding",
        "record_id": uuid.uuid4(),
        "status": "applied",
        "version": 1,
        "merged_into": None,
        "conflicts": [{"field": "note", "server_value": "é", "client_value": None}],
        "problem": None,
        "received_at": datetime(2026, 11, 30, 12, 0, tzinfo=timezone(timedelta(hours=-6))),
    }
    row.update(fields)
    return row


def stored(table: sa.Table) -> list[dict[str, Any]]:
    return [dict(r) for r in db.session.execute(sa.select(table)).mappings()]


def test_rows_read_back_as_executemany_writes_them(app: Flask) -> None:
    with app.app_context():
        rows = [receipt(seq=n) for n in range(3)]
        insert_many(db.session(), RECEIPTS, rows)
        db.session.commit()
        mine = sorted(stored(RECEIPTS), key=lambda r: r["seq"])
        db.session.execute(sa.delete(RECEIPTS))
        db.session.execute(sa.insert(RECEIPTS), rows)
        db.session.commit()
        theirs = sorted(stored(RECEIPTS), key=lambda r: r["seq"])
    assert mine == theirs
    assert mine[0]["received_at"] == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # stored in UTC
    assert mine[0]["conflicts"][0]["server_value"] == "é"


def test_none_in_a_json_column_is_json_null_as_with_executemany(app: Flask, backend: str) -> None:
    with app.app_context():
        insert_many(db.session(), RECEIPTS, [receipt(problem=None)])
        db.session.commit()
        if backend == "postgresql":
            kind = db.session.scalar(sa.text("SELECT jsonb_typeof(problem) FROM sync_receipts"))
            assert kind == "null"  # JSON null, not SQL NULL: what the ORM and Core write
        assert stored(RECEIPTS)[0]["problem"] is None


def test_absent_columns_get_their_python_defaults_and_identities(app: Flask) -> None:
    with app.app_context():
        row: dict[str, Any] = {"op_id": uuid.uuid4(), "device_id": uuid.uuid4(), "user_id": uuid.uuid4()}
        row |= {"entity": "finding", "fields": {"note": 1}, "problem": {"type": "x"}}
        insert_many(db.session(), REJECTED, [row])  # no id (uuid4 default), no received_at (utcnow)
        insert_many(
            db.session(),
            VERSIONS,
            [{"entity": "finding", "record_id": uuid.uuid4(), "version": 1, "data": None}],
        )  # no id: the table's identity
        db.session.commit()
        [rejected] = stored(REJECTED)
        [version] = stored(VERSIONS)
    assert isinstance(rejected["id"], uuid.UUID)
    assert abs(rejected["received_at"] - datetime.now(UTC)) < timedelta(minutes=1)
    assert version["id"] >= 1 and version["deleted"] is False


def test_a_naive_datetime_is_refused_as_everywhere(app: Flask) -> None:
    with app.app_context(), pytest.raises((ValueError, sa.exc.StatementError)):
        insert_many(db.session(), RECEIPTS, [receipt(received_at=datetime(2026, 11, 30))])
    with app.app_context():
        db.session.rollback()


def test_a_database_error_is_sqlalchemys_as_from_executemany(app: Flask) -> None:
    with app.app_context():
        row = receipt()
        insert_many(db.session(), RECEIPTS, [row])
        with pytest.raises(sa.exc.IntegrityError):
            insert_many(db.session(), RECEIPTS, [row])  # the same (device_id, op_id)
        db.session.rollback()


def test_unknown_keys_are_an_error_not_dropped() -> None:
    with pytest.raises(KeyError):
        copy_plan(RECEIPTS, ("device_id", "no_such_column"))


@pytest.mark.parametrize("count", [0, 1, 51, 300])
def test_among_finds_what_in_finds(app: Flask, count: int) -> None:
    with app.app_context():
        rows = [receipt(seq=n) for n in range(max(count, 3))]
        insert_many(db.session(), RECEIPTS, rows)
        wanted = [r["op_id"] for r in rows[:count]] + [uuid.uuid4()]
        found = set(
            db.session.scalars(sa.select(RECEIPTS.c.op_id).where(among(db.session, RECEIPTS.c.op_id, wanted)))
        )
        db.session.rollback()
    assert found == {r["op_id"] for r in rows[:count]}


@pytest.mark.parametrize("count", [0, 1, 51])
def test_among_param_in_a_statement_built_once(app: Flask, backend: str, count: int) -> None:
    from inspector.db import among_param

    query = sa.select(RECEIPTS.c.op_id).where(among_param(backend, RECEIPTS.c.op_id, "ids"))
    with app.app_context():
        rows = [receipt(seq=n) for n in range(max(count, 3))]
        insert_many(db.session(), RECEIPTS, rows)
        wanted = [r["op_id"] for r in rows[:count]] + [uuid.uuid4()]
        found = set(db.session.scalars(query, {"ids": wanted}))
        db.session.rollback()
    assert found == {r["op_id"] for r in rows[:count]}


# ---- update_many --------------------------------------------------------------------------------


def changed(row: dict[str, Any], n: int) -> dict[str, Any]:
    """New values for every kind of column a receipt has (JSON, JSON null, UUID, time, text)."""
    return {
        "device_id": row["device_id"],
        "op_id": row["op_id"],
        "status": f"conflict{n}"[:10],
        "version": None if n % 2 else n + 7,
        "merged_into": uuid.uuid4() if n % 2 else None,
        "conflicts": [{"field": "note", "server_value": f"é{n}"}] if n % 2 else [],
        "problem": None if n % 2 else {"type": "gone", "n": n},
        "received_at": datetime(2026, 12, 1, 8, n, tzinfo=timezone(timedelta(hours=2))),
    }


def test_update_many_stores_what_executemany_stores(app: Flask) -> None:
    from inspector.bulk import update_many

    with app.app_context():
        rows = [receipt(seq=n) for n in range(4)]
        insert_many(db.session(), RECEIPTS, rows)
        db.session.commit()
        updates = [changed(r, n) for n, r in enumerate(rows[:3])]  # the last row is left alone
        update_many(db.session(), RECEIPTS, updates, key="op_id")
        db.session.commit()
        mine = sorted(stored(RECEIPTS), key=lambda r: r["seq"])
        db.session.execute(sa.delete(RECEIPTS))
        insert_many(db.session(), RECEIPTS, rows)
        db.session.execute(
            sa.update(RECEIPTS)
            .where(RECEIPTS.c.op_id == sa.bindparam("_op_id"))
            .values({c: sa.bindparam(c) for c in updates[0] if c != "op_id"}),
            [{"_op_id": u["op_id"], **u} for u in updates],
        )
        db.session.commit()
        theirs = sorted(stored(RECEIPTS), key=lambda r: r["seq"])
    assert mine == theirs
    assert mine[0]["problem"] == {"type": "gone", "n": 0} and mine[1]["problem"] is None
    assert mine[2]["received_at"] == datetime(2026, 12, 1, 6, 2, tzinfo=UTC)
    assert mine[3]["status"] == "applied"  # not named: untouched


def test_update_many_uses_one_statement_on_postgresql(app: Flask, backend: str) -> None:
    from inspector.bulk import update_many
    from tests.statements import recorded_statements

    with app.app_context():
        rows = [receipt(seq=n) for n in range(60)]
        insert_many(db.session(), RECEIPTS, rows)
        with recorded_statements(db.engine) as statements:
            update_many(db.session(), RECEIPTS, [changed(r, 1) for r in rows], key="op_id")
        assert {r["status"] for r in stored(RECEIPTS)} == {"conflict1"}
        db.session.rollback()
    assert len(statements) == 1
    assert ("unnest" in statements[0]) is (backend == "postgresql")


def test_update_many_refuses_a_naive_datetime(app: Flask) -> None:
    from inspector.bulk import update_many

    with app.app_context():
        row = receipt()
        insert_many(db.session(), RECEIPTS, [row])
        with pytest.raises((ValueError, sa.exc.StatementError)):
            update_many(
                db.session(),
                RECEIPTS,
                [{"op_id": row["op_id"], "received_at": datetime(2026, 11, 30)}],
                key="op_id",
            )
        db.session.rollback()

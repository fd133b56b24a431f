"""Importing ATF's licensee listing: a dry run or an all-or-nothing apply, in the background.

``start_import`` stores the upload in a temporary file and the import row
(``pending``); the route commits and ``launch`` runs ``run_import`` in a thread
with its own app context and session. The worker reads the file line by line,
in chunks: each chunk is validated, compared with the stored licensees (by
region + district + sequence) and, on an apply with no rejected row so far,
written in the one open transaction. Any rejected row means the transaction is
rolled back: a failed import changes nothing. Progress is committed in short
transactions of a separate session, so the admin's screen sees it while the
apply transaction is open (on SQLite, whose one writer is the apply, progress
of an apply lives in this process's memory; see ``LIVE``).

Every licensee added or changed gets a new version through the journal (version
row + feed entry in its office's scope), so the tablets of its office receive it
at their next pull; unchanged rows write nothing. A licensee whose office changes
(premises moved to a state of another office) leaves the old office's scope, so
the users of that office get a new scope epoch: their next pull resyncs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from typing import IO, Any

import sqlalchemy as sa
from flask import Flask
from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from inspector.audit import service as audit
from inspector.auth.service import require_role
from inspector.db import utcnow, write_intent
from inspector.licensees.listing import (
    ListingFileError,
    ListingRow,
    count_rows,
    decode,
    read_header,
    read_rows,
)
from inspector.licensees.models import Licensee, LicenseeImport
from inspector.licensees.schemas import LicenseeSchema
from inspector.offices.models import OfficeState, User
from inspector.problems import Problem
from inspector.sync.journal import (
    MOVE_ON_CONFLICT,
    FeedTouch,
    allocate_positions,
    insert_versions,
    touch_feed,
    version_row,
)
from inspector.sync.models import RecordVersion
from inspector.sync.scope import licensee_scope

log = logging.getLogger(__name__)

#: the upload cap of this route (config LICENSEE_IMPORT_MAX_BYTES); 130,000 rows are about 25 MB.
MAX_BYTES = 64 * 1024 * 1024
CHUNK_ROWS = 2000
#: an import pending or running this long died with its process (130,000 rows take under a minute).
STALE_AFTER = timedelta(minutes=30)
#: rejected rows kept with their line and reason (the count is always complete).
ERROR_LIMIT = 1000
#: the columns an import sets; a stored licensee whose columns all match is unchanged.
IMPORTED = (
    "license_number",
    "region",
    "district",
    "county_code",
    "license_type",
    "expiration_code",
    "sequence",
    "license_name",
    "business_name",
    "premises_street",
    "premises_city",
    "premises_state",
    "premises_zip",
    "mailing_street",
    "mailing_city",
    "mailing_state",
    "mailing_zip",
    "phone",
    "field_office_id",
)
#: the serialised PostgreSQL lock every apply takes, so two applies never interleave.
APPLY_LOCK = 0x11CE05

#: import id -> counts of an import running in this process (newer than its row on SQLite).
LIVE: dict[uuid.UUID, dict[str, int]] = {}
_LIVE_LOCK = threading.Lock()


# ---- requests -----------------------------------------------------------------------------------


def visible_imports(actor: User) -> sa.Select[LicenseeImport]:
    require_role(actor, "admin")
    return sa.select(LicenseeImport).order_by(LicenseeImport.created_at.desc(), LicenseeImport.id)


def get_import(session: Session, actor: User, import_id: uuid.UUID) -> LicenseeImport:
    found = session.scalar(visible_imports(actor).where(LicenseeImport.id == import_id))
    if found is None:
        raise Problem("not-found", "No such licensee import.")
    return found


def report_doc(report: LicenseeImport) -> dict[str, Any]:
    """The import as its schema shows it, with the freshest counts (the running worker's, else the row's)."""
    counts = {k: int(getattr(report, k)) for k in ("processed_rows", "added", "updated", "rejected")}
    with _LIVE_LOCK:
        live = dict(LIVE.get(report.id, {}))
    if report.status == "running" and live.get("processed_rows", -1) > counts["processed_rows"]:
        counts = live
    unchanged = counts["processed_rows"] - counts["added"] - counts["updated"] - counts["rejected"]
    return {
        "id": report.id,
        "filename": report.filename,
        "sha256": report.sha256,
        "dry_run": report.dry_run,
        "status": report.status,
        "total_rows": report.total_rows,
        **counts,
        "unchanged": max(0, unchanged),
        "errors": report.errors or [],
        "failure": report.failure,
        "created_by": report.created_by,
        "created_at": report.created_at,
        "finished_at": report.finished_at,
    }


def save_upload(stream: IO[bytes]) -> tuple[str, str, int]:
    """Copy the upload to a temporary file; returns its path, sha256 and data row count."""
    digest = hashlib.sha256()
    handle, path = tempfile.mkstemp(prefix="licensee-import-", suffix=".txt")
    with os.fdopen(handle, "wb") as out:
        while block := stream.read(1 << 20):
            digest.update(block)
            out.write(block)
    with open(path, "rb") as lines:
        rows = count_rows(lines)
    return path, digest.hexdigest(), rows


def start_import(
    session: Session,
    actor: User,
    upload: IO[bytes],
    *,
    filename: str,
    dry_run: bool,
    address: str | None,
) -> tuple[LicenseeImport, str]:
    """The import row (pending) and the upload's temporary file; the caller commits, then ``launch``es."""
    require_role(actor, "admin")
    abandon_stale(session)
    if not dry_run:
        busy = session.scalar(
            sa.select(LicenseeImport.id).where(
                LicenseeImport.dry_run.is_(False), LicenseeImport.status.in_(("pending", "running"))
            )
        )
        if busy is not None:
            raise Problem(
                "conflict", "Another import is being applied; wait for it to finish.", import_id=str(busy)
            )
    path, sha256, total_rows = save_upload(upload)
    report = LicenseeImport(
        created_by=actor.id,
        filename=(os.path.basename(filename.replace("\\", "/")) or "listing.txt")[:255],
        sha256=sha256,
        dry_run=dry_run,
        status="pending",
        total_rows=total_rows,
        errors=[],
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        "licensee-import-started",
        actor=actor,
        target_type="licensee_import",
        target_id=report.id,
        address=address,
        details={"filename": report.filename, "sha256": sha256, "dry_run": dry_run, "rows": total_rows},
    )
    return report, path


def abandon_stale(session: Session) -> None:
    """Imports still pending or running long after they began died with their process
    (a restart): their transaction rolled back, so they failed and changed nothing."""
    session.execute(
        sa.update(LicenseeImport)
        .where(
            LicenseeImport.status.in_(("pending", "running")),
            LicenseeImport.created_at < utcnow() - STALE_AFTER,
        )
        .values(
            status="failed",
            failure="The server stopped during the import; nothing was applied.",
            finished_at=utcnow(),
        ),
        execution_options={"synchronize_session": False},
    )


#: the import threads of this process, until they end.
WORKERS: set[threading.Thread] = set()


def launch(app: Flask, import_id: uuid.UUID, path: str) -> threading.Thread:
    """Run the import in a background thread (the request has answered 202 by then)."""

    def work() -> None:
        try:
            run_import(app, import_id, path)
        finally:
            with _LIVE_LOCK:
                WORKERS.discard(threading.current_thread())

    thread = threading.Thread(target=work, name=f"licensee-import-{import_id}", daemon=True)
    with _LIVE_LOCK:
        WORKERS.add(thread)
    thread.start()
    return thread


def wait_for_imports(timeout: float = 60) -> None:
    """Let running imports end (tests before they empty the tables; nothing may hold them then)."""
    with _LIVE_LOCK:
        running = list(WORKERS)
    for thread in running:
        thread.join(timeout)


# ---- the worker ---------------------------------------------------------------------------------


@dataclass
class Counts:
    processed_rows: int = 0
    added: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "processed_rows": self.processed_rows,
            "added": self.added,
            "updated": self.updated,
            "rejected": self.rejected,
        }


class Reporter:
    """Writes the import row in short transactions of its own session (never the apply's)."""

    def __init__(self, app: Flask, import_id: uuid.UUID) -> None:
        from inspector.extensions import db

        self.engine = db.engine
        self.import_id = import_id
        self.sqlite = self.engine.dialect.name == "sqlite"

    def write(self, **values: Any) -> None:
        with write_intent(), Session(self.engine) as session, session.begin():
            session.execute(
                sa.update(LicenseeImport).where(LicenseeImport.id == self.import_id).values(**values)
            )

    def progress(self, counts: Counts, *, writing: bool) -> None:
        with _LIVE_LOCK:
            LIVE[self.import_id] = counts.as_dict()
        if writing and self.sqlite:
            return  # SQLite has one writer, the open apply transaction: memory only (see LIVE)
        self.write(**counts.as_dict(), errors=counts.errors)


def _chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(islice(items, size)):
        yield chunk


def run_import(
    app: Flask,
    import_id: uuid.UUID,
    path: str,
    *,
    chunk_rows: int = CHUNK_ROWS,
    on_progress: Callable[[Counts], None] | None = None,
) -> None:
    """The whole import, in the worker thread; never raises (a failure is written to the row)."""
    from inspector.extensions import db

    with app.app_context():
        reporter = Reporter(app, import_id)
        try:
            _run(db.session(), reporter, path, chunk_rows, on_progress)
        except Exception as error:
            log.exception("licensee import %s failed", import_id)
            db.session.rollback()
            reporter.write(
                status="failed",
                failure=f"The import failed on the server ({type(error).__name__}); nothing was applied.",
                finished_at=utcnow(),
            )
        finally:
            with _LIVE_LOCK:
                LIVE.pop(import_id, None)
            db.session.remove()
            with suppress(OSError):
                os.unlink(path)


def _run(
    session: Session,
    reporter: Reporter,
    path: str,
    chunk_rows: int,
    on_progress: Callable[[Counts], None] | None,
) -> None:
    report = session.get(LicenseeImport, reporter.import_id)
    if report is None:
        return
    dry_run, creator = report.dry_run, report.created_by
    session.rollback()  # the apply's transaction starts below, under write intent
    reporter.write(status="running")
    counts = Counts()
    with open(path, "rb") as lines:
        try:
            header = read_header(decode(next(lines, b"")))
        except ListingFileError as error:
            reporter.write(status="failed", failure=str(error), finished_at=utcnow())
            return
        # An apply takes SQLite's write lock at BEGIN; a dry run only reads (progress writes beside it).
        with nullcontext() if dry_run else write_intent():
            writer = Writer(session, creator)
            if not dry_run and session.get_bind().dialect.name == "postgresql":
                session.execute(sa.select(sa.func.pg_advisory_xact_lock(APPLY_LOCK)))
            for chunk in _chunks(read_rows(header, lines), chunk_rows):
                valid: list[ListingRow] = []
                for line, item in chunk:
                    if isinstance(item, ListingRow):
                        valid.append(item)
                        continue
                    counts.rejected += 1
                    if len(counts.errors) < ERROR_LIMIT:
                        counts.errors.append({"line": line, "reason": item})
                # After the first rejected row nothing more is written: the whole apply will roll back.
                write = not dry_run and counts.rejected == 0
                added, updated = writer.upsert(valid, write=write)
                counts.added += added
                counts.updated += updated
                counts.processed_rows += len(chunk)
                reporter.progress(counts, writing=not dry_run)
                if on_progress is not None:
                    on_progress(counts)
            finished = {**counts.as_dict(), "errors": counts.errors, "finished_at": utcnow()}
            if dry_run:
                session.rollback()
                reporter.write(status="done", **finished)
                return
            if counts.rejected:
                session.rollback()
                failure = (
                    f"{counts.rejected} row(s) rejected; nothing was applied. Fix them and import again."
                )
                reporter.write(status="failed", failure=failure, **finished)
                return
            moved = writer.finish()
            session.execute(
                sa.update(LicenseeImport)
                .where(LicenseeImport.id == reporter.import_id)
                .values(status="done", **finished)
            )
            audit.record(
                session,
                "licensee-import-applied",
                actor=session.get(User, creator),
                target_type="licensee_import",
                target_id=reporter.import_id,
                details={**counts.as_dict(), "offices_rescoped": sorted(str(o) for o in moved)},
            )
            writer.flush_feed()  # last, just before commit: it takes the feed counter's lock
            session.commit()


class Writer:
    """Compares listing rows with stored licensees and, on an apply, writes the differences."""

    def __init__(self, session: Session, actor_id: uuid.UUID) -> None:
        self.session = session
        self.actor_id = actor_id
        self.offices: dict[str, uuid.UUID] = dict(
            (row.state, row.office_id)
            for row in session.execute(sa.select(OfficeState.state, OfficeState.office_id))
        )
        #: offices whose licensees moved to another office: their users must resync.
        self.left: set[uuid.UUID] = set()
        self.schema = LicenseeSchema()
        self.table: sa.Table = Licensee.__table__  # type: ignore[assignment]
        self.postgres = session.get_bind().dialect.name == "postgresql"
        #: PostgreSQL: (record id, version, office) of every licensee written, for ``flush_feed``.
        self.feed: list[tuple[uuid.UUID, int, uuid.UUID | None]] = []

    def existing(self, rows: list[ListingRow]) -> dict[tuple[str, str, str], dict[str, Any]]:
        """The stored licensees of these rows, by identity (one index lookup each)."""
        if not rows:
            return {}
        t = self.table
        identities = [r.number.identity for r in rows]
        if self.postgres:
            # unnest joins on the identity index; a 2,000-tuple IN list is planned far more slowly.
            keys = (
                sa.func.unnest(
                    sa.cast([i[0] for i in identities], ARRAY(sa.String)),
                    sa.cast([i[1] for i in identities], ARRAY(sa.String)),
                    sa.cast([i[2] for i in identities], ARRAY(sa.String)),
                )
                .table_valued("r", "d", "s")
                .render_derived(name="k")
            )
            query = sa.select(t).join(
                keys, sa.and_(t.c.region == keys.c.r, t.c.district == keys.c.d, t.c.sequence == keys.c.s)
            )
        else:
            query = sa.select(t).where(sa.tuple_(t.c.region, t.c.district, t.c.sequence).in_(identities))
        found = self.session.execute(query).mappings()
        return {(m["region"], m["district"], m["sequence"]): dict(m) for m in found}

    def values(self, row: ListingRow, stored: dict[str, Any] | None) -> dict[str, Any]:
        number = row.number
        if stored is not None and stored["office_overridden"]:
            office = stored["field_office_id"]
        else:
            office = self.offices.get(str(row.values["premises_state"]))
        return {
            "license_number": number.normalised,
            "region": number.region,
            "district": number.district,
            "county_code": number.county,
            "license_type": number.license_type,
            "expiration_code": number.expiration,
            "sequence": number.sequence,
            **row.values,
            "field_office_id": office,
        }

    def upsert(self, rows: list[ListingRow], *, write: bool) -> tuple[int, int]:
        """(added, updated) for these rows; writes them when ``write``."""
        stored_by_identity = self.existing(rows)
        now = utcnow()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for row in rows:
            stored = stored_by_identity.get(row.number.identity)
            values = self.values(row, stored)
            if stored is None:
                inserts.append(
                    {
                        "id": uuid.uuid4(),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "office_overridden": False,
                        "county": None,
                        "last_inspection_date": None,
                        "last_inspection_outcome": None,
                        **values,
                    }
                )
            elif any(stored[c] != values[c] for c in IMPORTED):
                if (
                    stored["field_office_id"] is not None
                    and stored["field_office_id"] != values["field_office_id"]
                ):
                    self.left.add(stored["field_office_id"])
                updates.append({**stored, **values, "version": stored["version"] + 1, "updated_at": now})
        if write:
            self.write(inserts, updates)
        return len(inserts), len(updates)

    def write(self, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
        t = self.table
        if inserts:
            self.insert(t, inserts)
        if updates:
            changed = (*IMPORTED, "version", "updated_at")
            statement = (
                t.update()
                .where(t.c.id == sa.bindparam("b_id"))
                .values({c: sa.bindparam(f"b_{c}") for c in changed})
            )
            self.session.execute(statement, [{f"b_{c}": u[c] for c in ("id", *changed)} for u in updates])
        records = [*inserts, *updates]
        versions = [
            version_row(
                "licensee",
                r["id"],
                r["version"],
                dict(self.schema.dump(r)),
                deleted=False,
                user_id=self.actor_id,
                device_id=None,
                op_id=None,
            )
            for r in records
        ]
        if self.postgres:
            self.insert(RecordVersion.__table__, versions)  # type: ignore[arg-type]
            self.feed.extend((r["id"], r["version"], r["field_office_id"]) for r in records)
            return
        insert_versions(self.session, versions)
        touch_feed(
            self.session,
            [
                FeedTouch("licensee", r["id"], r["version"], False, licensee_scope(r["field_office_id"]))
                for r in records
            ],
        )

    def insert(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows: COPY on PostgreSQL (several times faster than row-by-row), else executemany."""
        if not self.postgres:
            self.session.execute(table.insert(), rows)
            return
        columns = list(rows[0])
        cursor = self.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        names = ", ".join(f'"{c}"' for c in columns)
        with cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([Jsonb(v) if isinstance(v, dict) else v for v in (row[c] for c in columns)])

    def flush_feed(self) -> None:
        """PostgreSQL: the feed entries of every licensee written, at once, just before commit.

        The same rule as the journal's own ``flush_feed``: positions come from the
        counter row, whose lock is held until commit, so they are visible in order.
        """
        if not self.feed:
            return
        self.session.execute(
            sa.text(
                "CREATE TEMPORARY TABLE licensee_import_feed "
                "(n bigserial, record_id uuid, version integer, field_office_id uuid) ON COMMIT DROP"
            )
        )
        cursor = self.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
        with (
            cursor,
            cursor.copy("COPY licensee_import_feed (record_id, version, field_office_id) FROM STDIN") as copy,
        ):
            for entry in self.feed:
                copy.write_row(entry)
        first = allocate_positions(self.session, len(self.feed))
        self.session.execute(
            sa.text(
                "\n".join(  # the conflict clause: our own column names
                    (
                        """
                INSERT INTO change_feed (entity, record_id, position, version, deleted, audience,
                    field_office_id, investigator_id)
                SELECT 'licensee', record_id, :first + n - 1, version, false, 'office', field_office_id, NULL
                FROM licensee_import_feed
                """,
                        MOVE_ON_CONFLICT,
                    )
                )
            ),
            {"first": first},
        )
        self.feed.clear()

    def finish(self) -> set[uuid.UUID]:
        """Users of offices that lost licensees resync at their next pull; returns those offices."""
        if self.left:
            self.session.execute(
                sa.update(User)
                .where(User.field_office_id.in_(self.left))
                .values(scope_epoch=User.scope_epoch + 1),
                execution_options={"synchronize_session": False},
            )
        return self.left

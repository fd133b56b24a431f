"""What the load and crash tests share: their own PostgreSQL database, a production gunicorn on
a free loopback port, seeded investigator accounts, and simulated devices that push and pull
over HTTP the way the PWA does (retrying a batch with the same op_ids until it is receipted).
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

JSON_HEADERS = {"Content-Type": "application/json"}
PASSWORD = "correct horse battery staple"  # the seeded accounts' password (tests.factories)
ITEMS = [
    "license-posted",
    "ad-record-timeliness",
    "ad-open-dispositions",
    "inventory-reconciliation",
    "form-4473-complete",
    "nics-checks",
    "multiple-sales-handgun",
    "multiple-sales-rifle",
    "theft-loss-reporting",
    "record-retention",
    "youth-handgun-notice",
    "secure-storage-devices",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rebuild_database(database_url: str) -> None:
    url = sa.engine.make_url(database_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()


def server_env(database_url: str, port: int, workers: int = 4) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "INSPECTOR_ENV": "production",
            "INSPECTOR_SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": database_url,
            "REDIS_URL": os.environ.get("LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
            # Every simulated device logs in from 127.0.0.1; the limit is per client address.
            "INSPECTOR_LOGIN_RATE_LIMIT": "100000 per minute",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


@dataclass
class Accounts:
    usernames: list[str]
    inspections: dict[str, list[str]]  # username -> inspection ids


def seed(database_url: str, users: int, inspections_per_user: int) -> Accounts:
    """Migrate the database and create one office, its licensees, and investigators with inspections."""
    from flask_migrate import upgrade

    from inspector import create_app
    from inspector.extensions import db
    from inspector.offices.models import FieldOffice, OfficeState
    from tests.factories import add_inspection, add_licensee, add_user

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        session = db.session
        office = FieldOffice(name="Load", coverage=[OfficeState(state="TX")])
        session.add(office)
        session.flush()
        licensees = [add_licensee(session, "TX", office.id) for _ in range(50)]
        accounts = Accounts([], {})
        for n in range(users):
            persona = add_user(session, f"load{n:03d}", "investigator", office.id)
            accounts.usernames.append(persona.username)
            accounts.inspections[persona.username] = [
                str(add_inspection(session, licensees[(n + i) % len(licensees)], persona))
                for i in range(inspections_per_user)
            ]
        session.commit()
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does after a bulk load (this machine's server runs with it off):
            # without statistics the planner takes every table for empty.
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
        db.engine.dispose()
    return accounts


class Server:
    """gunicorn with ``gunicorn.conf.py`` in production mode, in its own process group."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env = env
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        handle, name = tempfile.mkstemp(prefix="inspector-gunicorn-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
                [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200 and len(self.workers()) > 0:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout} s; see {self.log_path}")

    def workers(self) -> list[int]:
        """The master's children (read from /proc)."""
        if self.process is None:
            return []
        master = self.process.pid
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == master and fields[0] != "Z":
                found.append(int(entry.name))
        return found

    def kill_worker(self) -> int | None:
        workers = self.workers()
        if not workers:
            return None
        victim = random.choice(workers)
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            return None
        return victim

    def kill_all(self) -> None:
        """SIGKILL the master and every worker at once (the whole process group)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_all()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def latency_line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    if not ms:
        return f"{name:<6} no requests"
    return (
        f"{name:<6} n={len(ms):<6} p50={percentile(ms, 50):7.1f} ms  p95={percentile(ms, 95):7.1f} ms  "
        f"p99={percentile(ms, 99):7.1f} ms  mean={statistics.fmean(ms):7.1f} ms  max={max(ms):7.1f} ms"
    )


@dataclass
class Outcome:
    """What one change came to, as its device saw it."""

    device: str
    op_id: str
    entity: str
    action: str
    record_id: str
    status: str | None = None  # the receipt's status, once receipted
    version: int | None = None
    in_doubt: bool = False  # a request carrying it got no answer (connection lost, 5xx, timeout)
    replayed: bool = False  # the receipt that settled it said it was stored before


@dataclass
class Device:
    """A tablet: one account, one device id, a queue it pushes in batches and a cursor it pulls with."""

    base_url: str
    username: str
    inspections: list[str]
    device_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    seq: int = 0
    cursor: str | None = None
    findings: dict[str, int] = field(default_factory=dict)  # id -> last version seen
    free_slots: list[tuple[str, str]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    push_seconds: list[float] = field(default_factory=list)
    pull_seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    token: str = ""
    finished: bool = False  # did every round it was given

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.base_url, timeout=30)
        self.free_slots = [(i, key) for i in self.inspections for key in ITEMS]
        random.Random(self.device_id).shuffle(self.free_slots)

    def login(self, deadline: float) -> None:
        while True:
            try:
                response = self.client.post(
                    "/api/v1/auth/token",
                    json={"username": self.username, "password": PASSWORD, "device_id": self.device_id},
                )
                if response.status_code == 200:
                    self.token = response.json()["access_token"]
                    self.client.headers["Authorization"] = f"Bearer {self.token}"
                    return
                self.errors.append(f"login {response.status_code}")
            except httpx.HTTPError as error:
                self.errors.append(f"login {type(error).__name__}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.username} could not log in")
            time.sleep(0.5)

    # ---- building a batch ---------------------------------------------------------------------
    def change(
        self, entity: str, record_id: str, action: str, fields: dict[str, Any], base: int | None
    ) -> dict[str, Any]:
        self.seq += 1
        op_id = str(uuid.uuid4())
        self.outcomes.append(Outcome(self.username, op_id, entity, action, record_id))
        return {
            "op_id": op_id,
            "seq": self.seq,
            "entity": entity,
            "id": record_id,
            "action": action,
            "base_version": base,
            "fields": fields,
            "client_time": "2026-11-30T12:00:00Z",
        }

    def batch(self, size: int, round_no: int) -> list[dict[str, Any]]:
        """60 % finding creates, 30 % updates of findings it already has, 10 % lead creates."""
        creates, leads = round(size * 0.6), max(1, round(size * 0.1))
        updates = size - creates - leads
        changes = []
        new: list[str] = []
        for _ in range(creates):
            if not self.free_slots:
                break
            inspection, key = self.free_slots.pop()
            finding = str(uuid.uuid4())
            new.append(finding)
            changes.append(
                self.change(
                    "finding",
                    finding,
                    "create",
                    {
                        "inspection_id": inspection,
                        "item_key": key,
                        "result": "violation",
                        "instances": 1,
                        "note": f"round {round_no}",
                    },
                    None,
                )
            )
        known = list(self.findings.items())
        random.shuffle(known)
        targets = known[:updates] or [(f, 1) for f in new[:updates]]
        for finding, version in targets:
            changes.append(
                self.change(
                    "finding",
                    finding,
                    "update",
                    {"note": f"updated in round {round_no}", "instances": round_no + 2},
                    version,
                )
            )
        for n in range(size - len(changes)):
            changes.append(
                self.change(
                    "lead",
                    str(uuid.uuid4()),
                    "create",
                    {
                        "indicators": ["multiple-sales"],
                        "narrative": "load test",
                        "firearms": [{"serial": f"LT-{self.device_id[:8]}-{self.seq}-{n}", "make": "Glock"}],
                    },
                    None,
                )
            )
        return changes

    # ---- talking to the server ----------------------------------------------------------------
    def push(self, changes: list[dict[str, Any]], deadline: float) -> bool:
        """Push until receipted, resending the very same body; False if the deadline passed first."""
        # Encoded once (orjson: the load generator shares the machine's two cores with the
        # server, so it spends as little of them as it can); every retry sends these bytes.
        body = orjson.dumps({"device_id": self.device_id, "schema_version": 1, "changes": changes})
        outcomes = {o.op_id: o for o in self.outcomes[-len(changes) :]}
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            started = time.perf_counter()
            try:
                response = self.client.post("/api/v1/sync/push", content=body, headers=JSON_HEADERS)
            except httpx.HTTPError as error:
                self.errors.append(f"push {type(error).__name__}")
                if not isinstance(error, httpx.ConnectError):  # refused: the request never left
                    for outcome in outcomes.values():
                        outcome.in_doubt = True
                time.sleep(min(2.0, 0.2 * attempt) * random.uniform(0.5, 1.5))
                continue
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                self.errors.append(f"push {response.status_code}")
                if response.status_code >= 500:
                    for outcome in outcomes.values():
                        outcome.in_doubt = True
                if response.status_code == 401:
                    self.login(deadline)
                time.sleep(min(2.0, 0.2 * attempt) * random.uniform(0.5, 1.5))
                continue
            self.push_seconds.append(elapsed)
            for receipt in orjson.loads(response.content)["receipts"]:
                outcome = outcomes[receipt["op_id"]]
                outcome.status = receipt["status"]
                outcome.version = receipt["version"]
                outcome.replayed = bool(receipt.get("replayed"))
                if receipt["entity"] == "finding" and receipt["status"] != "rejected":
                    outcome.record_id = receipt["id"]
                    self.findings[receipt["id"]] = receipt["version"]
            return True
        return False

    def pull(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            params = {"device_id": self.device_id, "schema_version": 1, "limit": 500}
            if self.cursor:
                params["cursor"] = self.cursor
            started = time.perf_counter()
            try:
                response = self.client.get("/api/v1/sync/pull", params=params)
            except httpx.HTTPError as error:
                self.errors.append(f"pull {type(error).__name__}")
                time.sleep(0.3)
                continue
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                self.errors.append(f"pull {response.status_code}")
                if response.status_code == 401:
                    self.login(deadline)
                time.sleep(0.3)
                continue
            self.pull_seconds.append(elapsed)
            page = orjson.loads(response.content)
            if page["resync"]:
                self.cursor = None
                continue
            for item in page["changes"]:
                if item["entity"] == "finding" and not item["deleted"]:
                    self.findings[item["id"]] = item["version"]
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return True
        return False


def audit(database_url: str, devices: list[Device]) -> dict[str, int]:
    """Check in the database that every receipted change is there exactly once."""
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        receipts = {
            (str(d), str(o)): n
            for d, o, n in conn.execute(
                sa.text("SELECT device_id, op_id, count(*) FROM sync_receipts GROUP BY device_id, op_id")
            )
        }
        findings = {str(i): v for i, v in conn.execute(sa.text("SELECT id, version FROM findings"))}
        leads = {str(i) for (i,) in conn.execute(sa.text("SELECT id FROM leads"))}
        natural_dupes = conn.scalar(
            sa.text(
                "SELECT count(*) FROM (SELECT inspection_id, item_key FROM findings "
                "GROUP BY inspection_id, item_key HAVING count(*) > 1) AS d"
            )
        )
    engine.dispose()
    counts = {"changes": 0, "acknowledged": 0, "rejected": 0, "lost": 0, "duplicates": 0, "unreceipted": 0}
    counts["in_doubt"] = counts["recovered"] = counts["replayed"] = 0
    counts["duplicates"] += int(natural_dupes or 0)
    for device in devices:
        for outcome in device.outcomes:
            counts["changes"] += 1
            counts["in_doubt"] += outcome.in_doubt
            key = (device.device_id, outcome.op_id)
            stored = receipts.get(key, 0)
            counts["duplicates"] += max(0, stored - 1)
            if outcome.status is None:
                counts["unreceipted"] += 1
                continue
            counts["replayed"] += outcome.replayed
            if outcome.in_doubt:
                counts["recovered"] += 1
            if outcome.status == "rejected":
                counts["rejected"] += 1
                continue
            counts["acknowledged"] += 1
            if stored == 0:
                counts["lost"] += 1
            elif outcome.entity == "finding":
                version = findings.get(outcome.record_id)
                if version is None or (outcome.version or 0) > version:
                    counts["lost"] += 1
            elif outcome.entity == "lead" and outcome.record_id not in leads:
                counts["lost"] += 1
    return counts


class Analyzer:
    """Autovacuum's ANALYZE, for a server that runs without autovacuum (as this machine's does).

    Production PostgreSQL keeps its planner statistics with autovacuum: a table is analyzed
    once 50 rows + 10 % of it changed since the last time. Without it, the tables a run fills
    (findings, leads, match keys: empty when the seed analyzed them) keep the statistics of
    empty tables, and the planner scans them whole for what an index finds (measured: 15
    million finding rows read in one load test). This thread applies autovacuum's rule every
    ``naptime`` seconds (autovacuum's default is a minute per database: shorter here because
    a run starts from empty tables that a production database does not have).
    """

    def __init__(self, database_url: str, naptime: float = 5.0) -> None:
        self.engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
        self.naptime = naptime
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        if self.naptime > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.engine.dispose()

    def _loop(self) -> None:
        while not self._stop.wait(self.naptime):
            with contextlib.suppress(sa.exc.SQLAlchemyError), self.engine.connect() as connection:
                due = connection.execute(
                    sa.text(
                        "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
                        "WHERE s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)"
                    )
                ).scalars()
                for table in list(due):
                    connection.execute(sa.text(f'ANALYZE "{table}"'))
                    self.runs += 1


def run_devices(devices: list[Device], work: Any, processes: int = 1) -> None:
    """Run ``work(device)`` for every device, each in its own thread.

    With ``processes`` > 1 the devices are split over that many forked processes (threads
    within each): 50 tablets are 50 machines, and one interpreter's lock shared by 50
    client threads would add its own queueing to the latencies measured. What each device
    recorded comes back to this process's ``Device`` objects.
    """
    if processes <= 1:
        _run_threads(devices, work)
        return
    import multiprocessing

    context = multiprocessing.get_context("fork")
    groups = [devices[n::processes] for n in range(processes)]
    children = []
    for group in groups:
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_run_group, args=(group, work, sender), daemon=True)
        child.start()
        sender.close()
        children.append((group, child, receiver))
    for group, child, receiver in children:
        try:
            states = receiver.recv()
        except EOFError:
            states = None  # the child died: its devices keep what they had (nothing done)
        child.join()
        if states is None:
            for device in group:
                device.errors.append(f"load generator process exited with {child.exitcode}")
            continue
        for device, state in zip(group, states, strict=True):
            device.__dict__.update(state)


def _run_threads(devices: list[Device], work: Any) -> None:
    threads = [threading.Thread(target=work, args=(d,), daemon=True) for d in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


#: What a device records while it works, sent back from a load generator process.
RECORDED = ("seq", "cursor", "findings", "outcomes", "push_seconds", "pull_seconds", "errors", "finished")


def _run_group(devices: list[Device], work: Any, sender: Any) -> None:
    for device in devices:  # a connection of its own, not the parent's
        device.client = httpx.Client(base_url=device.base_url, timeout=30)
    _run_threads(devices, work)
    sender.send([{name: getattr(d, name) for name in RECORDED} for d in devices])
    sender.close()

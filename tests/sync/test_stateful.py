"""Hypothesis plays devices against the real app: random offline edits, pushes and pulls.

Three devices of two investigators (two tablets of one, one of the other, who
works in the same office so their inspections are disjoint but their findings
can be raced only by the two tablets of the same person). After every step the
receipts just received are checked against the promises; at the end every queue
is drained and every replica must equal the server's view.

CI runs a bounded number of examples; ``make fuzz-sync`` runs many more
(``INSPECTOR_FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import empty_tables
from tests.factories import World, add_inspection, add_user, build_world
from tests.sync.device import SimDevice, change

EXAMPLES = int(os.environ.get("INSPECTOR_FUZZ_EXAMPLES", "12"))
STEPS = int(os.environ.get("INSPECTOR_FUZZ_STEPS", "30"))
ITEM_KEYS = [
    "license-posted",
    "ad-record-timeliness",
    "nics-checks",
    "form-4473-complete",
    "record-retention",
]
NOTES = st.sampled_from([None, "", "faded sign", "3 missing", "ok", "see photo"])
RESULTS = st.sampled_from(["compliant", "not_applicable", "not_reviewed", "violation"])


@dataclass
class Tablet:
    """A device with its outbox; what it sent is remembered to check nothing is lost."""

    sim: SimDevice
    outbox: list[dict[str, Any]] = field(default_factory=list)
    local_new: set[str] = field(default_factory=set)


class SyncMachine(RuleBasedStateMachine):
    app: Flask

    def __init__(self) -> None:
        super().__init__()
        empty_tables(self.app)
        self.world: World = build_world(self.app)
        from inspector.extensions import db

        with self.app.app_context():
            colleague = add_user(db.session, "ivan", "investigator", self.world.houston)
            add_inspection(db.session, self.world.licensee, colleague)
            db.session.commit()
        self.tablets = [
            Tablet(SimDevice(self.world, self.world.investigator)),
            Tablet(SimDevice(self.world, self.world.investigator)),
            Tablet(SimDevice(self.world, colleague)),
        ]
        self.sent: list[dict[str, Any]] = []  # every change any device pushed
        self.max_version: dict[tuple[str, str], int] = {}

    @initialize()
    def first_pull(self) -> None:
        for tablet in self.tablets:
            self.pull_into(tablet)

    # ---- helpers -------------------------------------------------------------------------------
    def pull_into(self, tablet: Tablet) -> None:
        for item in tablet.sim.sync_down():
            key = (item["entity"], item["id"])
            assert item["version"] >= self.max_version.get(key, 0), f"version went back for {key}"
            self.max_version[key] = item["version"]

    # Lists in the order records arrived (never sorted by their random ids), so that
    # Hypothesis replays an example with the same choices.
    def inspections(self, tablet: Tablet) -> list[str]:
        return [i for (e, i) in tablet.sim.replica if e == "inspection"]

    def findings(self, tablet: Tablet) -> list[str]:
        local = [i for (e, i) in tablet.sim.replica if e == "finding"]
        queued = [c["id"] for c in tablet.outbox if c["entity"] == "finding" and c["action"] == "create"]
        return list(dict.fromkeys(local + queued))

    @staticmethod
    def pick(data: Any, choices: list[str]) -> str:
        return choices[data.draw(st.integers(0, 10_000)) % len(choices)]

    def queue(self, tablet: Tablet, entry: dict[str, Any]) -> None:
        """The device's queue rules: squash into an unsent create of the same record, else append."""
        for queued in tablet.outbox:
            if queued["id"] == entry["id"] and queued["action"] == "create":
                if entry["action"] == "delete":
                    tablet.outbox = [c for c in tablet.outbox if c["id"] != entry["id"]]
                else:
                    queued["fields"].update(entry["fields"])
                return
        tablet.outbox.append(entry)

    def base_of(self, tablet: Tablet, record_id: str) -> int | None:
        record = tablet.sim.replica.get(("finding", record_id))
        return record["version"] if record else None

    # ---- rules ---------------------------------------------------------------------------------
    @rule(
        data=st.data(),
        device=st.integers(0, 2),
        item=st.sampled_from(ITEM_KEYS),
        result=RESULTS,
        note=NOTES,
        instances=st.integers(1, 4),
    )
    def create_finding(
        self, data: Any, device: int, item: str, result: str, note: str | None, instances: int
    ) -> None:
        tablet = self.tablets[device]
        inspections = self.inspections(tablet)
        if not inspections:
            return
        inspection = self.pick(data, inspections)
        fields = {
            "inspection_id": inspection,
            "item_key": item,
            "result": result,
            "note": note,
            "instances": instances if result == "violation" else 0,
        }
        self.queue(tablet, change("finding", uuid.uuid4(), "create", fields))

    @rule(
        data=st.data(),
        device=st.integers(0, 2),
        note=NOTES,
        result=RESULTS,
        instances=st.integers(1, 4),
        which=st.sampled_from(["note", "result", "both"]),
    )
    def update_finding(
        self, data: Any, device: int, note: str | None, result: str, instances: int, which: str
    ) -> None:
        tablet = self.tablets[device]
        findings = self.findings(tablet)
        if not findings:
            return
        finding = self.pick(data, findings)
        fields: dict[str, Any] = {}
        if which in ("note", "both"):
            fields["note"] = note
        if which in ("result", "both"):
            fields.update(result=result, instances=instances if result == "violation" else 0)
        base = self.base_of(tablet, finding)
        self.queue(tablet, change("finding", finding, "update", fields, base))

    @rule(data=st.data(), device=st.integers(0, 2))
    def delete_finding(self, data: Any, device: int) -> None:
        tablet = self.tablets[device]
        findings = self.findings(tablet)
        if not findings:
            return
        finding = self.pick(data, findings)
        self.queue(tablet, change("finding", finding, "delete", None, self.base_of(tablet, finding)))

    @rule(
        device=st.integers(0, 2),
        narrative=st.sampled_from(["straw buyer", "pattern", None]),
        serial=st.sampled_from(["AB-123", "ab123", "ZZ9"]),
    )
    def create_lead(self, device: int, narrative: str | None, serial: str) -> None:
        tablet = self.tablets[device]
        fields = {
            "indicators": ["straw-purchase-signs"],
            "narrative": narrative,
            "firearms": [
                {"make": "Glock", "model": "19", "serial": serial, "caliber": "9mm", "type": "pistol"}
            ],
        }
        self.queue(tablet, change("lead", uuid.uuid4(), "create", fields))

    @precondition(lambda self: any(t.outbox for t in self.tablets))
    @rule(device=st.integers(0, 2))
    def push(self, device: int) -> None:
        tablet = self.tablets[device]
        self.push_all(tablet)

    @rule(device=st.integers(0, 2))
    def pull(self, device: int) -> None:
        self.pull_into(self.tablets[device])

    def push_all(self, tablet: Tablet) -> None:
        if not tablet.outbox:
            return
        batch = [c for c in tablet.outbox if c["base_version"] is not None or c["action"] == "create"]
        waiting = [c for c in tablet.outbox if c not in batch]
        if not batch:
            tablet.outbox = waiting
            return
        body = tablet.sim.push(*batch)
        receipts = {r["op_id"]: r for r in body["receipts"]}
        assert len(receipts) == len(batch), "one receipt per change"
        for sent in batch:
            receipt = receipts[sent["op_id"]]
            assert receipt["status"] in ("applied", "merged", "conflict", "rejected")
            self.sent.append({**sent, "receipt": receipt})
            if receipt.get("merged_into"):
                for queued in waiting:
                    if queued["id"] == sent["id"]:
                        queued["id"] = receipt["merged_into"]
            if receipt["status"] != "rejected" and sent["action"] == "create":
                for queued in waiting:
                    if queued["id"] == receipt["id"] and queued["base_version"] is None:
                        queued["base_version"] = receipt["version"]
        tablet.outbox = waiting
        self.check_nothing_lost(batch)

    # ---- invariants ----------------------------------------------------------------------------
    def check_nothing_lost(self, batch: list[dict[str, Any]]) -> None:
        """Every value sent is in the record, its history, a conflict record or a rejected change."""
        from inspector.extensions import db
        from inspector.sync.models import Conflict, RecordVersion, RejectedChange

        with self.app.app_context():
            for sent in batch:
                receipt = next(s["receipt"] for s in self.sent if s["op_id"] == sent["op_id"])
                op_id = uuid.UUID(sent["op_id"])
                if receipt["status"] == "rejected":
                    stored = db.session.scalar(
                        sa.select(RejectedChange.fields).where(RejectedChange.op_id == op_id)
                    )
                    assert stored == sent["fields"], f"rejected change lost: {sent}"
                    continue
                target = uuid.UUID(receipt.get("merged_into") or receipt["id"])
                history = list(
                    db.session.scalars(
                        sa.select(RecordVersion).where(
                            RecordVersion.record_id == target, RecordVersion.entity == sent["entity"]
                        )
                    )
                )
                conflicts = list(db.session.scalars(sa.select(Conflict).where(Conflict.record_id == target)))
                if sent["action"] == "delete":
                    assert any(v.deleted for v in history) or any(
                        c.field == "_deleted" and c.client_value is True for c in conflicts
                    ), f"delete lost: {sent}"
                    continue
                for name, value in sent["fields"].items():
                    if name in ("inspection_id", "item_key") and receipt.get("merged_into"):
                        continue
                    in_history = any(v.data and v.data.get(name) == value for v in history)
                    in_conflict = any(
                        (c.field == name and c.client_value == value)
                        or (
                            c.field == "_deleted"
                            and isinstance(c.client_value, dict)
                            and c.client_value.get(name) == value
                        )
                        for c in conflicts
                    )
                    assert in_history or in_conflict, f"value lost: {name}={value!r} of {sent} ({receipt})"

    @invariant()
    def no_duplicates(self) -> None:
        from inspector.extensions import db
        from inspector.inspections.models import Finding
        from inspector.sync.models import SyncReceipt

        with self.app.app_context():
            live = db.session.execute(sa.select(Finding.inspection_id, Finding.item_key)).all()
            assert len(live) == len(set(live))
            receipts = db.session.scalar(sa.select(sa.func.count()).select_from(SyncReceipt))
            ops = {s["op_id"] for s in self.sent}
            assert receipts == len(ops) - self.idempotency_rejections()

    def idempotency_rejections(self) -> int:
        return len(
            {
                s["op_id"]
                for s in self.sent
                if s["receipt"]["problem"]
                and s["receipt"]["problem"]["type"] == "/problems/idempotency-conflict"
            }
        )

    def teardown(self) -> None:
        """Drain every queue, pull everywhere: each replica equals the server's view."""
        for _ in range(3):
            for tablet in self.tablets:
                self.pull_into(tablet)
                self.push_all(tablet)
                for queued in tablet.outbox:
                    if queued["base_version"] is None and queued["action"] != "create":
                        queued["base_version"] = self.base_of(tablet, queued["id"]) or 1
        for tablet in self.tablets:
            self.push_all(tablet)
        for tablet in self.tablets:
            self.pull_into(tablet)
            fresh = SimDevice(self.world, tablet.sim.persona)
            fresh.sync_down()
            synced = ("inspection", "finding", "lead", "conflict")
            mine = {k: v for k, v in tablet.sim.replica.items() if k[0] in synced}
            server = {k: v for k, v in fresh.replica.items() if k[0] in synced}
            assert mine == server, "a device differs from the server after syncing"


@pytest.mark.parametrize("_", [0])
def test_devices_converge_and_lose_nothing(app: Flask, _: int) -> None:
    SyncMachine.app = app
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )

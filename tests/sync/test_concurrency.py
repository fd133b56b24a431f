"""Many writers, several pullers, PostgreSQL: a pull never skips a committed change.

Transactions commit in a different order than they start; a feed ordered by a
plain sequence would let a puller pass a position whose transaction commits
later. Ours takes positions under a row lock at commit time.
"""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.factories import World
from tests.sync.device import SimDevice, change

PUSHERS = 8
PULLERS = 2
BATCHES = 6
BATCH_SIZE = 10


@pytest.mark.postgres_only
def test_pullers_see_every_committed_change_at_its_final_version(
    app: Flask, world: World, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite has one writer)")
    pushers = [SimDevice(world, world.investigator) for _ in range(PUSHERS)]
    pullers = [SimDevice(world, world.reviewer) for _ in range(PULLERS)]
    seen: list[dict[tuple[str, str], int]] = [{} for _ in range(PULLERS)]
    done = threading.Event()
    errors: list[BaseException] = []

    def push_loop(device: SimDevice) -> None:
        try:
            with app.app_context():
                for _ in range(BATCHES):
                    ids = [uuid.uuid4() for _ in range(BATCH_SIZE)]
                    creates = [
                        change("lead", i, "create", {"narrative": "n", "indicators": ["other"]}) for i in ids
                    ]
                    body = device.push(*creates)
                    assert all(r["status"] == "applied" for r in body["receipts"])
                    updates = [change("lead", i, "update", {"referral_agency": "HSI"}, 1) for i in ids[:3]]
                    device.push(*updates)
        except BaseException as error:
            errors.append(error)

    def pull_loop(n: int, device: SimDevice) -> None:
        try:
            with app.app_context():
                while True:
                    finished = done.is_set()
                    while True:
                        page = device.pull_page(device.cursor, limit=7)
                        assert not page["resync"]
                        for item in page["changes"]:
                            key = (item["entity"], item["id"])
                            assert item["version"] >= seen[n].get(key, 0)
                            seen[n][key] = item["version"]
                        device.cursor = page["cursor"]
                        if not page["has_more"]:
                            break
                    if finished:
                        return
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=pull_loop, args=(n, d)) for n, d in enumerate(pullers)]
    threads += [threading.Thread(target=push_loop, args=(d,)) for d in pushers]
    for thread in threads:
        thread.start()
    for thread in threads[PULLERS:]:
        thread.join(timeout=300)
    done.set()
    for thread in threads[:PULLERS]:
        thread.join(timeout=300)
    assert not errors, errors[0]

    from inspector.extensions import db
    from inspector.leads.models import Lead

    with app.app_context():
        final = {("lead", str(i)): v for i, v in db.session.execute(sa.select(Lead.id, Lead.version))}
    assert len(final) == PUSHERS * BATCHES * BATCH_SIZE
    for n in range(PULLERS):
        leads = {k: v for k, v in seen[n].items() if k[0] == "lead"}
        assert leads == final, f"puller {n} missed {len(set(final.items()) - set(leads.items()))} change(s)"

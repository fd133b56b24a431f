"""Two admins filling queues at the same moment (PostgreSQL: concurrent writers; SQLite has one)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from flask import Flask

from tests.factories import World
from tests.queues.test_assign import licensees, queue_ids

ROUNDS = 5


def assigner(world: World, investigator: uuid.UUID) -> Any:
    """An admin's client, logged in beforehand, that assigns licensees to one investigator."""
    client = world.client(world.admin)

    def send(ids: list[uuid.UUID]) -> int:
        body = {"licensee_ids": [str(i) for i in ids], "due_date": None, "type": "compliance"}
        return client.post(f"/api/v1/queues/{investigator}/assignments", json=body).status_code

    return send


def race(app: Flask, *work: Any) -> list[Any]:
    """Run each callable in its own thread, released together; their answers in order."""
    answers: list[Any] = [None] * len(work)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(work))

    def run(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                answers[n] = work[n]()
        except BaseException as error:
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return answers


@pytest.mark.postgres_only
def test_one_licensee_assigned_twice_at_once_is_queued_once(app: Flask, world: World, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite has one writer)")
    with app.app_context():
        from inspector.extensions import db
        from tests.factories import add_user

        colleague = add_user(db.session, f"colleague-{uuid.uuid4().hex[:6]}", "investigator", world.houston)
        db.session.commit()
    ines, nick = assigner(world, world.investigator.id), assigner(world, colleague.id)
    for _ in range(ROUNDS):
        wanted = licensees(world, 1)
        answers = race(app, lambda: ines(wanted), lambda: nick(wanted))  # noqa: B023 (joined in the loop)
        assert sorted(answers) == [201, 422], answers


@pytest.mark.postgres_only
def test_simultaneous_batches_for_one_investigator_keep_one_order(
    app: Flask, world: World, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite has one writer)")
    one, other = assigner(world, world.investigator.id), assigner(world, world.investigator.id)
    for _ in range(ROUNDS):
        first, second = licensees(world, 2), licensees(world, 2)
        answers = race(app, lambda: one(first), lambda: other(second))  # noqa: B023 (joined in the loop)
        assert answers == [201, 201]
    queue = world.client(world.admin).get(f"/api/v1/queues/{world.investigator.id}?page_size=500").json
    priorities = [e["inspection"]["priority"] for e in queue]
    assert priorities == list(range(len(queue), 0, -1)), priorities
    assert len(queue_ids(world)) == 1 + ROUNDS * 4

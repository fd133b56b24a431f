"""Two offices saving leads on the same gun at the same moment still find each other
(PostgreSQL: concurrent writers; SQLite has one writer)."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from tests.factories import World
from tests.leads.helpers import device, firearm, lead_row, push_lead

ROUNDS = 8


@pytest.mark.postgres_only
def test_simultaneous_leads_on_one_serial_match(app: Flask, world: World, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite has one writer)")
    houston = device(world, world.investigator)
    phoenix = device(world, world.investigator_other)
    made: list[list] = [[], []]  # type: ignore[type-arg]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(n: int, tablet) -> None:  # type: ignore[no-untyped-def]
        try:
            with app.app_context():
                for round_ in range(ROUNDS):
                    barrier.wait(timeout=30)
                    made[n].append(push_lead(tablet, firearms=[firearm(f"RACE-{round_}")]))
        except BaseException as error:
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(n, d)) for n, d in enumerate((houston, phoenix))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    for lead_id in made[0] + made[1]:
        assert lead_row(world, lead_id).match_count == 1, lead_id


@pytest.mark.postgres_only
def test_edits_of_a_matched_lead_alongside_new_matches(app: Flask, world: World, backend: str) -> None:
    """One office edits its lead while the other saves leads on the same gun: the edit holds
    the lead's row, a new match must flag it; nothing is lost, every push is applied."""
    if backend != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL matter (SQLite has one writer)")
    from tests.leads.helpers import update_lead

    houston = device(world, world.investigator)
    phoenix = device(world, world.investigator_other)
    theirs = push_lead(phoenix, firearms=[firearm("HOT-1")])
    made: list = []  # type: ignore[type-arg]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def create() -> None:
        try:
            with app.app_context():
                for _ in range(ROUNDS):
                    barrier.wait(timeout=30)
                    made.append(push_lead(houston, firearms=[firearm("hot 1")]))
        except BaseException as error:
            errors.append(error)
            barrier.abort()

    def edit() -> None:
        try:
            with app.app_context():
                for n in range(ROUNDS):
                    barrier.wait(timeout=30)
                    version = lead_row(world, theirs).version
                    receipt = update_lead(phoenix, theirs, version, narrative=f"edit {n}")
                    assert receipt["status"] in ("applied", "merged"), receipt
        except BaseException as error:
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=create), threading.Thread(target=edit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert lead_row(world, theirs).match_count == ROUNDS
    assert lead_row(world, theirs).narrative == f"edit {ROUNDS - 1}"
    for lead_id in made:
        assert lead_row(world, lead_id).match_count == ROUNDS

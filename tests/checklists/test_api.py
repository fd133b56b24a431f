"""/api/v1/checklists: the default checklist the data migration publishes, and reading it."""

from __future__ import annotations

import json
import uuid

import pytest
from flask.testing import FlaskClient

from tests.assertions import assert_problem
from tests.factories import PERSONAS, World

#: The default checklist of the domain doc: key -> (citation fragments, license types, states).
SELLERS = ["01", "02", "07", "08"]
DEALERS = ["01", "02"]
DOMAIN_ITEMS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "license-posted": (["478.91", "478.50"], [], []),
    "ad-record-timeliness": (["478.125(e)"], [], []),
    "ad-open-dispositions": (["478.125"], SELLERS, []),
    "inventory-reconciliation": (["478.125"], SELLERS, []),
    "form-4473-complete": (["478.124(c)"], SELLERS, []),
    "nics-checks": (["478.102", "478.124(c)(3)(iv)"], SELLERS, []),
    "multiple-sales-handgun": (["478.126a"], SELLERS, []),
    "multiple-sales-rifle": (["923(g)(5)"], SELLERS, ["AZ", "CA", "NM", "TX"]),
    "theft-loss-reporting": (["478.39a"], [], []),
    "record-retention": (["478.129"], [], []),
    "youth-handgun-notice": (["478.103"], DEALERS, []),
    "secure-storage-devices": (["922(z)"], DEALERS, []),
}


def default_checklist(world: World) -> dict[str, object]:
    response = world.client(world.investigator).get(f"/api/v1/checklists/{world.checklist}")
    assert response.status_code == 200
    return dict(response.json)


def test_anonymous_cannot_read_checklists(client: FlaskClient, world: World) -> None:
    assert_problem(client.get("/api/v1/checklists"), 401, "unauthorized")
    assert_problem(client.get(f"/api/v1/checklists/{world.checklist}"), 401, "unauthorized")


def test_the_data_migration_publishes_version_1(world: World) -> None:
    response = world.client(world.investigator).get("/api/v1/checklists")
    assert response.status_code == 200
    [checklist] = [c for c in response.json if c["key"] == "ffl-compliance"]
    assert checklist["version"] == 1
    assert checklist["title"] == "FFL compliance inspection"
    assert checklist["id"] == str(world.checklist)
    assert checklist["published_at"].endswith("Z") or checklist["published_at"].endswith("+00:00")
    assert "items" not in checklist  # the list is a summary; items come with one version
    meta = json.loads(response.headers["X-Pagination"])
    assert meta["total"] == len(response.json)


def test_the_default_checklist_has_the_twelve_items_of_the_domain(world: World) -> None:
    checklist = default_checklist(world)
    items = checklist["items"]
    assert isinstance(items, list)
    assert [item["key"] for item in items] == list(DOMAIN_ITEMS)
    assert [item["position"] for item in items] == list(range(1, 13))


@pytest.mark.parametrize("key", list(DOMAIN_ITEMS))
def test_each_item_carries_its_citation_and_applicability(world: World, key: str) -> None:
    citations, license_types, states = DOMAIN_ITEMS[key]
    [item] = [i for i in default_checklist(world)["items"] if i["key"] == key]  # type: ignore[attr-defined]
    for fragment in citations:
        assert fragment in item["citation"], (key, item["citation"])
    assert sorted(item["license_types"]) == sorted(license_types)
    assert sorted(item["states"]) == sorted(states)
    assert item["required"] is True
    assert item["area"] and item["prompt"]


def test_multiple_sales_rifle_applies_to_the_four_border_states_only(world: World) -> None:
    from inspector.checklists.models import ChecklistItem
    from inspector.extensions import db

    with world.app.app_context():
        item = db.session.scalar(
            db.select(ChecklistItem).where(
                ChecklistItem.checklist_id == world.checklist,
                ChecklistItem.key == "multiple-sales-rifle",
            )
        )
        assert item is not None
        for state in ("AZ", "CA", "NM", "TX"):
            assert item.applies_to("01", state)
            assert item.applies_to("08", state)
        for state in ("OK", "NV", "FL", "NY"):
            assert not item.applies_to("01", state)
        assert not item.applies_to("03", "TX")  # collectors do not report multiple sales
        assert not item.applies_to("06", "AZ")


def test_every_signed_in_persona_reads_the_same_checklist(world: World) -> None:
    answers = []
    for name in PERSONAS:
        response = world.client(world.persona(name)).get(f"/api/v1/checklists/{world.checklist}")
        assert response.status_code == 200, name
        answers.append(response.json)
    assert all(answer == answers[0] for answer in answers)


def test_an_unknown_checklist_is_404(world: World) -> None:
    client = world.client(world.admin)
    assert_problem(client.get(f"/api/v1/checklists/{uuid.uuid4()}"), 404, "not-found")
    assert_problem(client.get("/api/v1/checklists/not-a-uuid"), 404, "not-found")


def test_a_newer_version_is_listed_and_the_old_one_stays(world: World) -> None:
    from inspector.checklists.models import Checklist, ChecklistItem
    from inspector.checklists.service import current_checklist
    from inspector.extensions import db

    with world.app.app_context():
        v2 = Checklist(
            key="ffl-compliance",
            version=2,
            title="FFL compliance inspection",
            items=[
                ChecklistItem(
                    position=1,
                    key="license-posted",
                    area="License posted",
                    prompt="Is the license posted?",
                    citation="27 CFR 478.91",
                )
            ],
        )
        db.session.add(v2)
        db.session.commit()
        assert current_checklist(db.session).id == v2.id
        v2_id = v2.id
    client = world.client(world.investigator)
    listed = client.get("/api/v1/checklists").json
    assert [(c["key"], c["version"]) for c in listed] == [
        ("ffl-compliance", 1),
        ("ffl-compliance", 2),
    ]
    assert len(client.get(f"/api/v1/checklists/{world.checklist}").json["items"]) == 12
    assert len(client.get(f"/api/v1/checklists/{v2_id}").json["items"]) == 1

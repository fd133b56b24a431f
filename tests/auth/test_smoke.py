from tests.factories import World


def test_investigator_lists_own_inspections(world: World) -> None:
    response = world.client(world.investigator).get("/api/v1/inspections")
    assert response.status_code == 200
    assert [i["id"] for i in response.json] == [str(world.inspection)]

"""The pure three-way merge rules (inspector/sync/merge.py) against the contract's normative table.

No app and no database: records are dicts of JSON values, versions are plain data.
``B`` is the value at the change's base version, ``S`` the server's value now and
``C`` the value the change carries.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.sync.merge import (
    DELETED_FIELD,
    FieldConflict,
    MergeResult,
    Version,
    edit_of_deleted,
    last_writer_of,
    merge_change,
    merge_delete,
    other_device_wrote,
)

DEVICE = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER = uuid.UUID("00000000-0000-4000-8000-000000000002")
#: versions written by the server itself (a review, a reassignment, a conflict resolution).
SERVER = None


def v(device: uuid.UUID | None, **data: Any) -> Version:
    return Version(device, data)


def merge(
    base: dict[str, Any] | None,
    server: dict[str, Any],
    since: list[Version],
    fields: dict[str, Any],
    device: uuid.UUID = DEVICE,
) -> MergeResult:
    return merge_change(device_id=device, base=base, server=server, since_base=since, fields=fields)


# ---- the normative table, one field at a time ----------------------------------------------------


TABLE = [
    pytest.param(
        # S == B: nothing happened since the base.
        {"note": "a"},
        {"note": "a"},
        [],
        {"note": "c"},
        "applied",
        {"note": "c"},
        [],
        id="S==B-no-versions-since-base",
    ),
    pytest.param(
        # S == B while another device changed another field: the field is still ours to write.
        {"note": "a", "result": "compliant"},
        {"note": "a", "result": "violation"},
        [v(OTHER, note="a", result="violation")],
        {"note": "c"},
        "merged",
        {"note": "c"},
        [],
        id="S==B-other-device-changed-another-field",
    ),
    pytest.param(
        # Another device wrote a version, but rewrote the same value: not a change.
        {"note": "a"},
        {"note": "a"},
        [v(OTHER, note="a")],
        {"note": "c"},
        "merged",
        {"note": "c"},
        [],
        id="S==B-other-device-rewrote-same-value",
    ),
    pytest.param(
        # Another device changed the value and changed it back: S == B, so C is written.
        {"note": "a"},
        {"note": "a"},
        [v(OTHER, note="x"), v(OTHER, note="a")],
        {"note": "c"},
        "merged",
        {"note": "c"},
        [],
        id="S==B-other-device-changed-and-reverted",
    ),
    pytest.param(
        # S != B, but the last version that changed the field is this device's own.
        {"note": "a"},
        {"note": "mine"},
        [v(DEVICE, note="mine")],
        {"note": "c"},
        "applied",
        {"note": "c"},
        [],
        id="S!=B-last-changer-is-this-device",
    ),
    pytest.param(
        # Another device changed f first, this device changed it after: the last changer wins.
        {"note": "a"},
        {"note": "mine"},
        [v(OTHER, note="theirs"), v(DEVICE, note="mine")],
        {"note": "c"},
        "merged",
        {"note": "c"},
        [],
        id="S!=B-this-device-changed-after-other",
    ),
    pytest.param(
        # This device changed f; another device's later version kept the value (changed only g).
        {"note": "a", "result": "compliant"},
        {"note": "mine", "result": "violation"},
        [v(DEVICE, note="mine", result="compliant"), v(OTHER, note="mine", result="violation")],
        {"note": "c"},
        "merged",
        {"note": "c"},
        [],
        id="S!=B-other-device-version-did-not-change-f",
    ),
    pytest.param(
        # S != B (another device), S == C: already equal, nothing to write, no new version.
        {"note": "a"},
        {"note": "same"},
        [v(OTHER, note="same")],
        {"note": "same"},
        "merged",
        {},
        [],
        id="S!=B-S==C-nothing",
    ),
    pytest.param(
        # S != B (another device), S != C: conflict, the server value is kept.
        {"note": "a"},
        {"note": "theirs"},
        [v(OTHER, note="theirs")],
        {"note": "c"},
        "conflict",
        {},
        [FieldConflict("note", "a", "theirs", "c")],
        id="S!=B-S!=C-conflict",
    ),
    pytest.param(
        # This device changed f, then another device changed it again: the other is the last changer.
        {"note": "a"},
        {"note": "theirs"},
        [v(DEVICE, note="mine"), v(OTHER, note="theirs")],
        {"note": "c"},
        "conflict",
        {},
        [FieldConflict("note", "a", "theirs", "c")],
        id="S!=B-other-device-changed-after-this-one",
    ),
    pytest.param(
        # A server-side write (no device) is "another device" too.
        {"note": "a"},
        {"note": "server"},
        [v(SERVER, note="server")],
        {"note": "c"},
        "conflict",
        {},
        [FieldConflict("note", "a", "server", "c")],
        id="S!=B-server-write-conflicts",
    ),
    pytest.param(
        # Null is a value like any other: B null, S set by another device, C null.
        {"note": None},
        {"note": "theirs"},
        [v(OTHER, note="theirs")],
        {"note": None},
        "conflict",
        {},
        [FieldConflict("note", None, "theirs", None)],
        id="client-clears-what-another-device-set",
    ),
    pytest.param(
        {"note": "a"},
        {"note": None},
        [v(OTHER, note=None)],
        {"note": "c"},
        "conflict",
        {},
        [FieldConflict("note", "a", None, "c")],
        id="other-device-cleared-client-sets",
    ),
    pytest.param(
        # A field absent from the base counts as null.
        {},
        {"note": "theirs"},
        [v(OTHER, note="theirs")],
        {"note": "c"},
        "conflict",
        {},
        [FieldConflict("note", None, "theirs", "c")],
        id="field-missing-from-base-is-null",
    ),
]


@pytest.mark.parametrize(
    ("base", "server", "since", "fields", "status", "writes", "conflicts"),
    TABLE,
)
def test_normative_table(
    base: dict[str, Any],
    server: dict[str, Any],
    since: list[Version],
    fields: dict[str, Any],
    status: str,
    writes: dict[str, Any],
    conflicts: list[FieldConflict],
) -> None:
    result = merge(base, server, since, fields)
    assert result.status == status
    assert result.writes == writes
    assert result.conflicts == conflicts


def test_fields_are_decided_one_by_one() -> None:
    """One conflicting field does not stop the others: they are written or left equal."""
    base = {"note": "a", "result": "compliant", "instances": 0, "attachments": []}
    server = {"note": "theirs", "result": "violation", "instances": 2, "attachments": []}
    since = [v(OTHER, note="theirs", result="violation", instances=2, attachments=[])]
    result = merge(
        base,
        server,
        since,
        {"note": "mine", "result": "violation", "attachments": ["d1"], "instances": 5},
    )
    assert result.status == "conflict"
    assert result.writes == {"attachments": ["d1"]}
    assert result.conflicts == [
        FieldConflict("note", "a", "theirs", "mine"),
        FieldConflict("instances", 0, 2, 5),
    ]
    assert result.writes_new_version


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        pytest.param(MergeResult("applied", {"note": "x"}), True, id="applied-with-writes"),
        pytest.param(MergeResult("applied", {}), True, id="applied-always-writes"),
        pytest.param(MergeResult("merged", {"note": "x"}), True, id="merged-with-writes"),
        pytest.param(MergeResult("merged", {}), False, id="merged-all-equal-no-version"),
        pytest.param(
            MergeResult("conflict", {}, [FieldConflict("note", 1, 2, 3)]), True, id="conflict-always"
        ),
    ],
)
def test_writes_new_version(result: MergeResult, expected: bool) -> None:
    assert result.writes_new_version is expected


def test_merged_with_nothing_to_write_writes_no_version() -> None:
    result = merge({"note": "a"}, {"note": "b"}, [v(OTHER, note="b")], {"note": "b"})
    assert (result.status, result.writes, result.conflicts) == ("merged", {}, [])
    assert not result.writes_new_version


def test_status_applied_only_when_no_other_device_wrote_since_base() -> None:
    mine = merge({"note": "a"}, {"note": "a", "x": 2}, [v(DEVICE, note="a", x=2)], {"note": "c"})
    theirs = merge({"note": "a"}, {"note": "a", "x": 2}, [v(OTHER, note="a", x=2)], {"note": "c"})
    server = merge({"note": "a"}, {"note": "a", "x": 2}, [v(SERVER, note="a", x=2)], {"note": "c"})
    assert (mine.status, theirs.status, server.status) == ("applied", "merged", "merged")
    assert mine.writes == theirs.writes == server.writes == {"note": "c"}


def test_only_fields_that_differ_from_the_server_are_written() -> None:
    result = merge(
        {"note": "a", "result": "compliant"},
        {"note": "a", "result": "compliant"},
        [],
        {
            "note": "a",
            "result": "violation",
        },
    )
    assert result.status == "applied"
    assert result.writes == {"result": "violation"}


# ---- a device never conflicts with itself --------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        ["b"],
        ["b", "c"],
        ["b", "a"],
        ["b", None, "d"],
        ["a", "a", "z"],
    ],
)
@pytest.mark.parametrize("client", ["a", "b", "new", None])
def test_a_device_never_conflicts_with_its_own_versions(values: list[Any], client: Any) -> None:
    since = [v(DEVICE, note=value, result="compliant") for value in values]
    server = {"note": values[-1], "result": "compliant"}
    result = merge({"note": "a", "result": "compliant"}, server, since, {"note": client})
    assert result.conflicts == []
    assert result.status == "applied"
    assert result.writes == ({} if client == values[-1] else {"note": client})


def test_another_user_device_is_another_device() -> None:
    """Two devices of the same person conflict like any two devices."""
    base = {"note": "a"}
    since = [v(DEVICE, note="from tablet one")]
    result = merge(base, {"note": "from tablet one"}, since, {"note": "from tablet two"}, device=OTHER)
    assert result.conflicts == [FieldConflict("note", "a", "from tablet one", "from tablet two")]


# ---- natural-key merges: no base -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "fields", "status", "writes", "conflicts"),
    [
        pytest.param(
            {"result": "violation", "instances": 2},
            {"result": "violation", "instances": 2},
            "merged",
            {},
            [],
            id="equal-values-merge",
        ),
        pytest.param(
            {"result": "violation", "note": None},
            {"result": "violation", "note": "from the second tablet"},
            "merged",
            {"note": "from the second tablet"},
            [],
            id="server-null-takes-client",
        ),
        pytest.param(
            {"result": "violation"},
            {"result": "compliant"},
            "conflict",
            {},
            [FieldConflict("result", None, "violation", "compliant")],
            id="differing-values-conflict-with-null-base",
        ),
        pytest.param(
            {"result": "violation", "instances": 2, "note": None},
            {"result": "violation", "instances": 3, "note": "n"},
            "conflict",
            {"note": "n"},
            [FieldConflict("instances", None, 2, 3)],
            id="mixed",
        ),
    ],
)
def test_natural_key_merge_without_base(
    server: dict[str, Any],
    fields: dict[str, Any],
    status: str,
    writes: dict[str, Any],
    conflicts: list[FieldConflict],
) -> None:
    since = [Version(OTHER, dict(server))]
    result = merge(None, server, since, fields)
    assert result.status == status
    assert result.writes == writes
    assert result.conflicts == conflicts


def test_natural_key_merge_is_never_applied() -> None:
    """A create merged into an existing record is reported as merged, even when nothing differs."""
    result = merge(None, {"note": None}, [], {"note": None})
    assert result.status == "merged"
    assert not result.writes_new_version


# ---- lists and objects are one value -------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "server", "client", "status", "writes", "conflicted"),
    [
        pytest.param(["d1"], ["d1", "d2"], ["d1", "d3"], "conflict", {}, True, id="list-both-appended"),
        pytest.param(["d1"], ["d1", "d2"], ["d1", "d2"], "merged", {}, False, id="list-equal"),
        pytest.param(["d1", "d2"], ["d2", "d1"], ["d1"], "conflict", {}, True, id="list-order-counts"),
        pytest.param(
            ["d1"], ["d1"], ["d1", "d3"], "merged", {"attachments": ["d1", "d3"]}, False, id="list-S==B"
        ),
        pytest.param(
            [{"serial": "A1", "make": None}],
            [{"make": None, "serial": "A1"}],
            [{"serial": "A1", "make": "Colt"}],
            "merged",
            {"attachments": [{"serial": "A1", "make": "Colt"}]},
            False,
            id="object-key-order-does-not-count",
        ),
        pytest.param(
            [{"serial": "A1", "make": None}],
            [{"serial": "A1", "make": "Ruger"}],
            [{"serial": "A1", "make": "Colt"}],
            "conflict",
            {},
            True,
            id="object-inner-change-conflicts-whole",
        ),
    ],
)
def test_lists_and_objects_are_compared_whole(
    base: Any, server: Any, client: Any, status: str, writes: dict[str, Any], conflicted: bool
) -> None:
    since = [v(OTHER, attachments=server)]
    result = merge({"attachments": base}, {"attachments": server}, since, {"attachments": client})
    assert result.status == status
    assert result.writes == writes
    if conflicted:
        assert result.conflicts == [FieldConflict("attachments", base, server, client)]
    else:
        assert result.conflicts == []


# ---- deletes -------------------------------------------------------------------------------------

DELETE_CONFLICT = [FieldConflict(DELETED_FIELD, False, False, True)]


@pytest.mark.parametrize(
    ("base", "server", "since", "status"),
    [
        pytest.param({"note": "a"}, {"note": "a"}, [], "applied", id="nothing-since-base"),
        pytest.param(
            {"note": "a"}, {"note": "b"}, [v(OTHER, note="b")], "conflict", id="another-device-edited"
        ),
        pytest.param({"note": "a"}, {"note": "b"}, [v(SERVER, note="b")], "conflict", id="server-edited"),
        pytest.param(
            {"note": "a"},
            {"note": "c"},
            [v(DEVICE, note="b"), v(DEVICE, note="c")],
            "applied",
            id="only-own-edits",
        ),
        pytest.param(
            {"note": "a", "result": "x"},
            {"note": "a", "result": "y"},
            [v(DEVICE, note="b", result="x"), v(OTHER, note="a", result="y")],
            "conflict",
            id="own-and-other-edits",
        ),
        pytest.param(
            {"note": "a"},
            {"note": "a"},
            [v(OTHER, note="a")],
            "applied",
            id="other-device-rewrote-same-values",
        ),
        pytest.param(
            {"note": "a"},
            {"note": "a"},
            [v(OTHER, note="x"), v(OTHER, note="a")],
            "applied",
            id="other-device-changed-and-reverted",
        ),
        pytest.param(
            {"note": "a"},
            {"note": "mine"},
            [v(OTHER, note="theirs"), v(DEVICE, note="mine")],
            "applied",
            id="own-edit-after-other-device",
        ),
        pytest.param(
            {},
            {"note": "theirs"},
            [v(OTHER, note="theirs")],
            "conflict",
            id="unknown-base-other-device-wrote",
        ),
    ],
)
def test_merge_delete(
    base: dict[str, Any], server: dict[str, Any], since: list[Version], status: str
) -> None:
    result = merge_delete(device_id=DEVICE, base=base, server=server, since_base=since)
    assert result.status == status
    if status == "conflict":
        assert result.conflicts == DELETE_CONFLICT
        assert result.writes == {}
    else:
        assert result.conflicts == []
        assert result.writes == {DELETED_FIELD: True}
    assert result.writes_new_version


def test_edit_of_deleted_is_a_conflict_carrying_the_edit() -> None:
    fields = {"note": "still here", "attachments": ["d1"]}
    result = edit_of_deleted(fields)
    assert result.status == "conflict"
    assert result.writes == {}
    assert result.conflicts == [FieldConflict(DELETED_FIELD, False, True, fields)]
    assert result.writes_new_version
    fields["note"] = "changed later"
    assert result.conflicts[0].client_value["note"] == "still here"


# ---- helpers -------------------------------------------------------------------------------------


def test_last_writer_of_ignores_versions_that_kept_the_value() -> None:
    first = v(DEVICE, note="b", result="x")
    second = v(OTHER, note="b", result="y")
    assert last_writer_of("note", {"note": "a"}, [first, second]) is first
    assert last_writer_of("result", {"result": "x"}, [first, second]) is second
    assert last_writer_of("note", {"note": "b"}, [first, second]) is None
    assert last_writer_of("note", None, [v(OTHER, note=None)]) is None


def test_other_device_wrote() -> None:
    assert not other_device_wrote(DEVICE, [])
    assert not other_device_wrote(DEVICE, [v(DEVICE), v(DEVICE)])
    assert other_device_wrote(DEVICE, [v(DEVICE), v(OTHER)])
    assert other_device_wrote(DEVICE, [v(SERVER)])


# ---- properties ----------------------------------------------------------------------------------

NAMES = ("note", "result", "attachments")
#: a small domain, so values often coincide; no booleans (JSON's true is not 1, Python's is).
VALUES = st.sampled_from([None, 0, 3, "a", "b", [], ["d1"], ["d1", "d2"], {"serial": "A1"}])
RECORDS = st.fixed_dictionaries({name: VALUES for name in NAMES})
DEVICES = st.sampled_from([DEVICE, OTHER, SERVER])


@st.composite
def situations(draw: st.DrawFn, *, with_base: bool = True) -> tuple[Any, ...]:
    base = draw(RECORDS) if with_base else None
    versions = draw(st.lists(st.tuples(DEVICES, RECORDS), max_size=4))
    since = [Version(device, data) for device, data in versions]
    server = dict(since[-1].data) if since else dict(base or draw(RECORDS))
    fields = draw(st.dictionaries(st.sampled_from(NAMES), VALUES, min_size=1))
    return base, server, since, fields


@settings(max_examples=400, deadline=None)
@given(situations() | situations(with_base=False))
def test_no_client_value_is_dropped(situation: tuple[Any, ...]) -> None:
    """Every value a device sent is written, already on the server, or kept in a conflict."""
    base, server, since, fields = situation
    snapshot = copy.deepcopy((base, server, since, fields))
    result = merge(base, server, since, fields)
    conflicted = {c.field: c for c in result.conflicts}
    for name, value in fields.items():
        written = name in result.writes and result.writes[name] == value
        equal = server.get(name) == value and name not in result.writes
        kept = name in conflicted and conflicted[name].client_value == value
        assert [written, equal, kept].count(True) == 1, (name, value, result)
        if kept:
            conflict = conflicted[name]
            assert conflict.server_value == server.get(name)
            assert conflict.base_value == (base or {}).get(name)
            assert server.get(name) != (base or {}).get(name)
    assert set(result.writes) <= set(fields)
    assert all(result.writes[n] != server.get(n) for n in result.writes)
    assert (result.status == "conflict") == bool(result.conflicts)
    assert (base, server, since, fields) == snapshot, "merge_change must not modify its input"


@settings(max_examples=400, deadline=None)
@given(situations())
def test_merging_a_change_again_changes_nothing(situation: tuple[Any, ...]) -> None:
    """Once a change is stored, merging it again (a retry after a lost receipt) writes nothing new."""
    base, server, since, fields = situation
    first = merge(base, server, since, fields)
    after = {**server, **first.writes}
    stored = [*since, Version(DEVICE, after)] if first.writes_new_version else since
    second = merge(base, after, stored, fields)
    assert second.writes == {}
    assert [c.field for c in second.conflicts] == [c.field for c in first.conflicts]
    assert not (second.status == "merged" and second.writes_new_version)


@settings(max_examples=300, deadline=None)
@given(RECORDS, st.lists(RECORDS, max_size=4), st.dictionaries(st.sampled_from(NAMES), VALUES, min_size=1))
def test_own_versions_never_conflict(
    base: dict[str, Any], own: list[dict[str, Any]], fields: dict[str, Any]
) -> None:
    since = [Version(DEVICE, data) for data in own]
    server = own[-1] if own else base
    result = merge(base, server, since, fields)
    assert result.conflicts == []
    assert result.status == "applied"
    assert result.writes == {k: c for k, c in fields.items() if server.get(k) != c}
    deleted = merge_delete(device_id=DEVICE, base=base, server=server, since_base=since)
    assert deleted.status == "applied"


@settings(max_examples=300, deadline=None)
@given(situations())
def test_unchanged_fields_never_conflict(situation: tuple[Any, ...]) -> None:
    """S == B means nobody changed the field: the device's value is written, whoever wrote versions."""
    base, server, since, fields = situation
    result = merge(base, server, since, fields)
    for name in fields:
        if server.get(name) == base.get(name):
            assert name not in {c.field for c in result.conflicts}
            assert result.writes.get(name, server.get(name)) == fields[name]

"""The three-way merge rules of the sync contract, as pure functions.

No Flask, no database: values are JSON values, versions are plain data. The
service loads what these functions need, and writes what they decide.

For each field ``f`` a change sets, with ``B`` the value at the change's base
version, ``S`` the server's current value and ``C`` the change's value:

* ``S == B``, or the last version since the base that changed ``f`` was
  written by this same device: write ``C``;
* ``S != B`` and ``S == C``: nothing to write;
* ``S != B`` and ``S != C``: conflict, keep ``S``.

"Changed" means the value differs, not merely that a version was written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["applied", "merged", "conflict"]

#: the pseudo-field of delete-versus-edit and edit-versus-delete conflicts.
DELETED_FIELD = "_deleted"


@dataclass(frozen=True)
class Version:
    """One version written since the base: who wrote it, and the record it left."""

    device_id: uuid.UUID | None
    data: Mapping[str, Any]


@dataclass(frozen=True)
class FieldConflict:
    field: str
    base_value: Any
    server_value: Any
    client_value: Any


@dataclass
class MergeResult:
    status: Status
    #: the fields to write, with their new values (only those that differ from the server).
    writes: dict[str, Any] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)

    @property
    def writes_new_version(self) -> bool:
        """Applied always writes; merged only when something differs; conflict always."""
        return self.status != "merged" or bool(self.writes)


def last_writer_of(
    name: str, base: Mapping[str, Any] | None, since_base: Sequence[Version]
) -> Version | None:
    """The last version since the base whose value of ``name`` differs from the one before it."""
    previous = base.get(name) if base is not None else None
    last: Version | None = None
    for version in since_base:
        value = version.data.get(name)
        if value != previous:
            last = version
        previous = value
    return last


def other_device_wrote(device_id: uuid.UUID, since_base: Sequence[Version]) -> bool:
    """A version since the base came from another device (or from the server itself)."""
    return any(v.device_id != device_id for v in since_base)


def merge_change(
    *,
    device_id: uuid.UUID,
    base: Mapping[str, Any] | None,
    server: Mapping[str, Any],
    since_base: Sequence[Version],
    fields: Mapping[str, Any],
) -> MergeResult:
    """Decide an update against the server record (the normative table of the contract).

    ``base`` is None for a create merged into an existing record by natural
    key: every base value is then null.
    """
    writes: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    for name, client_value in fields.items():
        base_value = base.get(name) if base is not None else None
        server_value = server.get(name)
        if server_value == base_value:
            ours = True
        else:
            writer = last_writer_of(name, base, since_base)
            ours = writer is not None and writer.device_id == device_id
        if ours:
            if client_value != server_value:
                writes[name] = client_value
        elif server_value != client_value:
            conflicts.append(FieldConflict(name, base_value, server_value, client_value))
    if conflicts:
        status: Status = "conflict"
    elif base is None or other_device_wrote(device_id, since_base):
        status = "merged"
    else:
        status = "applied"
    return MergeResult(status, writes, conflicts)


def merge_delete(
    *,
    device_id: uuid.UUID,
    base: Mapping[str, Any] | None,
    server: Mapping[str, Any],
    since_base: Sequence[Version],
) -> MergeResult:
    """A delete loses to an edit made by another device since the base: conflict on ``_deleted``.

    ``base`` and ``server`` hold client-settable fields only, so bookkeeping
    (versions, timestamps) never counts as an edit. As for updates, "changed"
    means the value differs: a field whose server value equals its base value
    was not edited, however many versions rewrote or reverted it.
    """
    names = set(server) | set(base or {})
    for name in sorted(names):
        if server.get(name) == (base.get(name) if base is not None else None):
            continue
        writer = last_writer_of(name, base, since_base)
        if writer is not None and writer.device_id != device_id:
            return MergeResult("conflict", conflicts=[FieldConflict(DELETED_FIELD, False, False, True)])
    return MergeResult("applied", writes={DELETED_FIELD: True})


def edit_of_deleted(fields: Mapping[str, Any]) -> MergeResult:
    """An update of a record that is already deleted never revives it silently."""
    return MergeResult("conflict", conflicts=[FieldConflict(DELETED_FIELD, False, True, dict(fields))])

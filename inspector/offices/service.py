"""Field offices and user administration (admins only)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.audit import service as audit
from inspector.auth.passwords import hash_password
from inspector.auth.service import require_role, revoke_families_of
from inspector.offices.models import FieldOffice, OfficeState, User
from inspector.problems import Problem


def list_offices(actor: User) -> sa.Select[FieldOffice]:
    require_role(actor, "admin")
    return sa.select(FieldOffice).order_by(FieldOffice.name)


def create_office(session: Session, actor: User, data: dict[str, Any], address: str | None) -> FieldOffice:
    require_role(actor, "admin")
    if session.scalar(sa.select(FieldOffice.id).where(FieldOffice.name == data["name"])):
        raise Problem("conflict", "A field office with this name exists.")
    states = sorted(set(data["states"]))
    taken = session.scalars(sa.select(OfficeState.state).where(OfficeState.state.in_(states))).all()
    if taken:
        raise Problem(
            "validation-error",
            "Some states are covered by another office.",
            errors={"states": [f"{s} is covered by another office" for s in taken]},
        )
    office = FieldOffice(name=data["name"], coverage=[OfficeState(state=s) for s in states])
    session.add(office)
    session.flush()
    audit.record(
        session,
        "office-created",
        actor=actor,
        target_type="field_office",
        target_id=office.id,
        address=address,
        details={"name": office.name, "states": states},
    )
    return office


def office_for_state(session: Session, state: str) -> FieldOffice | None:
    """The office whose coverage includes the state (licensees belong to it by default)."""
    return session.scalar(sa.select(FieldOffice).join(OfficeState).where(OfficeState.state == state))


def list_users(actor: User, filters: dict[str, Any]) -> sa.Select[User]:
    require_role(actor, "admin")
    query = sa.select(User).order_by(User.username)
    if role := filters.get("role"):
        query = query.where(User.role == role)
    if office := filters.get("field_office_id"):
        query = query.where(User.field_office_id == office)
    return query


def get_user(session: Session, actor: User, user_id: uuid.UUID) -> User:
    require_role(actor, "admin")
    user = session.get(User, user_id)
    if user is None:
        raise Problem("not-found", "No such user.")
    return user


def _check_office(session: Session, role: str, office_id: uuid.UUID | None) -> None:
    if role != "admin" and office_id is None:
        raise Problem(
            "validation-error",
            "Investigators and reviewers belong to a field office.",
            errors={"field_office_id": ["required for this role"]},
        )
    if office_id is not None and session.get(FieldOffice, office_id) is None:
        raise Problem(
            "validation-error",
            "No such field office.",
            errors={"field_office_id": ["unknown office"]},
        )


def create_user(session: Session, actor: User, data: dict[str, Any], address: str | None) -> User:
    require_role(actor, "admin")
    _check_office(session, data["role"], data.get("field_office_id"))
    if session.scalar(sa.select(User.id).where(User.username == data["username"])):
        raise Problem("conflict", "This user name is taken.")
    user = User(
        username=data["username"],
        display_name=data["display_name"],
        role=data["role"],
        field_office_id=data.get("field_office_id") if data["role"] != "admin" else None,
        password_hash=hash_password(data["password"]),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "user-created",
        actor=actor,
        target_type="user",
        target_id=user.id,
        address=address,
        details={
            "username": user.username,
            "role": user.role,
            "field_office_id": str(user.field_office_id) if user.field_office_id else None,
        },
    )
    return user


def update_user(
    session: Session, actor: User, user_id: uuid.UUID, data: dict[str, Any], address: str | None
) -> User:
    """Role, office, password or active changes end the user's sessions at once."""
    user = get_user(session, actor, user_id)
    role = data.get("role", user.role)
    office_id = data.get("field_office_id", user.field_office_id)
    if role == "admin":
        office_id = None
    _check_office(session, role, office_id)
    if user.id == actor.id and (role != "admin" or data.get("active") is False):
        raise Problem("conflict", "Admins cannot demote or disable themselves.")
    changes: dict[str, Any] = {}
    if role != user.role:
        changes["role"] = [user.role, role]
        user.role = role
    if office_id != user.field_office_id:
        changes["field_office_id"] = [
            str(user.field_office_id) if user.field_office_id else None,
            str(office_id) if office_id else None,
        ]
        user.field_office_id = office_id
    if "active" in data and data["active"] != user.active:
        changes["active"] = [user.active, data["active"]]
        user.active = data["active"]
    if "display_name" in data and data["display_name"] != user.display_name:
        changes["display_name"] = [user.display_name, data["display_name"]]
        user.display_name = data["display_name"]
    if "password" in data:
        changes["password"] = "reset"  # noqa: S105 - an audit label, not a password
        user.password_hash = hash_password(data["password"])
    if {"role", "field_office_id"} & changes.keys():
        user.scope_epoch += 1  # what the user may see changed: their next pull resyncs
    if {"role", "field_office_id", "active", "password"} & changes.keys():
        # A disabled user's devices are told to wipe their local data at their next request.
        reason = "account-changed" if user.active else "account-disabled"
        revoke_families_of(session, user_id=user.id, reason=reason)
    if changes:
        audit.record(
            session,
            "user-updated",
            actor=actor,
            target_type="user",
            target_id=user.id,
            address=address,
            details={"changes": changes},
        )
    return user


def unlock_user(session: Session, actor: User, user_id: uuid.UUID, address: str | None) -> User:
    user = get_user(session, actor, user_id)
    user.locked = False
    user.failed_logins = 0
    user.failed_window_started_at = None
    audit.record(
        session,
        "user-unlocked",
        actor=actor,
        target_type="user",
        target_id=user.id,
        address=address,
    )
    return user


# ---- field offices: one office, rename, covered states ----------------------------------------

#: inspections still being worked; a state with such work does not change office under it.
OPEN_STATUSES = ("assigned", "in_progress", "submitted", "returned")


def office_in_view(
    session: Session, actor: User, office_id: uuid.UUID | None, *, required: bool = False
) -> FieldOffice | None:
    """The office a reviewer or an admin asks about (queues, dashboard).

    A reviewer sees their own office (naming another is a 404, like any object they may
    not see); an admin any office, or every office (None) unless ``required``.
    """
    require_role(actor, "reviewer", "admin")
    if actor.role == "reviewer":
        if office_id is not None and office_id != actor.field_office_id:
            raise Problem("not-found", "No such field office.")
        office_id = actor.field_office_id
    if office_id is None:
        if required:
            raise Problem(
                "validation-error",
                "Name the field office.",
                errors={"field_office_id": ["required for admins"]},
            )
        return None
    office = session.get(FieldOffice, office_id)
    if office is None:
        raise Problem("not-found", "No such field office.")
    return office


def get_office(session: Session, actor: User, office_id: uuid.UUID) -> FieldOffice:
    require_role(actor, "admin")
    office = session.get(FieldOffice, office_id)
    if office is None:
        raise Problem("not-found", "No such field office.")
    return office


def update_office(
    session: Session, actor: User, office_id: uuid.UUID, data: dict[str, Any], address: str | None
) -> FieldOffice:
    """Rename an office or set the states it covers.

    A state named here that another office covers moves to this one. The licensees
    of every state that changes office (unless an admin chose their office by hand)
    move with it: each gets a new version in its new office's scope, and the users
    of the office that lost them resync at their next pull. Refused (409) while an
    inspection of such a licensee is still open (assigned, in progress, submitted or
    returned): its investigator would lose sight of the licensee mid-inspection;
    finish, decide or cancel it first.
    """
    from inspector.sync.service import bump, record_written

    office = get_office(session, actor, office_id)
    changes: dict[str, Any] = {}
    if "name" in data and data["name"] != office.name:
        taken = session.scalar(
            sa.select(FieldOffice.id).where(FieldOffice.name == data["name"], FieldOffice.id != office.id)
        )
        if taken:
            raise Problem("conflict", "A field office with this name exists.")
        changes["name"] = [office.name, data["name"]]
        office.name = data["name"]
    if "states" in data:
        wanted = set(data["states"])
        current = {c.state: c for c in session.scalars(sa.select(OfficeState))}
        before = {s: c.office_id for s, c in current.items()}
        moving = {s: before.get(s) for s in wanted if before.get(s) != office.id}
        leaving = {s: office.id for s, o in before.items() if o == office.id and s not in wanted}
        moved = {**moving, **leaving}  # state -> the office it leaves (None: it had none)
        if moved:
            _refuse_open_work(session, moved)
            for state in leaving:
                session.delete(current[state])
            for state in moving:
                if state in current:
                    current[state].office_id = office.id
                else:
                    session.add(OfficeState(state=state, office_id=office.id))
            session.flush()
            session.expire(office, ["coverage"])
            licensees = _rehome_licensees(session, moved, bump, record_written, actor)
            lost = {o for o in moved.values() if o is not None}
            if lost:
                session.execute(
                    sa.update(User)
                    .where(User.field_office_id.in_(lost))
                    .values(scope_epoch=User.scope_epoch + 1),
                    execution_options={"synchronize_session": False},
                )
            changes["states"] = {
                "added": sorted(moving),
                "removed": sorted(leaving),
                "taken_from": {s: str(o) for s, o in sorted(moving.items()) if o is not None},
                "licensees_moved": licensees,
            }
    if changes:
        audit.record(
            session,
            "office-updated",
            actor=actor,
            target_type="field_office",
            target_id=office.id,
            address=address,
            details={"changes": changes},
        )
    return office


def _refuse_open_work(session: Session, moved: dict[str, uuid.UUID | None]) -> None:
    from inspector.inspections.models import Inspection
    from inspector.licensees.models import Licensee

    open_work = session.execute(
        sa.select(Licensee.premises_state, sa.func.count(Inspection.id))
        .join(Inspection, Inspection.licensee_id == Licensee.id)
        .where(
            Licensee.premises_state.in_(list(moved)),
            Licensee.office_overridden.is_(False),
            Inspection.status.in_(OPEN_STATUSES),
            Inspection.deleted_at.is_(None),
        )
        .group_by(Licensee.premises_state)
        .order_by(Licensee.premises_state)
    ).all()
    if open_work:
        counts = ", ".join(f"{count} in {state}" for state, count in open_work)
        raise Problem(
            "conflict",
            f"Open inspections of licensees in these states ({counts}): finish, decide or cancel them first.",
        )


def _rehome_licensees(
    session: Session,
    moved: dict[str, uuid.UUID | None],
    bump: Any,
    record_written: Any,
    actor: User,
) -> int:
    """Licensees of the moved states follow their state (unless overridden); journaled."""
    from inspector.licensees.models import Licensee

    coverage = dict(
        (row.state, row.office_id)
        for row in session.execute(sa.select(OfficeState.state, OfficeState.office_id))
    )
    licensees = session.scalars(
        sa.select(Licensee).where(
            Licensee.premises_state.in_(list(moved)), Licensee.office_overridden.is_(False)
        )
    ).all()
    for licensee in licensees:
        new_office = coverage.get(licensee.premises_state)
        if new_office == licensee.field_office_id:
            continue
        licensee.field_office_id = new_office
        bump(licensee)
        record_written(session, "licensee", licensee, user_id=actor.id)
    return len(licensees)


# ---- user actions: disable, enable, reset password, reset second factor -----------------------


def disable_user(session: Session, actor: User, user_id: uuid.UUID, address: str | None) -> User:
    """The account stops working at once: every session ends (see update_user)."""
    return update_user(session, actor, user_id, {"active": False}, address)


def enable_user(session: Session, actor: User, user_id: uuid.UUID, address: str | None) -> User:
    return update_user(session, actor, user_id, {"active": True}, address)


def reset_password(
    session: Session, actor: User, user_id: uuid.UUID, password: str, address: str | None
) -> User:
    """A new password chosen by the admin; the user's sessions end at once."""
    return update_user(session, actor, user_id, {"password": password}, address)


def reset_second_factor(session: Session, actor: User, user_id: uuid.UUID, address: str | None) -> User:
    """A lost phone: the second factor is removed and sessions end; the next login enrols anew."""
    from inspector.auth.service import reset_totp

    user = get_user(session, actor, user_id)
    reset_totp(session, user, actor, address)
    return user

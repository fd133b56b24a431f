"""The dashboard's five series, each one grouped query, the same on PostgreSQL and SQLite.

Reviewers see their office; admins one office or all. Leads are counted, never
read: admins administer, they do not investigate.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from inspector.checklists.models import ChecklistItem
from inspector.db import utcnow
from inspector.inspections.models import Finding, Inspection
from inspector.leads.models import INDICATORS, Lead
from inspector.offices.models import User
from inspector.offices.service import office_in_view
from inspector.problems import Problem

#: an inspection with findings worth counting: it reached review.
REVIEWED_STATUSES = ("submitted", "approved", "returned")


@dataclass(frozen=True)
class Period:
    """From the start of ``start`` to the end of ``end`` (both days included), in UTC."""

    start: date
    end: date

    @property
    def lower(self) -> datetime:
        return datetime.combine(self.start, time.min, UTC)

    @property
    def upper(self) -> datetime:
        return datetime.combine(self.end, time.max, UTC)

    def holds(self, column: Any) -> Any:
        return sa.and_(column >= self.lower, column <= self.upper)


def period_of(start: date | None, end: date | None) -> Period:
    """Default: the twelve calendar months up to today."""
    end = end or utcnow().date()
    if start is None:
        month = end.month - 11
        start = date(end.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    if start > end:
        raise Problem("validation-error", "The period ends before it starts.", errors={"from": ["after to"]})
    return Period(start, end)


def office_scope(session: Session, actor: User, office_id: uuid.UUID | None) -> uuid.UUID | None:
    """The office the figures cover; None means every office (admins only)."""
    office = office_in_view(session, actor, office_id)
    return office.id if office is not None else None


# ---- the two things the dialects spell differently ------------------------------------------


def month_of(dialect: str, column: Any) -> Any:
    """``YYYY-MM`` of a UTC timestamp."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def days_between(dialect: str, earlier: Any, later: Any) -> Any:
    """Days (fractional) from one timestamp to another."""
    if dialect == "postgresql":
        return sa.extract("epoch", later - earlier) / 86400.0
    return sa.func.julianday(later) - sa.func.julianday(earlier)


# ---- the series -----------------------------------------------------------------------------


def _in_office(column: Any, office_id: uuid.UUID | None) -> Any:
    return sa.true() if office_id is None else column == office_id


def inspections_by_status(
    session: Session, office_id: uuid.UUID | None, period: Period
) -> list[dict[str, Any]]:
    """Inspections created in the period, by their status now."""
    rows = session.execute(
        sa.select(Inspection.status, sa.func.count())
        .where(
            Inspection.deleted_at.is_(None),
            _in_office(Inspection.field_office_id, office_id),
            period.holds(Inspection.created_at),
        )
        .group_by(Inspection.status)
        .order_by(Inspection.status)
    )
    return [{"status": status, "count": int(count)} for status, count in rows]


def violations_by_citation(
    session: Session, office_id: uuid.UUID | None, period: Period
) -> list[dict[str, Any]]:
    """Violation findings of inspections submitted in the period, by the item's citation."""
    rows = session.execute(
        sa.select(ChecklistItem.citation, sa.func.count(Finding.id), sa.func.sum(Finding.instances))
        .join(Inspection, Inspection.id == Finding.inspection_id)
        .join(
            ChecklistItem,
            sa.and_(
                ChecklistItem.checklist_id == Inspection.checklist_id, ChecklistItem.key == Finding.item_key
            ),
        )
        .where(
            Finding.result == "violation",
            Finding.deleted_at.is_(None),
            Inspection.deleted_at.is_(None),
            Inspection.status.in_(REVIEWED_STATUSES),
            _in_office(Inspection.field_office_id, office_id),
            period.holds(Inspection.submitted_at),
        )
        .group_by(ChecklistItem.citation)
        .order_by(sa.func.count(Finding.id).desc(), ChecklistItem.citation)
    )
    return [
        {"citation": citation, "findings": int(findings), "instances": int(instances or 0)}
        for citation, findings, instances in rows
    ]


def outcomes_by_month(session: Session, office_id: uuid.UUID | None, period: Period) -> list[dict[str, Any]]:
    """Decided outcomes of inspections approved in the period, by month of approval."""
    month = month_of(session.get_bind().dialect.name, Inspection.reviewed_at).label("month")
    rows = session.execute(
        sa.select(month, Inspection.decided_outcome, sa.func.count())
        .where(
            Inspection.status == "approved",
            Inspection.deleted_at.is_(None),
            Inspection.decided_outcome.is_not(None),
            _in_office(Inspection.field_office_id, office_id),
            period.holds(Inspection.reviewed_at),
        )
        .group_by(month, Inspection.decided_outcome)
        .order_by(month, Inspection.decided_outcome)
    )
    return [{"month": m, "outcome": outcome, "count": int(count)} for m, outcome, count in rows]


def leads_by_indicator(session: Session, office_id: uuid.UUID | None, period: Period) -> list[dict[str, Any]]:
    """Leads created in the period naming each indicator (a lead may name several): counts only.

    The indicators are a JSON list; matching the quoted key in its text form is
    portable (JSONB's text and SQLite's JSON text both quote each element).
    """
    text = sa.cast(Lead.indicators, sa.Text)
    counts = [
        sa.func.sum(sa.case((text.like(f'%"{indicator}"%'), 1), else_=0)).label(f"i{n}")
        for n, indicator in enumerate(INDICATORS)
    ]
    row = session.execute(
        sa.select(*counts).where(
            Lead.deleted_at.is_(None),
            _in_office(Lead.field_office_id, office_id),
            period.holds(Lead.created_at),
        )
    ).one()
    return [{"indicator": indicator, "count": int(row[n] or 0)} for n, indicator in enumerate(INDICATORS)]


def _median_days(session: Session, office_id: uuid.UUID | None, period: Period, by_month: bool) -> list[Any]:
    """Median days from submission to decision (approve or return), with window functions.

    The middle row (odd counts) or the two middle rows (even) of each group are
    averaged: ``(n + 1) // 2`` and ``(n + 2) // 2`` (floor division).
    """
    dialect = session.get_bind().dialect.name
    days = days_between(dialect, Inspection.submitted_at, Inspection.reviewed_at).label("days")
    group = month_of(dialect, Inspection.reviewed_at) if by_month else sa.literal("all")
    ranked = (
        sa.select(
            group.label("grp"),
            days,
            sa.func.row_number().over(partition_by=group, order_by=days).label("rn"),
            sa.func.count().over(partition_by=group).label("n"),
        )
        .where(
            Inspection.deleted_at.is_(None),
            Inspection.status.in_(("approved", "returned")),
            Inspection.submitted_at.is_not(None),
            Inspection.reviewed_at >= Inspection.submitted_at,
            _in_office(Inspection.field_office_id, office_id),
            period.holds(Inspection.reviewed_at),
        )
        .subquery()
    )
    middle = sa.or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    return list(
        session.execute(
            sa.select(ranked.c.grp, sa.func.avg(ranked.c.days), sa.func.max(ranked.c.n))
            .where(middle)
            .group_by(ranked.c.grp)
            .order_by(ranked.c.grp)
        )
    )


def decision_days_by_month(
    session: Session, office_id: uuid.UUID | None, period: Period
) -> list[dict[str, Any]]:
    """Median days from submission to decision, by month of the decision."""
    return [
        {"month": month, "median_days": round(float(median), 1), "decisions": int(n)}
        for month, median, n in _median_days(session, office_id, period, by_month=True)
    ]


def median_decision_days(
    session: Session, office_id: uuid.UUID | None, period: Period
) -> tuple[float | None, int]:
    rows = _median_days(session, office_id, period, by_month=False)
    if not rows:
        return None, 0
    _all, median, n = rows[0]
    return round(float(median), 1), int(n)


Series = Callable[[Session, "uuid.UUID | None", Period], list[dict[str, Any]]]
#: name in the API (and the CSV's file name) -> (query, CSV columns)
SERIES: dict[str, tuple[Series, tuple[str, ...]]] = {
    "inspections-by-status": (inspections_by_status, ("status", "count")),
    "violations-by-citation": (violations_by_citation, ("citation", "findings", "instances")),
    "outcomes-by-month": (outcomes_by_month, ("month", "outcome", "count")),
    "leads-by-indicator": (leads_by_indicator, ("indicator", "count")),
    "decision-days-by-month": (decision_days_by_month, ("month", "median_days", "decisions")),
}


def dashboard(session: Session, actor: User, filters: dict[str, Any]) -> dict[str, Any]:
    office_id = office_scope(session, actor, filters.get("field_office_id"))
    period = period_of(filters.get("from"), filters.get("to"))
    out: dict[str, Any] = {"field_office_id": office_id, "from": period.start, "to": period.end}
    for name, (query, _columns) in SERIES.items():
        out[name.replace("-", "_")] = query(session, office_id, period)
    out["median_decision_days"], out["decisions"] = median_decision_days(session, office_id, period)
    return out


def series_csv(session: Session, actor: User, name: str, filters: dict[str, Any]) -> str:
    """One series as CSV (a header row, then one row per point)."""
    if name not in SERIES:
        raise Problem("not-found", "No such series.")
    office_id = office_scope(session, actor, filters.get("field_office_id"))
    period = period_of(filters.get("from"), filters.get("to"))
    query, columns = SERIES[name]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(query(session, office_id, period))
    return buffer.getvalue()

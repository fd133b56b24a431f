"""Default checklist "FFL compliance inspection", version 1 (data).

A published checklist version never changes, so its items live here, frozen,
and every database has them after ``flask db upgrade``.

Revision ID: 0002
Revises: 0001
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CHECKLIST_ID = uuid.UUID("6f1c2d8e-3b7a-4c55-9a41-0d2e7b9c1f01")
SELLERS = ["01", "02", "07", "08"]
DEALERS = ["01", "02"]
BORDER = ["AZ", "CA", "NM", "TX"]

#: key, area, prompt, citation, license types (empty: all), states (empty: all)
ITEMS = [
    (
        "license-posted",
        "License posted, premises match the license",
        "Is the license (or a copy) posted where customers can see it, and do the premises match the license?",
        "27 CFR 478.91, 478.50",
        [],
        [],
    ),
    (
        "ad-record-timeliness",
        "Acquisitions and dispositions entered on time",
        "Are acquisitions entered by the close of the next business day and dispositions within 7 days?",
        "27 CFR 478.125(e)",
        [],
        [],
    ),
    (
        "ad-open-dispositions",
        "No open dispositions without a firearm on hand",
        "Does every open disposition in the A&D record match a firearm on hand?",
        "27 CFR 478.125",
        SELLERS,
        [],
    ),
    (
        "inventory-reconciliation",
        "Physical inventory matches the A&D record",
        "Does a physical inventory reconcile with the A&D record (firearms missing or unrecorded)?",
        "27 CFR 478.125",
        SELLERS,
        [],
    ),
    (
        "form-4473-complete",
        "Every transfer has a complete Form 4473",
        "Does every transfer have a complete, signed and certified Form 4473?",
        "27 CFR 478.124(c)",
        SELLERS,
        [],
    ),
    (
        "nics-checks",
        "NICS checks run and recorded",
        "Was NICS run for each transfer, the response recorded, no transfer made on a denial, and no check stale (over 30 days)?",
        "27 CFR 478.102, 478.124(c)(3)(iv)",
        SELLERS,
        [],
    ),
    (
        "multiple-sales-handgun",
        "Multiple sales of handguns reported",
        "Was Form 3310.4 filed for every sale of 2 or more handguns to one person within 5 business days?",
        "27 CFR 478.126a",
        SELLERS,
        [],
    ),
    (
        "multiple-sales-rifle",
        "Multiple sales of certain rifles reported",
        "Was Form 3310.12 filed for multiple sales of semi-automatic rifles (.22+ caliber, detachable magazine)?",
        "18 U.S.C. 923(g)(5) demand letter, July 2011",
        SELLERS,
        BORDER,
    ),
    (
        "theft-loss-reporting",
        "Thefts and losses reported within 48 hours",
        "Were thefts and losses reported to ATF and local police within 48 hours of discovery?",
        "27 CFR 478.39a",
        [],
        [],
    ),
    (
        "record-retention",
        "Records kept as long as the license",
        "Are required records kept for as long as the licensee holds the license?",
        "27 CFR 478.129",
        [],
        [],
    ),
    (
        "youth-handgun-notice",
        "Youth handgun safety notice",
        "Is the youth handgun safety notice given with handgun transfers and the sign posted?",
        "27 CFR 478.103",
        DEALERS,
        [],
    ),
    (
        "secure-storage-devices",
        "Secure gun storage or safety devices available",
        "Are secure gun storage or safety devices available with every handgun transferred?",
        "18 U.S.C. 922(z)",
        DEALERS,
        [],
    ),
]


def upgrade():
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    checklists = sa.table(
        "checklists",
        sa.column("id", sa.Uuid()),
        sa.column("key", sa.String()),
        sa.column("version", sa.Integer()),
        sa.column("title", sa.String()),
        sa.column("published_at", sa.DateTime(timezone=True)),
    )
    items = sa.table(
        "checklist_items",
        sa.column("id", sa.Uuid()),
        sa.column("checklist_id", sa.Uuid()),
        sa.column("position", sa.Integer()),
        sa.column("key", sa.String()),
        sa.column("area", sa.String()),
        sa.column("prompt", sa.Text()),
        sa.column("citation", sa.String()),
        sa.column("required", sa.Boolean()),
        sa.column("license_types", json_type),
        sa.column("states", json_type),
    )
    op.bulk_insert(
        checklists,
        [
            {
                "id": CHECKLIST_ID,
                "key": "ffl-compliance",
                "version": 1,
                "title": "FFL compliance inspection",
                "published_at": datetime(2026, 11, 1, tzinfo=UTC),
            }
        ],
    )
    op.bulk_insert(
        items,
        [
            {
                "id": uuid.uuid5(CHECKLIST_ID, key),
                "checklist_id": CHECKLIST_ID,
                "position": position,
                "key": key,
                "area": area,
                "prompt": prompt,
                "citation": citation,
                "required": True,
                "license_types": types,
                "states": states,
            }
            for position, (key, area, prompt, citation, types, states) in enumerate(ITEMS, start=1)
        ],
    )


def downgrade():
    op.execute(
        sa.text("DELETE FROM checklist_items WHERE checklist_id = :id").bindparams(
            sa.bindparam("id", CHECKLIST_ID, type_=sa.Uuid())
        )
    )
    op.execute(
        sa.text("DELETE FROM checklists WHERE id = :id").bindparams(
            sa.bindparam("id", CHECKLIST_ID, type_=sa.Uuid())
        )
    )

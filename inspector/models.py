"""Every model and blueprint, imported in one place so metadata and routes are complete."""

from __future__ import annotations

from flask_smorest import Api

from inspector.audit.models import AuditEvent
from inspector.auth.models import Device, TokenFamily
from inspector.blobs.models import Blob, BlobHolder, RecordBlob
from inspector.checklists.models import Checklist, ChecklistItem
from inspector.inspections.models import Finding, Inspection
from inspector.leads.models import Lead, LeadMatch, LeadMatchKey
from inspector.licensees.models import Licensee, LicenseeImport
from inspector.offices.models import FieldOffice, OfficeState, User
from inspector.sync.models import (
    Conflict,
    FeedCounter,
    FeedEntry,
    RecordVersion,
    RejectedChange,
    SyncReceipt,
)

__all__ = [
    "AuditEvent",
    "Blob",
    "BlobHolder",
    "Checklist",
    "ChecklistItem",
    "Conflict",
    "Device",
    "FeedCounter",
    "FeedEntry",
    "FieldOffice",
    "Finding",
    "Inspection",
    "Lead",
    "LeadMatch",
    "LeadMatchKey",
    "Licensee",
    "LicenseeImport",
    "OfficeState",
    "RecordBlob",
    "RecordVersion",
    "RejectedChange",
    "SyncReceipt",
    "TokenFamily",
    "User",
]


def register_blueprints(api: Api) -> None:
    from inspector.auth.routes import blp as auth_blp
    from inspector.blobs.routes import blp as blobs_blp
    from inspector.checklists.routes import blp as checklists_blp
    from inspector.dashboard.routes import blp as dashboard_blp
    from inspector.inspections.routes import blp as inspections_blp
    from inspector.leads.routes import blp as leads_blp
    from inspector.licensees.routes import blp as licensees_blp
    from inspector.offices.routes import blp as offices_blp
    from inspector.queues.routes import blp as queues_blp
    from inspector.reports.routes import blp as reports_blp
    from inspector.review.routes import blp as review_blp
    from inspector.sync.routes import blp as sync_blp

    for blueprint in (
        auth_blp,
        licensees_blp,
        checklists_blp,
        inspections_blp,
        offices_blp,
        sync_blp,
        blobs_blp,
        leads_blp,
        queues_blp,
        dashboard_blp,
        review_blp,
        reports_blp,
    ):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    register_record_schemas(api)


def register_record_schemas(api: Api) -> None:
    """The records devices receive in receipts and pulls, documented by name in the spec.

    Licensee, ChecklistDetail and Conflict are in the spec already (REST responses).
    """
    from inspector.sync.schemas import ChangeSchema, LeadSchema, SyncFindingSchema, SyncInspectionSchema

    components = api.spec.components
    for name, schema in (
        ("Change", ChangeSchema),
        ("SyncInspection", SyncInspectionSchema),
        ("SyncFinding", SyncFindingSchema),
        ("Lead", LeadSchema),
    ):
        if name not in components.schemas:
            components.schema(name, schema=schema)

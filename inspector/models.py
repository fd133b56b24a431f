"""Every model and blueprint, imported in one place so metadata and routes are complete."""

from __future__ import annotations

from flask_smorest import Api

from inspector.audit.models import AuditEvent
from inspector.auth.models import Device, TokenFamily
from inspector.checklists.models import Checklist, ChecklistItem
from inspector.inspections.models import Finding, Inspection
from inspector.leads.models import Lead
from inspector.licensees.models import Licensee
from inspector.offices.models import FieldOffice, OfficeState, User

__all__ = [
    "AuditEvent",
    "Checklist",
    "ChecklistItem",
    "Device",
    "FieldOffice",
    "Finding",
    "Inspection",
    "Lead",
    "Licensee",
    "OfficeState",
    "TokenFamily",
    "User",
]


def register_blueprints(api: Api) -> None:
    from inspector.auth.routes import blp as auth_blp
    from inspector.checklists.routes import blp as checklists_blp
    from inspector.inspections.routes import blp as inspections_blp
    from inspector.licensees.routes import blp as licensees_blp
    from inspector.offices.routes import blp as offices_blp

    for blueprint in (auth_blp, licensees_blp, checklists_blp, inspections_blp, offices_blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")

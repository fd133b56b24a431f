"""/licensees: the directory, scoped to the caller's office; /licensee-imports: ATF's listing (admins)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

import marshmallow as ma
from flask import Request, current_app, request, url_for
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from inspector.extensions import db
from inspector.licensees import imports, service
from inspector.licensees.schemas import (
    LicenseeImportSchema,
    LicenseeImportUploadSchema,
    LicenseeQueryArgsSchema,
    LicenseeSchema,
)
from inspector.pagination import PAGE_ARGS, page_of


class UploadParser(FlaskParser):
    """Reads a multipart body's files and fields together, so one schema documents and checks both."""

    def load_files(self, req: Request, schema: ma.Schema) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


blp = Blueprint("licensees", __name__, description="The licensee directory.")
blp.ARGUMENTS_PARSER = UploadParser()


@blp.route("/licensees")
class Licensees(MethodView):
    decorators = [jwt_required()]

    @blp.arguments(LicenseeQueryArgsSchema, location="query")
    @blp.response(200, LicenseeSchema(many=True))
    @blp.paginate(**PAGE_ARGS)
    def get(self, filters: dict[str, Any], pagination_parameters: Any) -> Any:
        """Search licensees by name, license number or city; filter by state, type, office."""
        return page_of(db.session(), service.search_licensees(current_user, filters), pagination_parameters)


@blp.route("/licensees/<uuid:licensee_id>")
class LicenseeById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, LicenseeSchema)
    @blp.alt_response(404, description="No such licensee, or not in the caller's office")
    def get(self, licensee_id: uuid.UUID) -> Any:
        """One licensee."""
        return service.get_licensee(db.session(), current_user, licensee_id)


def import_body_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    """A listing of 130,000 rows is about 25 MB: this route's cap, not the 5 MiB of JSON bodies."""

    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            request.max_content_length = int(
                current_app.config.get("LICENSEE_IMPORT_MAX_BYTES", imports.MAX_BYTES)
            )
        return view(*args, **kwargs)

    return limited


@blp.route("/licensee-imports")
class LicenseeImports(MethodView):
    decorators = [jwt_required(), import_body_limit]

    @blp.response(200, LicenseeImportSchema(many=True))
    @blp.alt_response(403, description="Admins only")
    @blp.paginate(**PAGE_ARGS)
    def get(self, pagination_parameters: Any) -> Any:
        """Earlier imports and dry runs, newest first."""
        reports = page_of(db.session(), imports.visible_imports(current_user), pagination_parameters)
        return [imports.report_doc(r) for r in reports]

    @blp.arguments(LicenseeImportUploadSchema, location="files")
    @blp.response(202, LicenseeImportSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(409, description="Another import is being applied")
    @blp.alt_response(413, description="Over the import size limit")
    @blp.alt_response(415, description="Not multipart/form-data")
    def post(self, body: dict[str, Any]) -> Any:
        """Upload a listing (multipart ``file``): a dry run by default, or an all-or-nothing apply.

        The answer is at once (202); follow ``Location`` for progress, counts and rejected lines.
        """
        upload = body["file"]
        report, path = imports.start_import(
            db.session(),
            current_user,
            upload.stream,
            filename=upload.filename or "listing.txt",
            dry_run=body["dry_run"],
            address=request.remote_addr,
        )
        upload.close()
        try:
            db.session.commit()
        except BaseException:
            os.unlink(path)
            raise
        imports.launch(current_app._get_current_object(), report.id, path)  # type: ignore[attr-defined]
        location = url_for("licensees.LicenseeImportById", import_id=report.id)
        return imports.report_doc(report), 202, {"Location": location}


@blp.route("/licensee-imports/<uuid:import_id>")
class LicenseeImportById(MethodView):
    decorators = [jwt_required()]

    @blp.response(200, LicenseeImportSchema)
    @blp.alt_response(403, description="Admins only")
    @blp.alt_response(404, description="No such import")
    def get(self, import_id: uuid.UUID) -> Any:
        """One import: status, progress (processed of total rows), counts and rejected lines."""
        return imports.report_doc(imports.get_import(db.session(), current_user, import_id))

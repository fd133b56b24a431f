"""/blobs/<sha256>: photos and documents by digest, with proof of possession."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_jwt_extended import current_user, jwt_required
from flask_smorest import Blueprint

from inspector.blobs import service
from inspector.extensions import db

blp = Blueprint("blobs", __name__, description="Blobs (photos, scans) addressed by SHA-256.")

BLOB_BODY = {
    "required": True,
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}} for media in service.ACCEPTED_TYPES
    },
}


@blp.route("/blobs/<string:sha256>")
class BlobBySha(MethodView):
    decorators = [jwt_required()]

    @blp.doc(requestBody=BLOB_BODY)
    @blp.response(201, description="Stored")
    @blp.alt_response(200, description="Already stored")
    @blp.alt_response(413, description="Over the blob limit")
    @blp.alt_response(415, description="Not an accepted media type")
    @blp.alt_response(422, description="Digest or type mismatch; nothing stored")
    def put(self, sha256: str) -> Any:
        """Upload bytes; the server checks the digest and the type from the bytes."""
        limit = int(current_app.config["BLOB_MAX_BYTES"])
        # Blobs have their own limit (15 MiB by default), not MAX_CONTENT_LENGTH's for JSON
        # bodies; one byte more lets a longer body reach put_blob's payload-too-large.
        request.max_content_length = limit + 1
        data = request.get_data(cache=False)
        created = service.put_blob(
            db.session(),
            current_user,
            sha256,
            request.content_type or "",
            data,
            limit,
        )
        db.session.commit()
        return Response(status=201 if created else 200)

    @blp.response(200, description="The bytes", content_type="application/octet-stream")
    @blp.alt_response(404, description="No such blob, or the caller may not read it")
    def get(self, sha256: str) -> Any:
        """Download bytes the caller holds or can see through a record that lists them."""
        blob = service.get_blob(db.session(), current_user, sha256)
        response = Response(blob.data, mimetype=blob.content_type)
        response.headers["Content-Disposition"] = "inline"
        response.headers["ETag"] = f'"{blob.sha256}"'
        return response

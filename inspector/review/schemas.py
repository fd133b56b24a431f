from __future__ import annotations

import marshmallow as ma

from inspector.inspections.models import OUTCOMES


def _comment(*, required: bool) -> ma.fields.String:
    """Free text of 1 to 5,000 characters, not blank."""
    validate = [ma.validate.Length(min=1, max=5000), ma.validate.Regexp(r"\s*\S", error="blank")]
    if required:
        return ma.fields.String(required=True, validate=validate)
    return ma.fields.String(load_default=None, allow_none=True, validate=validate)


class ApproveSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    decided_outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(OUTCOMES))
    comment = _comment(required=False)
    #: violation findings the reviewer judges willful (a revocation needs one).
    willful_finding_ids = ma.fields.List(
        ma.fields.UUID(), load_default=list, validate=ma.validate.Length(max=200)
    )


class FindingCommentSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    finding_id = ma.fields.UUID(required=True)
    comment = _comment(required=True)


class ReturnSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    comment = _comment(required=True)
    findings = ma.fields.List(
        ma.fields.Nested(FindingCommentSchema), load_default=list, validate=ma.validate.Length(max=200)
    )

    @ma.validates_schema
    def one_comment_per_finding(self, data: dict[str, object], **kwargs: object) -> None:
        ids = [f["finding_id"] for f in data.get("findings") or []]  # type: ignore[attr-defined]
        if len(ids) != len(set(ids)):
            raise ma.ValidationError("one comment per finding", "findings")

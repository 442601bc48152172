"""JSON schemas of the OpenAPI document: request bodies derived from the field specs, responses.

Request schemas are *built* from ``_fields`` and ``_filters.FILTER_SPECS`` (the tables the
validator checks against), so what the document promises is what the sandbox accepts. Response
schemas are written out here, from the reference.
"""

from __future__ import annotations

from typing import Any

from audiencelab.sandbox import _data
from audiencelab.sandbox._columns import RECORD_COLUMNS
from audiencelab.sandbox._fields import (
    CREATE_AUDIENCE,
    CREATE_CUSTOM_AUDIENCE,
    CREATE_ENRICHMENT_JOB,
    CREATE_PIXEL,
    ENRICH,
    MAX_RECORD_NUMBER,
    NON_BLANK,
    PREVIEW_AUDIENCE,
    Body,
    Field,
)
from audiencelab.sandbox._filters import FILTER_SPECS

__all__ = ["Schema", "body_schema", "component_schemas", "field_schema", "nullable", "ref"]

Schema = dict[str, Any]

_STRING: Schema = {"type": "string"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Schema], required: list[str] | None = None, extra: bool = True) -> Schema:
    schema: Schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    if not extra:
        schema["additionalProperties"] = False
    return schema


def nullable(schema: Schema) -> Schema:
    """``schema`` or ``null`` (OpenAPI 3.1 is JSON Schema 2020-12: no ``nullable`` keyword)."""
    if "$ref" in schema or "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    out = {**schema, "type": [schema["type"], "null"]}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def _number(field: Field, kind: str) -> Schema:
    schema: Schema = {"type": kind}
    if field.minimum is not None:
        schema["minimum"] = field.minimum
    if field.maximum is not None:
        schema["maximum"] = field.maximum
    return schema


def _string(field: Field) -> Schema:
    schema: Schema = {"type": "string"}
    if field.enum is not None:
        schema["enum"] = list(field.enum)
        return schema
    if field.min_length:
        schema["minLength"] = field.min_length
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    if field.pattern is not None:
        schema["pattern"] = field.pattern
    return schema


def _at_least_one(fields: tuple[Field, ...]) -> list[Schema]:
    """One of ``fields`` given as a non-blank string."""
    non_blank: Schema = {"type": "string", "pattern": NON_BLANK}
    return [{"required": [f.name], "properties": {f.name: non_blank}} for f in fields]


def _records(field: Field) -> Schema:
    """``object[]``: records whose values are strings, or numbers below MAX_RECORD_NUMBER."""
    limit = float(MAX_RECORD_NUMBER)
    number: Schema = {"type": "number", "exclusiveMinimum": -limit, "exclusiveMaximum": limit}
    value: Schema = {"anyOf": [{"type": "string"}, number, {"type": "null"}]}
    item: Schema = {"type": "object", "additionalProperties": value}
    if field.key_pattern is not None:
        item["propertyNames"] = {"pattern": field.key_pattern}
    return {"type": "array", "items": item}


def field_schema(field: Field) -> Schema:
    """The JSON schema of one field, from its spec."""
    schema: Schema
    if field.ref is not None:
        schema = ref(field.ref)
    elif field.kind == "string":
        schema = _string(field)
    elif field.kind in ("integer", "number"):
        schema = _number(field, field.kind)
    elif field.kind == "boolean":
        schema = {"type": "boolean"}
    elif field.kind == "string[]":
        item = Field(field.name, "string", max_length=field.max_length, enum=field.enum,
                     pattern=field.pattern)  # fmt: skip
        schema = {"type": "array", "items": _string(item)}
    elif field.kind == "range":
        bound = nullable(_number(field, "number"))
        schema = {**_obj({"min": bound, "max": bound})}
    elif field.kind == "object":
        props = {f.name: field_schema(f) for f in field.fields}
        schema = {"type": "object", "properties": props}
        schema["additionalProperties"] = field.extra != "reject"
        if field.at_least_one:
            schema["anyOf"] = _at_least_one(field.fields)
    else:
        schema = _records(field)
    if field.kind in ("string[]", "object[]"):
        if field.min_items:
            schema["minItems"] = field.min_items
        if field.max_items is not None:
            schema["maxItems"] = field.max_items
    if field.description and "$ref" not in schema:
        schema["description"] = field.description
    if field.default is not None and "$ref" not in schema:
        schema["default"] = field.default
    if not field.required and field.nullable:
        schema = nullable(schema)
    return schema


def body_schema(body: Body) -> Schema:
    """The JSON schema of a request body, from its spec."""
    required = [f.name for f in body.fields if f.required]
    return _obj(
        {f.name: field_schema(f) for f in body.fields}, required, extra=body.unknown != "reject"
    )


def _filters_schema() -> Schema:
    # Unknown keys are accepted and ignored (listed in X-Sandbox-Ignored-Filters).
    root = Field("filters", "object", fields=FILTER_SPECS, nullable=False)
    return field_schema(root)


def _error_schema(style: str) -> Schema:
    """The error body of the configured ``error_style``."""
    if style == "string":
        return _obj({"error": _STRING}, ["error"], extra=False)
    if style == "message":
        return _obj({"message": _STRING}, ["message"], extra=False)
    return _obj(
        {"error": _obj({"code": _STRING, "message": _STRING}, ["code", "message"])}, ["error"]
    )


def _responses(style: str, total: str) -> dict[str, Schema]:
    def _envelope(item: Schema, key: str = "data") -> Schema:
        return _obj(
            {
                total: {"type": "integer", "minimum": 0},
                "page_size": {"type": "integer", "minimum": 1},
                "page": {"type": "integer", "minimum": 1},
                "total_pages": {"type": "integer", "minimum": 0},
                key: {"type": "array", "items": item},
            },
            [total, "page_size", "page", "total_pages", key],
        )

    record: Schema = {
        "type": "object",
        "description": "A person: UPPER_SNAKE columns (reference §8), all strings, '' when missing.",
        "properties": dict.fromkeys(RECORD_COLUMNS, _STRING),
        "additionalProperties": _STRING,
    }
    nullable_string: Schema = {"type": ["string", "null"]}
    return {
        "Error": _error_schema(style),
        "Record": record,
        "AudienceCreated": _obj(
            {"audienceId": {"type": "string", "format": "uuid"}}, ["audienceId"], extra=False
        ),
        "AudienceSummary": _obj(
            {
                "id": _STRING,
                "name": _STRING,
                "next_scheduled_refresh": nullable_string,
                "scheduled_refresh": {"type": "boolean"},
                "refresh_interval": nullable_string,
                "webhook_url": nullable_string,
            },
            [
                "id",
                "name",
                "next_scheduled_refresh",
                "scheduled_refresh",
                "refresh_interval",
                "webhook_url",
            ],
            extra=False,
        ),
        "AudienceList": _envelope(ref("AudienceSummary")),
        "RecordPage": _envelope(ref("Record")),
        "NoData": _obj(
            {"status": {"type": "string", "enum": ["no data"]}}, ["status"], extra=False
        ),
        "AudienceDeleted": _obj({"success": {"type": "boolean"}, "id": _STRING}, ["success", "id"]),
        "Processing": _obj(
            {"status": {"type": "string", "enum": ["processing"]}}, ["status"], extra=False
        ),
        "Preview": _obj(
            {
                "job_id": _STRING,
                "count": {"type": "integer", "minimum": 0},
                "result": {"type": "array", "items": ref("Record")},
                "field_coverage": {
                    "type": "object",
                    "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
                },
            },
            ["job_id", "count", "result", "field_coverage"],
        ),
        "Segment": _obj(
            {"id": _STRING, "name": _STRING, "b2b": {"type": "boolean"}}, ["id", "name", "b2b"]
        ),
        "Attributes": _obj(
            {
                "attributes": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": _obj(
                        {
                            "count": {"type": "integer", "minimum": 0},
                            "data": {
                                "type": "array",
                                "items": {"anyOf": [_STRING, ref("Segment")]},
                            },
                        },
                        ["count", "data"],
                    ),
                }
            },
            ["attributes"],
        ),
        "SegmentPage": {
            **_envelope(ref("Record")),
            "required": [
                "data",
                "segment_id",
                "segment_name",
                total,
                "total_pages",
                "page",
                "page_size",
                "has_more",
            ],
            "properties": {
                **_envelope(ref("Record"))["properties"],
                "segment_id": _STRING,
                "segment_name": _STRING,
                "has_more": {"type": "boolean"},
            },
        },
        "EnrichResult": _obj(
            {
                "request_id": _STRING,
                "timestamp": {"type": "integer"},
                "found": {"type": "integer", "minimum": 0},
                "result": {"type": "array", "items": ref("Record")},
            },
            ["request_id", "timestamp", "found", "result"],
        ),
        "EnrichmentJobCreated": _obj(
            {
                "jobId": {"type": "string", "format": "uuid"},
                "status": {"type": "string", "enum": ["IN_QUEUE"]},
            },
            ["jobId", "status"],
        ),
        "EnrichmentJob": _obj(
            {
                "id": _STRING,
                "name": _STRING,
                "status": {
                    "type": "string",
                    "enum": ["IN_QUEUE", "PROCESSING", "COMPLETED", "FAILED", "NO_DATA"],
                },
                "csv_url": nullable_string,
                "total": {"type": "integer", "minimum": 0},
                "created_at": _STRING,
            },
            ["id", "name", "status", "csv_url", "total", "created_at"],
        ),
        "EnrichmentJobList": _envelope(ref("EnrichmentJob")),
        "PixelCreated": _obj(
            {
                "pixel_id": _STRING,
                "install_url": _STRING,
                "script": _STRING,
                "website_name": _STRING,
                "website_url": _STRING,
                "webhook_url": nullable_string,
                "version": _STRING,
                "created_at": _STRING,
            },
            ["pixel_id", "install_url"],
        ),
        "Pixel": _obj(
            {
                "id": _STRING,
                "website_name": _STRING,
                "website_url": _STRING,
                "install_url": _STRING,
                "webhook_url": nullable_string,
                "version": _STRING,
                "created_at": _STRING,
                "last_sync": nullable_string,
            },
            ["id", "website_name", "website_url", "install_url", "webhook_url"],
        ),
        "PixelList": _envelope(ref("Pixel")),
        "PixelEventV3": _obj(
            {
                "pixel_id": _STRING,
                "event_type": {"type": "string", "enum": list(_data.PIXEL_EVENT_TYPES)},
                "event_timestamp": _STRING,
                "page_url": _STRING,
                "hem_sha256": _STRING,
                "event_data": {"type": "object"},
                "resolution": ref("Record"),
            },
            ["pixel_id", "event_type", "event_timestamp", "page_url", "hem_sha256", "resolution"],
        ),
        "PixelEventV4": _obj(
            {
                "pixel_id": _STRING,
                "hem_sha256": _STRING,
                "event_timestamp": _STRING,
                "referrer_url": _STRING,
                "full_url": _STRING,
                "edid": _STRING,
                "resolution": ref("Record"),
            },
            [
                "pixel_id",
                "hem_sha256",
                "event_timestamp",
                "referrer_url",
                "full_url",
                "edid",
                "resolution",
            ],
        ),
        "PixelEventsV3": _envelope(ref("PixelEventV3"), "events"),
        "PixelEventsV4": _envelope(ref("PixelEventV4"), "events"),
        "Health": _obj({"status": _STRING}, ["status"]),
    }


def component_schemas(style: str = "object", total: str = "total_records") -> dict[str, Schema]:
    """Every schema under ``components/schemas``, for an error style and a list total key."""
    requests = {
        body.schema: body_schema(body)
        for body in (
            CREATE_AUDIENCE, PREVIEW_AUDIENCE, CREATE_CUSTOM_AUDIENCE, ENRICH,
            CREATE_ENRICHMENT_JOB, CREATE_PIXEL,
        )
    }  # fmt: skip
    return {"Filters": _filters_schema(), **requests, **_responses(style, total)}

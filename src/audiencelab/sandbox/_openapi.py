"""The OpenAPI 3.0 description of what the sandbox implements, served at ``/openapi.json``."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from audiencelab.sandbox import _data
from audiencelab.sandbox._columns import RECORD_COLUMNS
from audiencelab.sandbox._filters import FILTER_SCHEMA, NUMBER, RANGE, STR_LIST
from audiencelab.sandbox._validate import ENRICH_FIELDS, ENRICH_MATCH_KEYS, JOB_COLUMNS, MAX_PAGE

__all__ = ["openapi_document"]

Schema = dict[str, Any]

_STRING: Schema = {"type": "string"}
_INT: Schema = {"type": "integer"}
_STR_LIST: Schema = {"type": "array", "items": _STRING, "nullable": True}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Schema], required: list[str] | None = None, extra: bool = True) -> Schema:
    schema: Schema = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _filter_schema(spec: dict[str, Any]) -> Schema:
    props: dict[str, Schema] = {}
    for key, kind in spec.items():
        if isinstance(kind, dict):
            props[key] = {**_filter_schema(kind), "nullable": True}
        elif kind == STR_LIST:
            props[key] = _STR_LIST
        elif kind == NUMBER:
            props[key] = {"type": "number", "nullable": True}
        elif kind == RANGE:
            bound = {"type": "number", "nullable": True}
            props[key] = {**_obj({"min": bound, "max": bound}), "nullable": True}
    # Unknown keys are accepted and ignored (listed in X-Sandbox-Ignored-Filters).
    return {"type": "object", "properties": props, "additionalProperties": True}


def _envelope(item: Schema, key: str = "data") -> Schema:
    return _obj(
        {
            "total_records": {"type": "integer", "minimum": 0},
            "page_size": {"type": "integer", "minimum": 1},
            "page": {"type": "integer", "minimum": 1},
            "total_pages": {"type": "integer", "minimum": 0},
            key: {"type": "array", "items": item},
        },
        ["total_records", "page_size", "page", "total_pages", key],
    )


def _json_content(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": _json_content(_ref("Error"))}
    if headers:
        response["headers"] = headers
    return response


_RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "seconds"}
}
_FILTER_HEADERS = {
    "X-Sandbox-Ignored-Filters": {
        "description": "Dotted paths of the unknown filter keys that were accepted and ignored.",
        "schema": _STRING,
    },
    "X-Sandbox-Filter-Warnings": {
        "description": "Filter values that match no one (e.g. an unknown state), '; '-separated.",
        "schema": _STRING,
    },
}


def _responses(
    ok_status: str, ok: dict[str, Any], *errors: str, auth: bool = True
) -> dict[str, Any]:
    out = {ok_status: ok}
    messages = {
        "400": "Validation error: the message names the field.",
        "404": "Unknown id or path.",
        "413": "Request body too large.",
    }
    for code in errors:
        out[code] = _error(messages[code])
    if auth:
        out["401"] = _error("Missing or unknown X-Api-Key.")
        out["429"] = _error("Rate limited (--rate-limit).", _RETRY_AFTER)
        out["500"] = _error("Injected failure (--fail-rate).")
        out["502"] = _error("Injected failure (--fail-rate).")
        out["503"] = _error("Injected failure (--fail-rate).", _RETRY_AFTER)
    return out


def _ok(
    schema: Schema | None, description: str = "OK", headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = _json_content(schema)
    if headers:
        response["headers"] = headers
    return response


def _body(schema: Schema) -> dict[str, Any]:
    return {"required": True, "content": _json_content(schema)}


_PAGE = {
    "name": "page",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
}
_PAGE_SIZE = {
    "name": "page_size",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
}


def _path(name: str, schema: Schema | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or _STRING}


def _schemas() -> dict[str, Schema]:
    record: Schema = {
        "type": "object",
        "description": "A person: UPPER_SNAKE columns (reference §8), all strings, '' when missing.",
        "properties": dict.fromkeys(RECORD_COLUMNS, _STRING),
        "additionalProperties": _STRING,
    }
    segment = {
        "type": "array",
        "items": {"type": "string", "pattern": "^(b2c|b2b)_[0-9]+$"},
        "nullable": True,
    }
    return {
        "Error": _obj(
            {"error": _obj({"code": _STRING, "message": _STRING}, ["code", "message"])}, ["error"]
        ),
        "Record": record,
        "Filters": _filter_schema(FILTER_SCHEMA),
        "CreateAudience": _obj(
            {
                "name": {"type": "string", "minLength": 1},
                "filters": _ref("Filters"),
                "segment": segment,
                "days_back": {"type": "integer", "minimum": 1, "nullable": True},
            },
            ["name", "filters"],
        ),
        "AudienceCreated": _obj(
            {"audienceId": {"type": "string", "format": "uuid"}}, ["audienceId"], extra=False
        ),
        "AudienceSummary": _obj(
            {
                "id": _STRING,
                "name": _STRING,
                "next_scheduled_refresh": {"type": "string", "nullable": True},
                "scheduled_refresh": {"type": "boolean"},
                "refresh_interval": {"type": "string", "nullable": True},
                "webhook_url": {"type": "string", "nullable": True},
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
        "AudienceList": _envelope(_ref("AudienceSummary")),
        "RecordPage": _envelope(_ref("Record")),
        "NoData": _obj(
            {"status": {"type": "string", "enum": ["no data"]}}, ["status"], extra=False
        ),
        "AudienceDeleted": _obj({"success": {"type": "boolean"}, "id": _STRING}, ["success", "id"]),
        "CreateCustomAudience": _obj(
            {
                "topic": {"type": "string", "minLength": 1},
                "description": {"type": "string", "minLength": 1},
            },
            ["topic", "description"],
        ),
        "Processing": _obj(
            {"status": {"type": "string", "enum": ["processing"]}}, ["status"], extra=False
        ),
        "PreviewAudience": _obj(
            {
                "days_back": {"type": "integer", "minimum": 1, "maximum": 10},
                "filters": {**_ref("Filters")},
                "segment": segment,
                "limit": {"type": "integer", "minimum": 0, "maximum": 500, "nullable": True},
                "score": {"type": "boolean", "nullable": True},
                "include_dnc": {"type": "boolean", "nullable": True},
            },
            ["days_back"],
        ),
        "Preview": _obj(
            {
                "job_id": _STRING,
                "count": {"type": "integer", "minimum": 0},
                "result": {"type": "array", "items": _ref("Record")},
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
                                "items": {"anyOf": [_STRING, _ref("Segment")]},
                            },
                        },
                        ["count", "data"],
                    ),
                }
            },
            ["attributes"],
        ),
        "SegmentPage": {
            **_envelope(_ref("Record")),
            "required": [
                "data",
                "segment_id",
                "segment_name",
                "total_records",
                "total_pages",
                "page",
                "page_size",
                "has_more",
            ],
            "properties": {
                **_envelope(_ref("Record"))["properties"],
                "segment_id": _STRING,
                "segment_name": _STRING,
                "has_more": {"type": "boolean"},
            },
        },
        "Enrich": _obj(
            {
                "filter": _obj(
                    {k: {"type": "string", "nullable": True} for k in ENRICH_MATCH_KEYS},
                    extra=False,
                ),
                "fields": {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "enum": sorted(ENRICH_FIELDS) + list(RECORD_COLUMNS),
                    },
                    "nullable": True,
                },
                "request_id": {"type": "string", "minLength": 1, "nullable": True},
                "is_or_match": {"type": "boolean", "nullable": True},
            },
            ["filter"],
            extra=False,
        ),
        "EnrichResult": _obj(
            {
                "request_id": _STRING,
                "timestamp": {"type": "integer"},
                "found": {"type": "integer", "minimum": 0},
                "result": {"type": "array", "items": _ref("Record")},
            },
            ["request_id", "timestamp", "found", "result"],
        ),
        "CreateEnrichmentJob": _obj(
            {
                "name": {"type": "string", "minLength": 1},
                "operator": {"type": "string", "enum": ["AND", "OR"], "nullable": True},
                "columns": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(JOB_COLUMNS)},
                    "nullable": True,
                },
                "records": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": {"type": "string", "nullable": True},
                    },
                },
            },
            ["name", "records"],
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
                "csv_url": {"type": "string", "nullable": True},
                "total": {"type": "integer", "minimum": 0},
                "created_at": _STRING,
            },
            ["id", "name", "status", "csv_url", "total", "created_at"],
        ),
        "EnrichmentJobList": _envelope(_ref("EnrichmentJob")),
        "CreatePixel": _obj(
            {
                "websiteName": {"type": "string", "minLength": 1},
                "websiteUrl": {"type": "string", "minLength": 1},
                "webhookUrl": {"type": "string", "nullable": True},
                "version": {"type": "string", "enum": ["v3", "v4"], "nullable": True},
            },
            ["websiteName", "websiteUrl"],
        ),
        "PixelCreated": _obj(
            {
                "pixel_id": _STRING,
                "install_url": _STRING,
                "script": _STRING,
                "website_name": _STRING,
                "website_url": _STRING,
                "webhook_url": {"type": "string", "nullable": True},
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
                "webhook_url": {"type": "string", "nullable": True},
                "version": _STRING,
                "created_at": _STRING,
                "last_sync": {"type": "string", "nullable": True},
            },
            ["id", "website_name", "website_url", "install_url", "webhook_url"],
        ),
        "PixelList": _envelope(_ref("Pixel")),
        "PixelEventV3": _obj(
            {
                "pixel_id": _STRING,
                "event_type": {"type": "string", "enum": list(_data.PIXEL_EVENT_TYPES)},
                "event_timestamp": _STRING,
                "page_url": _STRING,
                "hem_sha256": _STRING,
                "event_data": {"type": "object"},
                "resolution": _ref("Record"),
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
                "resolution": _ref("Record"),
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
        "PixelEventsV3": _envelope(_ref("PixelEventV3"), "events"),
        "PixelEventsV4": _envelope(_ref("PixelEventV4"), "events"),
        "Health": _obj({"status": _STRING}, ["status"]),
    }


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    paging = [_PAGE, _PAGE_SIZE]
    audience_id = _path("audience_id")
    pixel_id = _path("pixel_id")
    paths: dict[str, Any] = {
        "/audiences": {
            "post": {
                "operationId": "createAudience",
                "summary": "Create an audience (reference §3.1); it builds asynchronously.",
                "requestBody": _body(_ref("CreateAudience")),
                "responses": _responses(
                    "200", _ok(_ref("AudienceCreated"), headers=_FILTER_HEADERS), "400", "413"
                ),
            },
            "get": {
                "operationId": "listAudiences",
                "summary": "The key's audiences (reference §3.2), oldest first.",
                "parameters": paging,
                "responses": _responses("200", _ok(_ref("AudienceList")), "400"),
            },
        },
        "/audiences/custom": {
            "post": {
                "operationId": "createCustomAudience",
                "summary": "Create a custom audience from a topic (reference §3.5).",
                "requestBody": _body(_ref("CreateCustomAudience")),
                "responses": _responses("200", _ok(_ref("Processing")), "400", "413"),
            }
        },
        "/audiences/preview": {
            "post": {
                "operationId": "previewAudience",
                "summary": "Count and sample the people matching filters (reference §3.6).",
                "requestBody": _body(_ref("PreviewAudience")),
                "responses": _responses(
                    "200", _ok(_ref("Preview"), headers=_FILTER_HEADERS), "400", "413"
                ),
            }
        },
        "/audiences/attributes/{attribute}": {
            "get": {
                "operationId": "audienceAttributes",
                "summary": "Values for filters and segments (reference §3.7).",
                "parameters": [
                    _path(
                        "attribute",
                        {
                            "type": "string",
                            "enum": [
                                "segments",
                                "industries",
                                "departments",
                                "seniority",
                                "sic",
                                "gender",
                            ],
                        },
                    )
                ],
                "responses": _responses("200", _ok(_ref("Attributes")), "404"),
            }
        },
        "/audiences/{audience_id}": {
            "get": {
                "operationId": "getAudience",
                "summary": "An audience's records, paged (reference §3.3); {status: no data} while building.",
                "parameters": [audience_id, *paging],
                "responses": _responses(
                    "200", _ok({"oneOf": [_ref("RecordPage"), _ref("NoData")]}), "400", "404"
                ),
            },
            "delete": {
                "operationId": "deleteAudience",
                "summary": "Delete an audience (reference §3.4).",
                "parameters": [audience_id],
                "responses": _responses("200", _ok(_ref("AudienceDeleted")), "404"),
            },
        },
        "/segments/{segment_id}": {
            "get": {
                "operationId": "getSegment",
                "summary": "A Studio segment's records, paged (reference §5.1).",
                "parameters": [_path("segment_id"), *paging],
                "responses": _responses("200", _ok(_ref("SegmentPage")), "400", "404"),
            }
        },
        "/enrich": {
            "post": {
                "operationId": "enrichContact",
                "summary": "Enrich one contact (reference §4.1).",
                "requestBody": _body(_ref("Enrich")),
                "responses": _responses("200", _ok(_ref("EnrichResult")), "400", "413"),
            }
        },
        "/enrichments": {
            "post": {
                "operationId": "createEnrichmentJob",
                "summary": "Start a bulk enrichment job (reference §4.2).",
                "requestBody": _body(_ref("CreateEnrichmentJob")),
                "responses": _responses(
                    "202", _ok(_ref("EnrichmentJobCreated"), "Accepted"), "400", "413"
                ),
            },
            "get": {
                "operationId": "listEnrichmentJobs",
                "summary": "The key's enrichment jobs, newest first (reference §4.3).",
                "parameters": paging,
                "responses": _responses("200", _ok(_ref("EnrichmentJobList")), "400"),
            },
        },
        "/enrichments/{job_id}": {
            "get": {
                "operationId": "getEnrichmentJob",
                "summary": "Not in the documented API (reference §4.4): always 404 with a hint.",
                "parameters": [_path("job_id")],
                "responses": _responses("404", _error("Not part of the documented API.")),
            }
        },
        "/pixels": {
            "post": {
                "operationId": "createPixel",
                "summary": "Create a pixel (reference §6.1): camelCase in, snake_case out.",
                "requestBody": _body(_ref("CreatePixel")),
                "responses": _responses("200", _ok(_ref("PixelCreated")), "400", "413"),
            },
            "get": {
                "operationId": "listPixels",
                "summary": "The key's pixels (reference §6.2).",
                "parameters": paging,
                "responses": _responses("200", _ok(_ref("PixelList")), "400"),
            },
        },
        "/pixels/{pixel_id}": {
            "get": {
                "operationId": "pixelEvents",
                "summary": "A pixel's v3 events (reference §6.3).",
                "parameters": [
                    pixel_id,
                    *paging,
                    {
                        "name": "event_type",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(_data.PIXEL_EVENT_TYPES)},
                    },
                ],
                "responses": _responses("200", _ok(_ref("PixelEventsV3")), "400", "404"),
            },
            "delete": {
                "operationId": "deletePixel",
                "summary": "Delete a pixel (reference §6.5).",
                "parameters": [pixel_id],
                "responses": _responses("204", _ok(None, "Deleted"), "404"),
            },
        },
        "/pixels/{pixel_id}/v4": {
            "get": {
                "operationId": "pixelEventsV4",
                "summary": "A pixel's v4 events (reference §6.4).",
                "parameters": [pixel_id, *paging],
                "responses": _responses("200", _ok(_ref("PixelEventsV4")), "400", "404"),
            }
        },
        "/_sandbox/files/enrichments/{job_id}.csv": {
            "get": {
                "operationId": "downloadEnrichmentCsv",
                "summary": "A completed job's result file (its csv_url); no API key needed.",
                "security": [],
                "parameters": [
                    _path("job_id"),
                    {"name": "token", "in": "query", "required": True, "schema": _STRING},
                ],
                "responses": {
                    "200": {"description": "CSV", "content": {"text/csv": {"schema": _STRING}}},
                    "404": _error("Unknown file, bad token, or job not completed."),
                },
            }
        },
        "/_sandbox/pixels/{pixel_id}/p.js": {
            "get": {
                "operationId": "pixelScript",
                "summary": "A pixel's install_url: an inert script.",
                "security": [],
                "parameters": [pixel_id],
                "responses": {
                    "200": {
                        "description": "JavaScript",
                        "content": {"application/javascript": {"schema": _STRING}},
                    },
                    "404": _error("Unknown pixel."),
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Liveness check (no API key, no faults).",
                "security": [],
                "responses": {"200": _ok(_ref("Health"))},
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "AudienceLab API (local sandbox)",
            "version": "1.0.0",
            "description": (
                "What the audiencelab sandbox implements of the AudienceLab REST API. "
                "Errors are {error: {code, message}}."
            ),
        },
        "security": [{"ApiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}},
            "schemas": _schemas(),
        },
    }


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the OpenAPI document."""
    return copy.deepcopy(_document())

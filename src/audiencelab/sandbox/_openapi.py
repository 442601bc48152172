"""The OpenAPI 3.1 description of what the sandbox implements, served at ``/openapi.json``.

Paths and responses are written here; request bodies and query parameters come from the field
specs the validator uses (through ``_schemas``), so they cannot drift apart. OpenAPI 3.1 (JSON
Schema 2020-12) because 3.0 cannot state some of the validator's rules (the pattern of
enrichment record keys, ``null`` among an enum's values). Routes that only answer a helpful 404
(``GET /enrichments/{job_id}``: doubtful in the reference) are not operations, so they are not
described.
"""

from __future__ import annotations

import copy
import dataclasses
from functools import lru_cache
from typing import Any

from audiencelab.sandbox._backend import ATTRIBUTE_NAMES
from audiencelab.sandbox._config import SandboxConfig
from audiencelab.sandbox._fields import EVENT_TYPE, PAGE, PAGE_SIZE, TOKEN, Field
from audiencelab.sandbox._http import REQUEST_ID_HEADER as REQUEST_ID
from audiencelab.sandbox._schemas import Schema, component_schemas, field_schema
from audiencelab.sandbox._schemas import ref as _ref

__all__ = ["openapi_document"]

_STRING: Schema = {"type": "string"}


_ERROR_SHAPES = {
    "object": "{error: {code, message}}",
    "string": "{error: message}",
    "message": "{message: message}",
}


def _json_content(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": _json_content(_ref("Error"))}
    if headers:
        response["headers"] = headers
    return response


_REQUEST_ID_HEADER = {
    "description": "A unique ID of this request and its answer (a UUID), on every response.",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
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
        out.setdefault("400", _error("X-Api-Key sent twice with different values."))
        out["401"] = _error("Missing or unknown X-Api-Key.")
        out["429"] = _error("Rate limited (--rate-limit).", _RETRY_AFTER)
        out["500"] = _error("Injected failure (--fail-rate).")
        out["502"] = _error("Injected failure (--fail-rate, --fail-after-commit-rate).")
        out["503"] = _error(
            "Injected failure (--fail-rate, --fail-after-commit-rate).", _RETRY_AFTER
        )
        out["504"] = _error("Injected failure (--fail-rate, --fail-after-commit-rate).")
    return out


def _ok(
    schema: Schema | None,
    description: str = "OK",
    headers: dict[str, Any] | None = None,
    links: dict[str, Any] | None = None,
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = _json_content(schema)
    if headers:
        response["headers"] = headers
    if links:
        response["links"] = links
    return response


def _webhook_paths(pixel_id: dict[str, Any]) -> dict[str, Any]:
    """The webhook tools (``_deliveries``): the key is checked, but there are no faults. Their
    bodies are optional and described in the summaries."""
    errors = {
        "400": _error("Validation error: the message names the field."),
        "401": _error("Missing or unknown X-Api-Key."),
        "404": _error("Unknown pixel."),
    }
    info = _ok({"type": "object"}, "The pixel's webhook_url, secret, scheme and version.")
    return {
        "/_sandbox/pixels/{pixel_id}/trigger": {
            "post": {
                "operationId": "triggerPixelWebhook",
                "summary": "Deliver the pixel's next events to its webhook_url. Optional body: "
                "{count, event_type, shape, layout, aliases, faults, slow_seconds}.",
                "parameters": [pixel_id],
                "responses": {
                    "202": _ok({"type": "object"}, "The deliveries queued."),
                    "403": _error("The pixel's webhook_url is not a place deliveries may go."),
                    "409": _error("The pixel has no webhook_url."),
                    **errors,
                },
            }
        },
        "/_sandbox/pixels/{pixel_id}/webhook": {
            "get": {
                "operationId": "pixelWebhook",
                "summary": "The pixel's webhook settings and secret.",
                "parameters": [pixel_id],
                "responses": {"200": info, **errors},
            },
        },
        "/_sandbox/deliveries": {
            "get": {
                "operationId": "webhookDeliveries",
                "summary": "The delivery log of the calling key (optional query pixel_id).",
                "parameters": [
                    {"name": "pixel_id", "in": "query", "required": False, "schema": _STRING}
                ],
                "responses": {
                    "200": _ok({"type": "object"}, "The deliveries, oldest first."),
                    "401": errors["401"],
                },
            }
        },
    }


def _links(field: str, parameter: str, *operations: str) -> dict[str, Any]:
    """OpenAPI links: the id in this response's ``field`` is ``parameter`` of ``operations``."""
    return {
        op[0].upper() + op[1:]: {
            "operationId": op,
            "parameters": {parameter: f"$response.body#/{field}"},
        }
        for op in operations
    }


def _body(schema: Schema) -> dict[str, Any]:
    return {"required": True, "content": _json_content(schema)}


def _query(field: Field) -> dict[str, Any]:
    schema = field_schema(dataclasses.replace(field, nullable=False))
    schema.pop("description", None)
    return {
        "name": field.name,
        "in": "query",
        "required": field.required,
        "description": field.description,
        "schema": schema,
    }


_PAGE = _query(PAGE)
_PAGE_SIZE = _query(PAGE_SIZE)


def _path(name: str, schema: Schema | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or _STRING}


@lru_cache(maxsize=8)
def _document(style: str, total: str) -> dict[str, Any]:
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
                    "200",
                    _ok(
                        _ref("AudienceCreated"),
                        headers=_FILTER_HEADERS,
                        links=_links("audienceId", "audience_id", "getAudience", "deleteAudience"),
                    ),
                    "400",
                    "413",
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
                        {"type": "string", "enum": list(ATTRIBUTE_NAMES)},
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
        "/pixels": {
            "post": {
                "operationId": "createPixel",
                "summary": "Create a pixel (reference §6.1): camelCase in, snake_case out.",
                "requestBody": _body(_ref("CreatePixel")),
                "responses": _responses(
                    "200",
                    _ok(
                        _ref("PixelCreated"),
                        links=_links(
                            "pixel_id",
                            "pixel_id",
                            "pixelEvents",
                            "pixelEventsV4",
                            "deletePixel",
                            "pixelScript",
                        ),
                    ),
                    "400",
                    "413",
                ),
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
                    _query(EVENT_TYPE),
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
                    _query(TOKEN),
                ],
                "responses": {
                    "200": {"description": "CSV", "content": {"text/csv": {"schema": _STRING}}},
                    "403": _error("The csv_url expired: GET /enrichments hands out a fresh one."),
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
        **_webhook_paths(pixel_id),
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Liveness check (no API key, no faults).",
                "security": [],
                "responses": {"200": _ok(_ref("Health"))},
            }
        },
    }
    for operations in paths.values():
        for operation in operations.values():
            for response in operation["responses"].values():
                response.setdefault("headers", {})
                response["headers"] = {**response["headers"], REQUEST_ID: _REQUEST_ID_HEADER}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AudienceLab API (local sandbox)",
            "version": "1.0.0",
            "description": (
                "What the audiencelab sandbox implements of the AudienceLab REST API. "
                f"Errors are {_ERROR_SHAPES[style]}; list envelopes carry their total as "
                f"{total!r} (this sandbox's --error-style and --list-total-key)."
            ),
        },
        "security": [{"ApiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}},
            "schemas": component_schemas(style, total),
        },
    }


def openapi_document(config: SandboxConfig | None = None) -> dict[str, Any]:
    """A fresh copy of the OpenAPI document."""
    config = config or SandboxConfig()
    return copy.deepcopy(_document(config.error_style, config.list_total_key))

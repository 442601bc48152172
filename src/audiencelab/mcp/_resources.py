"""Resources: what a model can read (the filters' schema, the attribute lists, a guide)."""

from __future__ import annotations

import json
import logging
import traceback
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from audiencelab import AudienceLabError, InputValidationError
from audiencelab.mcp._errors import ErrorHints, say_remedy
from audiencelab.mcp._schema import ATTRIBUTE_FILTERS, filters_schema
from audiencelab.mcp._tools import ToolContext
from audiencelab.mcp._vocabulary import attribute_values, bundled_use_in

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

__all__ = ["REFERENCE", "register_resources"]

logger = logging.getLogger("audiencelab.mcp")

REFERENCE = """\
# AudienceLab audience filters: a guide for building audiences

## The workflow
1. For industries, departments, seniority, SIC codes, gender and intent segments, look the
   allowed values up first: `list_attribute_values` (name = industries, departments, seniority,
   sic, gender or segments; add a `query` to search). Use them exactly as listed.
2. `preview_audience` with the filters: check the count and a few sample people.
3. `create_audience` (a descriptive name, the same filters). It is built in the background.
4. `wait_for_audience`, then `get_audience_records` (pass `columns`) or `export_audience`
   (writes a file in the export folder and returns its path, not the people).

## The filters (the full JSON Schema: audiencelab://filters/schema)
- Keys are exact and nested: `{"age": {"minAge": 25, "maxAge": 45}}`,
  `{"businessProfile": {"industry": [...], "jobTitle": [...], "department": [...]}}`,
  `{"profile": {"incomeRange": [...]}}`, `{"attributes": {"credit_rating": [...]}}`.
- Lists are JSON arrays even for one value: `"city": ["Austin"]`, not `"city": "Austin"`.
- Different keys combine with AND; values inside one list with OR.
- `state` takes two-letter codes (`["NY"]`); `zip` takes five-digit strings (`["02134"]`);
  `gender` takes "M", "F" or "U".
- `segment`, `days_back` and `name` are arguments of their own, never keys inside `filters`.
- Segment IDs carry a prefix: `b2c_1253` (consumer) or `b2b_1042` (business).
- `notNulls` asks for people who have a value in a column, e.g. `["VALID_PHONES"]`.

## The traps this server protects you from
- The real API silently ignores keys it does not know (`zipCode`, `industry` at the top level,
  `states`) and then returns everyone: an unfiltered audience that still costs credits. Here an
  unknown key is refused before anything is sent, with the key you meant (`zip`,
  `businessProfile.industry`).
- A refusal lists every problem with its `path`, `message` and `suggestion`: apply each
  suggestion and call the tool again.
- Creating an audience is never repeated automatically. If a create reports an unknown outcome
  (the connection failed after the request was sent), call `list_audiences` to see whether it
  exists before creating it again; otherwise you may pay for two audiences.
- Records have UPPER_SNAKE columns (FIRST_NAME, LAST_NAME, PERSONAL_CITY, PERSONAL_STATE, AGE,
  JOB_TITLE, COMPANY_NAME, BUSINESS_EMAIL, PERSONAL_EMAILS...). Ask for the columns you need.
- To hand people to the user, export them to a file rather than paging through them.
"""

_ATTRIBUTES_DESCRIPTION = (
    "The allowed values of one attribute-backed filter, as JSON: industries, departments, "
    "seniority, sic, gender or segments."
)


def _resource_error(exc: Exception, uri: str) -> ResourceError:
    if isinstance(exc, InputValidationError):
        return ResourceNotFoundError(exc.describe())
    if isinstance(exc, AudienceLabError):
        hints = ErrorHints("list_attribute_values", ("name",))
        return ResourceError(exc.describe(lambda remedy: say_remedy(remedy, hints)))
    logger.warning("resource %s failed unexpectedly (%s)", uri, type(exc).__name__)
    logger.debug("resource %s failed:\n%s", uri, "".join(traceback.format_exception(exc)).rstrip())
    return ResourceError(
        f"reading {uri} failed because of an internal error ({type(exc).__name__})"
    )


def register_resources(server: MCPServer[Any], ctx: ToolContext) -> None:
    """The filters' schema, the attribute lists and the reference guide."""

    @server.resource(
        "audiencelab://filters/schema",
        name="filters_schema",
        title="Audience filters (JSON Schema)",
        description="Every key of the filters object, with its type and description.",
        mime_type="application/schema+json",
    )
    def filters_schema_resource() -> str:
        return json.dumps(filters_schema(), indent=1, ensure_ascii=False)

    @server.resource(
        "audiencelab://attributes/{name}",
        name="attribute_values",
        title="Allowed values of a filter",
        description=_ATTRIBUTES_DESCRIPTION,
        mime_type="application/json",
    )
    def attributes_resource(name: str) -> str:
        uri = f"audiencelab://attributes/{name}"
        try:
            listed = attribute_values(ctx.client, name)
            values = [
                v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in listed.values
            ]
        except Exception as exc:
            raise _resource_error(exc, uri) from None
        body = {
            "name": listed.name,
            "use_in": ATTRIBUTE_FILTERS.get(listed.name) or bundled_use_in(listed.name) or "",
            "count": listed.count,
            "values": values,
        }
        return json.dumps(body, indent=1, ensure_ascii=False)

    @server.resource(
        "audiencelab://reference",
        name="reference",
        title="Audience filters: a guide and their traps",
        description="A short guide to building audiences with these tools, written for a model.",
        mime_type="text/markdown",
    )
    def reference_resource() -> str:
        return REFERENCE

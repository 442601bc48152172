"""What goes on the wire, kept small: compact JSON Schemas, compact result text, and a size cap.

A model pays for every byte of ``tools/list`` in every conversation, so the schemas carry what a
model needs to build a call and nothing generated: no titles, no ``default: null``, ``X | None`` as
``"type": [X, "null"]``, references inlined. Output schemas also drop their descriptions (the tool
description says what comes back). The filters schema, the largest part, is published in full
once: on the first tool that takes ``filters`` (``preview_audience``); the others say that their
``filters`` is the same object (and the server checks it the same way).

A result's text is its structured content as compact JSON (the spec asks for the JSON in a text
block too, for clients that read only text), and no answer may exceed :data:`MAX_RESULT_BYTES`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mcp.types import CallToolResult, TextContent

from audiencelab.mcp._schema import ATTRIBUTE_FILTERS, filters_schema

__all__ = [
    "MAX_RESULT_BYTES",
    "compact_filters_schema",
    "compact_schema",
    "compact_text",
    "outline_schema",
    "result_size",
    "shared_filters_schema",
]

#: No tool answer is larger than this (64 KiB, as JSON): MCP clients refuse much larger ones,
#: and a model cannot use them.
MAX_RESULT_BYTES = 64 * 1024


def _nullable(options: list[Any], null: bool) -> dict[str, Any] | None:
    """``anyOf [X, null]`` with X of one plain type, as ``X`` with ``type: [T, "null"]`` (or
    ``T`` alone when ``null`` is False)."""
    kept = [o for o in options if o != {"type": "null"}]
    if len(kept) != 1 or len(kept) == len(options) or not isinstance(kept[0], dict):
        return None
    only = kept[0]
    if not isinstance(only.get("type"), str):
        return None
    return {**only, "type": [only["type"], "null"]} if null else dict(only)


def compact_schema(
    node: Any,
    *,
    descriptions: bool = True,
    null: bool = True,
    defs: dict[str, Any] | None = None,
) -> Any:
    """``node`` without generated noise (see the module); ``descriptions=False`` drops them too;
    ``null=False`` leaves ``null`` out of optional values (an input's optional argument is left
    out, not sent as null, and one plain ``type`` is what every client maps: Gemini's dialect has
    no type lists).

    Property names are kept whatever they are (a property may be called ``title``).
    """
    again = {"descriptions": descriptions, "null": null}
    if isinstance(node, list):
        return [compact_schema(item, **again, defs=defs) for item in node]
    if not isinstance(node, dict):
        return node
    if defs is None:
        defs = node.get("$defs", {})
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return compact_schema({**target, **rest}, **again, defs=defs)
    if isinstance(node.get("anyOf"), list):
        options = [compact_schema(o, **again, defs=defs) for o in node["anyOf"]]
        flat = _nullable(options, null)
        if flat is not None:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return compact_schema({**flat, **rest}, **again, defs=defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "$defs") or (key == "default" and value is None):
            continue
        if key == "description" and not descriptions:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {
                name: compact_schema(prop, **again, defs=defs) for name, prop in value.items()
            }
        else:
            out[key] = compact_schema(value, **again, defs=defs)
    return out


#: The keys whose description stays in the compact filters schema (its first sentence): those
#: whose values have a form a model gets wrong. The keys whose values the API lists get a pointer
#: to list_attribute_values instead; closed lists keep their ``enum``.
KEPT_DESCRIPTIONS = frozenset({"age", "state", "personalState", "zip", "gender", "notNulls"})
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)\.(?=\s|$)")
_TOP = (
    "Who to include; every key optional. Keys combine with AND, values in one list with OR; "
    "a list is an array of strings, even for one value. Unknown keys are refused (the API would "
    "ignore them and return everyone). Every key described: resource audiencelab://filters/schema."
)


def _first_sentence(text: str) -> str:
    end = _SENTENCE_END.search(text)
    return text if end is None else text[: end.end()]


def compact_filters_schema() -> dict[str, Any]:
    """The filters schema for a tool's input: every key, type, bound and ``enum``; descriptions
    only where a value's form matters (:data:`KEPT_DESCRIPTIONS`) or its values are listed by the
    API. The full schema, every key described, is the resource ``audiencelab://filters/schema``.
    """
    listed = {
        where.removeprefix("filters."): name
        for name, where in ATTRIBUTE_FILTERS.items()
        if where.startswith("filters.")
    }

    def shrink(node: Any, path: str) -> Any:
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties":
                out[key] = {
                    name: shrink(prop, f"{path}.{name}" if path else name)
                    for name, prop in value.items()
                }
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                out[key] = shrink(value, path)
            elif key == "examples" or (key == "minLength" and value == 1):
                continue
            elif key == "items" and value == {"type": "string"}:
                continue  # arrays are of strings unless the schema says otherwise (_TOP)
            elif key == "description":
                if path in listed:
                    out[key] = f'Values: list_attribute_values(name="{listed[path]}").'
                elif path in KEPT_DESCRIPTIONS:
                    out[key] = _first_sentence(value)
                elif not path:
                    out[key] = _TOP
            else:
                out[key] = value
        return out

    compact: dict[str, Any] = shrink(compact_schema(filters_schema()), "")
    return compact


def outline_schema(node: Any, depth: int = 2) -> Any:
    """A compact schema cut to ``depth`` levels of objects: below that, a value is described by
    its type alone (results are still valid against it; they are checked against the full model
    before they are sent)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            if depth <= 0:
                continue
            out[key] = {name: outline_schema(prop, depth - 1) for name, prop in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = outline_schema(value, depth) if depth > 0 else {}
        elif (key == "required" and depth <= 0) or (
            key == "additionalProperties" and value is True
        ):
            continue
        else:
            out[key] = value
    if out.get("items") == {}:
        del out["items"]
    return out


def shared_filters_schema(owner: str) -> dict[str, Any]:
    """The ``filters`` argument of a tool other than ``owner``, which carries the full schema."""
    return {"type": "object", "description": f"Exactly as the filters of {owner}."}


def compact_text(result: CallToolResult) -> CallToolResult:
    """A success whose text block is its structured content as compact JSON."""
    if result.is_error or result.structured_content is None:
        return result
    text = json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":"))
    return result.model_copy(update={"content": [TextContent(type="text", text=text)]})


def result_size(result: CallToolResult) -> int:
    """The size of ``result`` on the wire (its JSON, in bytes)."""
    wire = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return len(json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

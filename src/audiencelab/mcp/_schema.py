"""The JSON Schema of the audience filters, written for a model: every key described.

It is derived from :class:`audiencelab.AudienceFilters` (so it can never list a key the SDK
refuses) and then made plain: references inlined, "or null" removed, pydantic's generated titles
dropped. Every description and every list of values comes from the SDK's catalogue of filters
(``operations.FILTERS``): a complete list is a JSON Schema ``enum`` of the items, a list known to
be incomplete is given as examples, and the keys whose values the API lists (industry,
department, seniority, sic, gender; segments) say where to look them up instead of copying them
here: they are the API's, and change.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from audiencelab import AudienceFilters, operations

__all__ = [
    "ATTRIBUTE_FILTERS",
    "FILTER_DESCRIPTIONS",
    "SEGMENT_DESCRIPTION",
    "filter_paths",
    "filters_schema",
]


def _listed(name: str) -> str:
    return (
        f' Allowed values: call list_attribute_values with name="{name}" (add a query to search '
        f"them), or read the resource audiencelab://attributes/{name}; use them exactly as listed."
    )


def _use_in(spec: operations.FilterSpec) -> str:
    if spec.path == "segment":
        return "segment (an argument of its own, not a filter)"
    return f"filters.{spec.path}"


#: Which filter each attribute list (``list_attribute_values``) is for.
ATTRIBUTE_FILTERS: dict[str, str] = {
    spec.attribute: _use_in(spec)
    for spec in (operations.SEGMENT, *operations.FILTERS)
    if spec.attribute is not None
}

SEGMENT_DESCRIPTION = operations.SEGMENT.description + _listed("segments")

_ROOT = (
    "Who to include. Every key is optional. Different keys combine with AND; the values in "
    "one list combine with OR. Lists are JSON arrays even for a single value. Unknown keys "
    "are refused (the real API would silently ignore them and return everyone). Keys are "
    "camelCase, except inside attributes."
)


def _description(spec: operations.FilterSpec) -> str:
    text = spec.description
    if spec.attribute is not None:
        text += _listed(spec.attribute)
    if spec.values == "bundled" and spec.labels and not spec.closed:
        shown = ", ".join(f'"{label}"' for label in spec.labels)
        text += f" Known labels: {shown}."
    return text


#: A description for every key of ``filters``, by its JSON path ("" is the object itself).
FILTER_DESCRIPTIONS: dict[str, str] = {
    "": _ROOT,
    **{spec.path: _description(spec) for spec in operations.FILTERS},
}

_RANGE_ENDS = {"min": "Lowest value included.", "max": "Highest value included."}


def _plain(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with ``$ref`` inlined, ``anyOf [X, null]`` made ``X``, and generated titles and
    ``default: null`` dropped."""
    if isinstance(node, list):
        return [_plain(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return _plain({**target, **rest}, defs)
    options = node.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if len(kept) == 1:
            return _plain({**kept[0], **rest}, defs)
        types = {o.get("type") for o in kept if isinstance(o, dict) and list(o) == ["type"]}
        if len(types) == len(kept) and types == {"integer", "number"}:
            return _plain({"type": "number", **rest}, defs)  # int | float: a number
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "$defs") or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {name: _plain(prop, defs) for name, prop in value.items()}
        else:
            out[key] = _plain(value, defs)
    return out


def _describe(node: dict[str, Any], path: str) -> None:
    description = FILTER_DESCRIPTIONS.get(path)
    if description is None and path.rsplit(".", 1)[-1] in _RANGE_ENDS:
        description = _RANGE_ENDS[path.rsplit(".", 1)[-1]]
    if description is None:
        raise KeyError(f"no description for the filter {path!r}")  # a new SDK key: describe it
    node["description"] = description
    spec = operations.FILTERS_BY_PATH.get(path)
    if spec is not None and spec.values == "bundled" and spec.labels:
        items = node.setdefault("items", {})
        if spec.closed:
            items["enum"] = list(spec.labels)  # the complete list: nothing else matches anybody
        else:
            node["examples"] = [list(spec.labels[:3])]
    for name, prop in node.get("properties", {}).items():
        _describe(prop, f"{path}.{name}" if path else name)


@functools.cache
def _schema() -> dict[str, Any]:
    raw = AudienceFilters.model_json_schema(by_alias=True)
    schema: dict[str, Any] = _plain(raw, raw.get("$defs", {}))
    _describe(schema, "")
    return schema


def filters_schema() -> dict[str, Any]:
    """The filters' JSON Schema (a fresh copy: callers may add to it)."""
    return copy.deepcopy(_schema())


def filter_paths(schema: dict[str, Any] | None = None, prefix: str = "") -> list[str]:
    """Every key path of the schema, e.g. ``businessProfile.industry``."""
    node = _schema() if schema is None else schema
    paths: list[str] = []
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        paths.append(path)
        paths.extend(filter_paths(prop, path + "."))
    return paths

"""Where the allowed values of the enumerated filters come from.

Every tool and resource gets them through :func:`attribute_values` alone, so that the source can
change in one place: the lists the API serves (``GET /audiences/attributes/{name}``) through the
client, and those bundled with audiencelab (``operations.BUNDLED_LISTS``: education,
income_range...) from the SDK's catalogue, without a request.
"""

from __future__ import annotations

from audiencelab import AttributeValues, AudienceLab, operations

__all__ = ["LIST_NAMES", "attribute_values", "bundled_use_in"]

#: Every list ``list_attribute_values`` serves: the API's, then the bundled ones.
LIST_NAMES: tuple[str, ...] = (*operations.ATTRIBUTE_NAMES, *operations.BUNDLED_LISTS)


def attribute_values(client: AudienceLab, name: str) -> AttributeValues:
    """The allowed values of one list: a bundled one as the catalogue has it, else the API's."""
    spec = operations.BUNDLED_LISTS.get(name)
    if spec is not None:
        return AttributeValues(name=name, count=len(spec.labels), values=list(spec.labels))
    return client.audiences.attributes(name)


def bundled_use_in(name: str) -> str | None:
    """Where the values of a bundled list go (``filters.attributes.education``), or None."""
    spec = operations.BUNDLED_LISTS.get(name)
    return None if spec is None else f"filters.{spec.path}"

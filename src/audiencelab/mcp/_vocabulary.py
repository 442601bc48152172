"""Where the allowed values of the attribute-backed filters come from.

Every tool and resource gets them through :func:`attribute_values` alone, so that the source can
change in one place (e.g. to vocabularies cached by the SDK).
"""

from __future__ import annotations

from audiencelab import AttributeValues, AudienceLab

__all__ = ["attribute_values"]


def attribute_values(client: AudienceLab, name: str) -> AttributeValues:
    """The allowed values of one attribute list (``GET /audiences/attributes/{name}``)."""
    return client.audiences.attributes(name)

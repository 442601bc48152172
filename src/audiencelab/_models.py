"""Typed responses. Tolerant: the API adds fields over time, so unknown fields are kept, not refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["APIModel", "AudienceCreated"]


class APIModel(BaseModel):
    """Base of every response model: extra fields kept (``model_extra``), both name spellings accepted."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)


class AudienceCreated(APIModel):
    """Answer to ``POST /audiences``: only the new audience's ID (its records come later)."""

    audience_id: str = Field(alias="audienceId", min_length=1)

"""``client.audiences``: create audiences from filters, and read them back."""

from __future__ import annotations

from audiencelab import _operations as ops
from audiencelab._models import AudienceCreated
from audiencelab._resources._base import AsyncResource, SyncResource


class Audiences(SyncResource):
    def create(
        self,
        name: str,
        filters: ops.FiltersInput,
        segment: ops.SegmentInput = None,
        days_back: int | None = None,
    ) -> AudienceCreated:
        """Create an audience (``POST /audiences``); its records are built asynchronously.

        ``filters`` is an :class:`AudienceFilters` or a dict with the official keys. Unknown keys,
        bad ages, unprefixed segment IDs and the like raise :class:`FilterValidationError` before
        anything is sent. Never silently repeated: see the retry table in the README.
        """
        return self._client._execute(ops.create_audience(name, filters, segment, days_back))


class AsyncAudiences(AsyncResource):
    async def create(
        self,
        name: str,
        filters: ops.FiltersInput,
        segment: ops.SegmentInput = None,
        days_back: int | None = None,
    ) -> AudienceCreated:
        """Create an audience (``POST /audiences``). See :meth:`Audiences.create`."""
        return await self._client._execute(ops.create_audience(name, filters, segment, days_back))

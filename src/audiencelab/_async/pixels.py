"""``client.pixels``: website pixels and the visitor events they resolve."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Literal, overload

from audiencelab import _operations as ops
from audiencelab._async.paging import AsyncPager, page_items
from audiencelab._models import EventsPage, Page, Pixel, PixelCreated, PixelEvent

if TYPE_CHECKING:
    from audiencelab._async.client import AsyncAudienceLab

__all__ = ["AsyncPixels"]

Version = Literal["v3", "v4"]


class AsyncPixels:
    """``client.pixels``: website pixels and the visitor events they resolve."""

    def __init__(self, client: AsyncAudienceLab) -> None:
        self._client = client

    async def create(
        self,
        website_name: str,
        website_url: str,
        webhook_url: str | None = None,
        version: Version | None = None,
    ) -> PixelCreated:
        """Create a pixel (``POST /pixels``; camelCase on the wire). ``version`` defaults to v3."""
        return await self._client.send(
            ops.create_pixel(website_name, website_url, webhook_url, version)
        )

    @overload
    def list(self, *, page_size: int = 100) -> AsyncPager[Page[Pixel], Pixel]: ...
    @overload
    def list(self, *, page: int, page_size: int = 100) -> Coroutine[Any, Any, Page[Pixel]]: ...
    def list(
        self, *, page: int | None = None, page_size: int = 100
    ) -> AsyncPager[Page[Pixel], Pixel] | Coroutine[Any, Any, Page[Pixel]]:
        """Every pixel of this key (auto-paging), or one page when ``page`` is given."""
        if page is not None:
            return self._client.send(ops.list_pixels(page, page_size))
        ops.paging_params(1, page_size)
        return AsyncPager(self._client, lambda n: ops.list_pixels(n, page_size), page_items)

    async def get(self, pixel_id: str) -> Pixel:
        """One pixel's settings (found through ``GET /pixels``)."""
        ops.pixel_events(pixel_id, 1, 1)  # checks the ID
        async for pixel in self.list():
            if pixel.id == pixel_id:
                return pixel
        raise ops.pixel_not_found(pixel_id)

    def events(
        self, pixel_id: str, *, event_type: str | None = None, page_size: int = 100
    ) -> AsyncPager[EventsPage, PixelEvent]:
        """Every v3 event of a pixel (``GET /pixels/{id}``), optionally of one ``event_type``."""
        ops.pixel_events(pixel_id, 1, page_size, event_type)
        return AsyncPager(
            self._client,
            lambda n: ops.pixel_events(pixel_id, n, page_size, event_type),
            page_items,
        )

    def events_v4(
        self, pixel_id: str, *, page_size: int = 100
    ) -> AsyncPager[EventsPage, PixelEvent]:
        """Every v4 event of a pixel (``GET /pixels/{id}/v4``), with the richer ``resolution``."""
        ops.pixel_events(pixel_id, 1, page_size, v4=True)
        return AsyncPager(
            self._client, lambda n: ops.pixel_events(pixel_id, n, page_size, v4=True), page_items
        )

    async def delete(self, pixel_id: str) -> None:
        """Delete (archive) a pixel (``DELETE /pixels/{id}``, answered 204)."""
        await self._client.send(ops.delete_pixel(pixel_id))

"""``client.pixels``: website pixels and the visitor events they resolve."""

from __future__ import annotations

from collections.abc import Coroutine
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, overload

from audiencelab import _operations as ops
from audiencelab._async.paging import AsyncPager, page_items
from audiencelab._async.protocol import with_request_options
from audiencelab._async.raw import raw_response
from audiencelab._http import TimeoutTypes
from audiencelab._models import EventsPage, Page, Pixel, PixelCreated, PixelEvent
from audiencelab._options import Headers, Query, RequestOptions
from audiencelab._otel import traced

if TYPE_CHECKING:
    from audiencelab._async.client import AsyncAudienceLab

__all__ = ["AsyncPixels", "AsyncPixelsWithRawResponse"]

Version = Literal["v3", "v4"]


class AsyncPixels:
    """``client.pixels``: website pixels and the visitor events they resolve."""

    def __init__(self, client: AsyncAudienceLab) -> None:
        self._client = client

    @cached_property
    def with_raw_response(self) -> AsyncPixelsWithRawResponse:
        """The methods that make one request, answering an :class:`APIResponse`."""
        return AsyncPixelsWithRawResponse(self)

    @traced("pixels.create")
    async def create(
        self,
        website_name: str,
        website_url: str,
        webhook_url: str | None = None,
        version: Version | None = None,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> PixelCreated:
        """Create a pixel (``POST /pixels``; camelCase on the wire). ``version`` defaults to v3."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        return await self._client.send(
            ops.create_pixel(website_name, website_url, webhook_url, version), options=options
        )

    @overload
    def list(
        self,
        *,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncPager[Page[Pixel], Pixel]: ...
    @overload
    def list(
        self,
        *,
        page: int,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> Coroutine[Any, Any, Page[Pixel]]: ...
    def list(
        self,
        *,
        page: int | None = None,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncPager[Page[Pixel], Pixel] | Coroutine[Any, Any, Page[Pixel]]:
        """Every pixel of this key (auto-paging), or one page when ``page`` is given."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        if page is not None:
            return self._client.send(ops.list_pixels(page, page_size), options=options)
        ops.paging_params(1, page_size)
        return AsyncPager(
            with_request_options(self._client, options),
            lambda n: ops.list_pixels(n, page_size),
            page_items,
        )

    @traced("pixels.get")
    async def get(
        self,
        pixel_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> Pixel:
        """One pixel's settings (found through ``GET /pixels``)."""
        ops.pixel_events(pixel_id, 1, 1)  # checks the ID
        pages = self.list(extra_headers=extra_headers, extra_query=extra_query, timeout=timeout)
        async for pixel in pages:
            if pixel.id == pixel_id:
                return pixel
        raise ops.pixel_not_found(pixel_id)

    def events(
        self,
        pixel_id: str,
        *,
        event_type: str | None = None,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncPager[EventsPage, PixelEvent]:
        """Every v3 event of a pixel (``GET /pixels/{id}``), optionally of one ``event_type``."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        ops.pixel_events(pixel_id, 1, page_size, event_type)
        return AsyncPager(
            with_request_options(self._client, options),
            lambda n: ops.pixel_events(pixel_id, n, page_size, event_type),
            page_items,
        )

    def events_v4(
        self,
        pixel_id: str,
        *,
        page_size: int = 100,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> AsyncPager[EventsPage, PixelEvent]:
        """Every v4 event of a pixel (``GET /pixels/{id}/v4``), with the richer ``resolution``."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        ops.pixel_events(pixel_id, 1, page_size, v4=True)
        return AsyncPager(
            with_request_options(self._client, options),
            lambda n: ops.pixel_events(pixel_id, n, page_size, v4=True),
            page_items,
        )

    @traced("pixels.delete")
    async def delete(
        self,
        pixel_id: str,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        timeout: TimeoutTypes = None,
    ) -> None:
        """Delete (archive) a pixel (``DELETE /pixels/{id}``, answered 204)."""
        options = RequestOptions.of(extra_headers, extra_query, timeout)
        await self._client.send(ops.delete_pixel(pixel_id), options=options)


class AsyncPixelsWithRawResponse:
    """``client.pixels.with_raw_response``: each method answers an :class:`APIResponse` of its
    request; ``.parse()`` is what the plain method returns."""

    def __init__(self, pixels: AsyncPixels) -> None:
        self.create = raw_response(pixels.create)
        self.delete = raw_response(pixels.delete)

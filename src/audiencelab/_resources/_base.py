from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audiencelab._client import AsyncAudienceLab, AudienceLab


class SyncResource:
    def __init__(self, client: AudienceLab) -> None:
        self._client = client


class AsyncResource:
    def __init__(self, client: AsyncAudienceLab) -> None:
        self._client = client

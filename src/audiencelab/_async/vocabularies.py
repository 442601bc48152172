"""The live vocabularies of a client: fetched the first time a filter needs them, then kept in
memory for the client's life and on disk for a day (:mod:`audiencelab._vocabulary_cache`).

A failed fetch (offline, 403, 5xx...) never blocks a request: that attribute is simply not
checked, and a debug log says why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from audiencelab import _operations as ops
from audiencelab import _vocabulary_cache as disk
from audiencelab._exceptions import APIError
from audiencelab._logging import log
from audiencelab._models import AttributeValues
from audiencelab._sansio import Operation
from audiencelab._value_checks import ValueChecks, live_attributes
from audiencelab._vocabularies import LIVE, Vocabulary

if TYPE_CHECKING:
    from audiencelab._async.protocol import AsyncSender

__all__ = ["AsyncVocabularyStore"]

T = TypeVar("T")
_PATH_OF = {name: path for path, name in LIVE.items()}


class AsyncVocabularyStore:
    """The allowed values of the attributes the API lists, as a client has seen them."""

    def __init__(self, client: AsyncSender) -> None:
        self._client = client
        self._memory: dict[str, AttributeValues] = {}

    async def attribute(self, name: str) -> AttributeValues:
        """The values of ``name``: from memory, else from the disk cache if fresh, else fetched
        (``GET /audiences/attributes/{name}``) and kept."""
        op = ops.audience_attributes(name)  # checks the name
        known = self._memory.get(name)
        if known is not None:
            return known
        base_url = self._client.base_url
        cached = disk.load(base_url, name)
        if cached is not None:
            values = ops.attribute_values(name, cached)
        else:
            values = await self._client.send(op)
            disk.save(base_url, name, [_plain(v) for v in values.values])
        self._memory[name] = values
        return values

    async def vocabularies(self, names: Iterable[str]) -> dict[str, Vocabulary]:
        """Filter path -> vocabulary, for each attribute of ``names`` that could be had."""
        found: dict[str, Vocabulary] = {}
        for name in names:
            try:
                values = await self.attribute(name)
            except APIError as exc:
                log(
                    logging.DEBUG,
                    "vocabulary_unavailable",
                    "not checking %s values: their list could not be fetched (%s)",
                    name,
                    exc.summary,
                )
                continue
            found[_PATH_OF[name]] = Vocabulary.of(
                (_value(v) for v in values.values), f"GET /audiences/attributes/{name}"
            )
        return found

    async def check(self, op: Operation[T], value_checks: ValueChecks) -> Operation[T]:
        """``op`` with the values of its filters checked against the live vocabularies."""
        if value_checks == "off" or not isinstance(op.body, dict):
            return op
        names = live_attributes(op.body)
        if not names:
            return op
        return ops.with_values_checked(op, await self.vocabularies(names), value_checks)


def _value(value: Any) -> str:
    """What a filter names: a value itself, or a segment's ID."""
    plain = _plain(value)
    return str(plain.get("id", "")) if isinstance(plain, dict) else str(plain)


def _plain(value: Any) -> Any:
    """A value of an attribute list as JSON data (segments are objects)."""
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value

# Generated from audiencelab/_async/vocabularies.py by scripts/unasync.py: do not edit.
# Edit the async source, then run `python scripts/unasync.py`.
"""The live vocabularies of a client: fetched the first time a filter needs them, then kept in
memory for the client's life and on disk for a day (:mod:`audiencelab._vocabulary_cache`).

Checking values never stalls nor breaks a request: the lists one check needs get a short budget
of their own (:data:`LIST_BUDGET_SECONDS` in all, whatever the client's timeout, no retries),
and a list that could not be had (offline, hanging, 403, a garbled answer...) is not asked for
again by the same client for a while (:data:`FAILURE_MEMORY_SECONDS`): the plan then goes on with
the bundled lists and a warning, or refuses in strict mode, saying why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from audiencelab import _operations as ops
from audiencelab import _vocabulary_cache as disk
from audiencelab._exceptions import APIError
from audiencelab._logging import log
from audiencelab._models import AttributeValues
from audiencelab._plan import ValueLists
from audiencelab._vocabularies import Vocabulary

if TYPE_CHECKING:
    from audiencelab._sync.protocol import Sender

__all__ = ["FAILURE_MEMORY_SECONDS", "LIST_BUDGET_SECONDS", "VocabularyStore"]

#: The time all the lists of one check may take together, whatever the client's timeout.
LIST_BUDGET_SECONDS = 3.0
#: How long a list that could not be had is not asked for again by the same client.
FAILURE_MEMORY_SECONDS = 300.0


class VocabularyStore:
    """The allowed values of the attributes the API lists, as a client has seen them."""

    def __init__(self, client: Sender) -> None:
        self._client = client
        self._memory: dict[str, AttributeValues] = {}
        # attribute -> (monotonic time of the failure, why)
        self._failed: dict[str, tuple[float, str]] = {}

    def _known(self, name: str) -> AttributeValues | None:
        """From memory, else from the disk cache if fresh (then kept in memory)."""
        known = self._memory.get(name)
        if known is None:
            cached = disk.load(self._client.base_url, name)
            if cached is not None:
                try:
                    known = self._memory[name] = ops.attribute_values(name, cached)
                except ValueError:  # pydantic's ValidationError too: fetched again
                    known = None
        return known

    def _keep(self, name: str, values: AttributeValues) -> None:
        disk.save(self._client.base_url, name, [_plain(v) for v in values.values])
        self._memory[name] = values

    def attribute(self, name: str) -> AttributeValues:
        """The values of ``name``: from memory, else from the disk cache if fresh, else fetched
        (``GET /audiences/attributes/{name}``) and kept. Errors are raised: the caller asked."""
        op = ops.audience_attributes(name)  # checks the name
        known = self._known(name)
        if known is not None:
            return known
        values = self._client.send(op)
        self._keep(name, values)
        return values

    def value_lists(
        self, names: Iterable[str], *, budget: float = LIST_BUDGET_SECONDS
    ) -> ValueLists:
        """The lists of ``names`` that could be had within ``budget`` seconds in all, and why the
        others could not (a failure is remembered for a while)."""
        found: dict[str, Vocabulary] = {}
        missing: dict[str, str] = {}
        deadline = time.monotonic() + budget
        for name in dict.fromkeys(names):
            values = self._known(name)
            if values is None:
                why = self._remembered(name)
                remaining = deadline - time.monotonic()
                if why is None and remaining <= 0:
                    why = f"no time was left of the {budget:g} s the value lists may take"
                if why is None:
                    try:
                        values = self._client.send(
                            ops.audience_attributes(name), max_retries=0, timeout=remaining
                        )
                    except Exception as exc:  # never a reason to fail the request checked
                        why = self._failed_now(name, exc)
                    else:
                        self._failed.pop(name, None)
                        self._keep(name, values)
                if values is None:
                    missing[name] = why or "it could not be fetched"
                    continue
            found[name] = Vocabulary.of(
                (_value(v) for v in values.values), f"GET /audiences/attributes/{name}"
            )  # what is neither a string nor a segment is left out
        return ValueLists(found, missing)

    def _remembered(self, name: str) -> str | None:
        failure = self._failed.get(name)
        if failure is None:
            return None
        when, why = failure
        age = time.monotonic() - when
        if not 0 <= age < FAILURE_MEMORY_SECONDS:
            del self._failed[name]
            return None
        return f"{why}, {age:.0f} s ago; asked again after {FAILURE_MEMORY_SECONDS:.0f} s"

    def _failed_now(self, name: str, exc: Exception) -> str:
        why = exc.summary if isinstance(exc, APIError) else type(exc).__name__
        self._failed[name] = (time.monotonic(), why)
        log(
            logging.DEBUG,
            "vocabulary_unavailable",
            "not checking %s values: their list could not be fetched (%s)",
            name,
            why,
        )
        return why


def _value(value: Any) -> str:
    """What a filter names: a value itself, or a segment's ID ("" for anything else)."""
    plain = _plain(value)
    if isinstance(plain, dict):
        found = plain.get("id")
        return found if isinstance(found, str) else ""
    return plain if isinstance(plain, str) else ""


def _plain(value: Any) -> Any:
    """A value of an attribute list as JSON data (segments are objects)."""
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value

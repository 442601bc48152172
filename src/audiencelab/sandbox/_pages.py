"""Pages of a plan's people as JSON text: written once per block, kept, sliced as bytes.

A plan's row *i* is the same forever (``_generate``), so its JSON is too. A request that reads
enough of a block of ``BLOCK_ROWS`` rows has the whole block generated and encoded once, and kept
(least recently read out first, within :data:`CACHE_BYTES`); a page is then a slice of the
blocks' bytes, from one row's start to another's. Smaller reads (one pixel visitor, one
enrichment) are generated alone and not kept. The bytes are those orjson (or pydantic-core,
which writes the same) gives for the rows' dicts: ``[`` + :func:`page_json` + ``]``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from audiencelab.sandbox._generate import BLOCK_ROWS, Plan

__all__ = ["CACHE", "CACHE_BYTES", "CACHE_MIN_ROWS", "NotKept", "PageCache", "page_json"]

#: Encoded rows kept, in bytes (chosen: 32 MB holds the pages of a few audiences being read; a
#: block of 256 people is about 0.6 MB).
CACHE_BYTES = 32 * 1024 * 1024
#: A block is generated whole and kept when one request reads at least this many of its rows
#: (chosen: a page of 100 rows does; a pixel event's visitor or one enrichment does not).
CACHE_MIN_ROWS = 64
#: Every row's JSON starts so (a record's first column is UUID), and this cannot occur inside a
#: string value, whose quotes are escaped: so it separates rows.
_ROW_START = b',{"UUID":"'


@dataclass(frozen=True)
class _Block:
    """The rows of one block: ``{...},{...},...`` and where each row starts."""

    body: bytes
    starts: tuple[int, ...]

    def rows(self, first: int, stop: int) -> bytes:
        """Rows ``first`` to ``stop`` (indices within the block) without the comma after."""
        end = self.starts[stop] - 1 if stop < len(self.starts) else len(self.body)
        return self.body[self.starts[first] : end]


def _encode(plan: Plan, start: int, stop: int) -> _Block:
    body = plan.rows_json(start, stop)
    starts = [0]
    find = body.find
    at = find(_ROW_START)
    while at >= 0:
        starts.append(at + 1)
        at = find(_ROW_START, at + 1)
    if len(starts) != stop - start:  # pragma: no cover - a record that does not start with UUID
        raise AssertionError("rows could not be told apart in their JSON")
    return _Block(body, tuple(starts))


class PageCache:
    """Encoded blocks by (plan seed, block number), least recently read out first."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self._blocks: OrderedDict[tuple[bytes, int], _Block] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes of encoded rows kept."""
        return self._bytes

    def get(self, key: tuple[bytes, int]) -> _Block | None:
        with self._lock:
            block = self._blocks.get(key)
            if block is not None:
                self._blocks.move_to_end(key)
            return block

    def put(self, key: tuple[bytes, int], block: _Block) -> None:
        with self._lock:
            if key in self._blocks:
                return
            self._blocks[key] = block
            self._bytes += len(block.body)
            while self._bytes > self.limit and len(self._blocks) > 1:
                _old, gone = self._blocks.popitem(last=False)
                self._bytes -= len(gone.body)


#: Shared by every sandbox of the process: the people of a plan do not depend on the sandbox.
CACHE = PageCache()


class NotKept(Exception):
    """``page_json(..., kept_only=True)``: some of the rows would have to be generated."""


def page_json(
    plan: Plan, start: int, stop: int, cache: PageCache | None = None, *, kept_only: bool = False
) -> bytes:
    """Rows ``start`` (inclusive) to ``stop`` (exclusive) as the items of a JSON array:
    ``{...},{...}`` (``b""`` for none). With ``kept_only``, :class:`NotKept` rather than
    generate anything (the event loop asks so: kept rows cost microseconds)."""
    if plan.population == 0 or stop <= start:
        return b""
    cache = CACHE if cache is None else cache
    pieces: list[bytes] = []
    pos = start
    while pos < stop:
        number = pos // BLOCK_ROWS
        first = number * BLOCK_ROWS
        end = min(stop, first + BLOCK_ROWS)
        key = (plan.seed, number)
        block = cache.get(key)
        if block is None and kept_only:
            raise NotKept(key)
        if block is None and end - pos >= CACHE_MIN_ROWS:
            block = _encode(plan, first, first + BLOCK_ROWS)
            cache.put(key, block)
        if block is None:
            pieces.append(plan.rows_json(pos, end))
        else:
            pieces.append(block.rows(pos - first, end - first))
        pos = end
    return b",".join(pieces)

"""Pages of a plan's people as JSON text: written once per block, kept, sliced as bytes.

A plan's row *i* is the same forever (``_generate``), so its JSON is too. The rows a request
reads that are not kept are generated (``Plan.rows_json``) in one go and kept by block of
``BLOCK_ROWS`` rows (least recently read out first, within :data:`CACHE_BYTES`); a page is then a
slice of the blocks' bytes, from one row's start to another's. Smaller reads (one pixel visitor,
one enrichment) are generated alone and not kept. The bytes are those orjson (or pydantic-core,
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
#: The rows a request generates are kept when it reads at least this many rows (chosen: a page of
#: 100 rows does; a pixel event's visitor or one enrichment does not).
CACHE_MIN_ROWS = 64
#: Every row's JSON starts so (a record's first column is UUID), and this cannot occur inside a
#: string value, whose quotes are escaped: so it separates rows.
_ROW_START = b',{"UUID":"'


@dataclass(frozen=True)
class _Block:
    """Rows ``lo`` to ``lo + len(starts)`` of one block (indices within the block):
    ``{...},{...},...`` and where each row starts."""

    lo: int
    body: bytes
    starts: tuple[int, ...]

    @property
    def hi(self) -> int:
        return self.lo + len(self.starts)

    def rows(self, first: int, stop: int) -> bytes:
        """Rows ``first`` to ``stop`` (indices within the block, kept ones) without the comma
        after."""
        first, stop = first - self.lo, stop - self.lo
        end = self.starts[stop] - 1 if stop < len(self.starts) else len(self.body)
        return self.body[self.starts[first] : end]

    def joined(self, other: _Block) -> _Block:
        """This block's rows and ``other``'s, which start where these end."""
        shift = len(self.body) + 1
        return _Block(
            self.lo,
            self.body + b"," + other.body,
            self.starts + tuple(at + shift for at in other.starts),
        )


def _starts(body: bytes, count: int) -> tuple[int, ...]:
    starts = [0]
    find = body.find
    at = find(_ROW_START)
    while at >= 0:
        starts.append(at + 1)
        at = find(_ROW_START, at + 1)
    if len(starts) != count:  # pragma: no cover - a record that does not start with UUID
        raise AssertionError("rows could not be told apart in their JSON")
    return tuple(starts)


class PageCache:
    """Encoded rows by (plan seed, block number), least recently read out first. A block keeps
    one run of its rows (the whole block once its rows have all been read)."""

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
        """Keep ``block``'s rows, joined to those kept when they touch (else the longer run)."""
        with self._lock:
            old = self._blocks.get(key)
            if old is not None:
                if old.lo <= block.lo and block.hi <= old.hi:
                    return
                if old.hi == block.lo:
                    block = old.joined(block)
                elif block.hi == old.lo:
                    block = block.joined(old)
                elif len(old.starts) >= len(block.starts):
                    return
                self._bytes -= len(old.body)
            self._blocks[key] = block
            self._blocks.move_to_end(key)
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
    generate anything (the event loop asks so: kept rows cost microseconds).

    The rows not kept are generated in one go, exactly those (from the first missing row to the
    last; the whole blocks for a page smaller than a block), and kept when the request reads at
    least :data:`CACHE_MIN_ROWS`: so pages read one after another generate each row once, and a
    page of 1,000 rows generates 1,000 people, not the 1,280 of the five blocks it touches."""
    if plan.population == 0 or stop <= start:
        return b""
    cache = CACHE if cache is None else cache
    numbers = range(start // BLOCK_ROWS, (stop - 1) // BLOCK_ROWS + 1)
    kept: dict[int, _Block] = {}
    missing: list[int] = []  # the first and last rows that are not kept
    for number in numbers:
        first = number * BLOCK_ROWS
        lo, hi = max(start, first) - first, min(stop, first + BLOCK_ROWS) - first
        block = cache.get((plan.seed, number))
        if block is not None and block.lo <= lo and hi <= block.hi:
            kept[number] = block
        else:
            missing.extend((first + lo, first + hi))
    if missing:
        if kept_only:
            raise NotKept(plan.seed)
        low, high = min(missing), max(missing)
        if CACHE_MIN_ROWS <= stop - start < BLOCK_ROWS:
            # a small page: its blocks whole, so that the next pages are kept already
            low, high = low // BLOCK_ROWS * BLOCK_ROWS, -(-high // BLOCK_ROWS) * BLOCK_ROWS
        made = _made(plan, low, high)
        if stop - start >= CACHE_MIN_ROWS:
            for number, block in made.items():
                cache.put((plan.seed, number), block)
        kept = {**made, **kept}
    pieces = []
    for number in numbers:
        first = number * BLOCK_ROWS
        lo, hi = max(start, first) - first, min(stop, first + BLOCK_ROWS) - first
        pieces.append(kept[number].rows(lo, hi))
    return b",".join(pieces)


def _made(plan: Plan, start: int, stop: int) -> dict[int, _Block]:
    """Rows ``start`` to ``stop``, generated in one go, cut into their blocks."""
    body = plan.rows_json(start, stop)
    starts = _starts(body, stop - start)
    out: dict[int, _Block] = {}
    pos = start
    while pos < stop:
        number = pos // BLOCK_ROWS
        first = number * BLOCK_ROWS
        end = min(stop, first + BLOCK_ROWS)
        a = starts[pos - start]
        b = starts[end - start] - 1 if end < stop else len(body)
        out[number] = _Block(
            pos - first, body[a:b], tuple(x - a for x in starts[pos - start : end - start])
        )
        pos = end
    return out

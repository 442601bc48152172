"""What the dlt resources yield, made from what the SDK returns: Arrow tables tagged with the ID
they belong to and a key per row, enrichment result files as Arrow tables, and pixel events with a
key and a time. Nothing here talks to the API or to dlt.

The key of each row is what lets a load be repeated safely: dlt keeps one row per key of what it
stages (a file copied twice into the staging table, after a run killed midway, counts once).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "PERSON_KEY",
    "RESULT_ROW",
    "PixelCursors",
    "csv_tables",
    "event_key",
    "event_time",
    "person_keys",
    "records_table",
    "tagged",
]

#: The column of ``audience_records`` that names the person: the record's ``UUID``, or for a record
#: without one a hash of its values (``row:...``).
PERSON_KEY = "person_key"
#: The column of ``enrichment_results`` that numbers the rows of a job's result file (from 1).
RESULT_ROW = "result_row"

# Result files are read in blocks of this many bytes: one Arrow table each (flat memory).
CSV_BLOCK_BYTES = 8 << 20


def tagged(pa: Any, batch: Any, name: str, value: str) -> Any:
    """``batch`` as a table whose first column ``name`` holds ``value`` on every row.

    The column is not nullable: it is the key a reload replaces rows by (dlt's merge key).
    """
    table = pa.Table.from_batches([batch])
    column = pa.array([value] * table.num_rows, type=pa.string())
    return table.add_column(0, pa.field(name, pa.string(), nullable=False), column)


def person_keys(pa: Any, batch: Any) -> Any:
    """The key of each record of ``batch``: its ``UUID`` (the API's person ID, trimmed), or, for
    a record without one, ``row:`` and a hash of its values (the same record, the same key)."""
    import pyarrow.compute as pc

    uuid = next((n for n in batch.schema.names if n.upper() == "UUID"), None)
    if uuid is not None:
        ids = pc.utf8_trim_whitespace(batch.column(uuid))
        usable = pc.fill_null(pc.not_equal(ids, ""), False)
        if pc.all(usable).as_py():  # every record has its ID: the common case, no Python loop
            return ids.cast(pa.string())
        keys: list[str | None] = ids.to_pylist()
        missing = [i for i, ok in enumerate(usable.to_pylist()) if not ok]
    else:
        keys = [None] * batch.num_rows
        missing = list(range(batch.num_rows))
    for index, row in zip(missing, batch.take(missing).to_pylist(), strict=True):
        text = json.dumps(list(row.values()), separators=(",", ":"), ensure_ascii=False)
        keys[index] = "row:" + hashlib.sha256(text.encode()).hexdigest()[:32]
    return pa.array(keys, type=pa.string())


def records_table(pa: Any, batch: Any, audience_id: str) -> Any:
    """A page of an audience's records as a table led by ``audience_id`` and ``person_key``.

    The key is never null, but its column says nullable: a table loaded before the key existed
    gets it as a column its old rows leave null (a NOT NULL column cannot be added to them).
    """
    table = tagged(pa, batch, "audience_id", audience_id)
    keys = person_keys(pa, batch)
    return table.add_column(1, pa.field(PERSON_KEY, pa.string()), keys)


def csv_tables(pa: Any, path: Path, name: str, value: str) -> Iterator[Any]:
    """A result CSV as Arrow tables of text columns (empty cells stay ""), each tagged as by
    :func:`tagged` and numbered (``result_row``, from 1, in the file's order). Read a block at a
    time, so a large file does not fill memory."""
    import pyarrow.csv as pa_csv

    with path.open(newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f), None)
    if not header:
        return
    read = pa_csv.ReadOptions(block_size=CSV_BLOCK_BYTES, encoding="utf8")
    parse = pa_csv.ParseOptions(newlines_in_values=True)
    convert = pa_csv.ConvertOptions(
        column_types={c: pa.string() for c in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    with pa_csv.open_csv(
        str(path), read_options=read, parse_options=parse, convert_options=convert
    ) as reader:
        done = 0
        for batch in reader:
            if batch.num_rows:
                table = tagged(pa, batch, name, value)
                rows = pa.array(range(done + 1, done + 1 + batch.num_rows), type=pa.int64())
                done += batch.num_rows
                # nullable, as the person key, for tables loaded before the column existed
                yield table.add_column(1, pa.field(RESULT_ROW, pa.int64()), rows)


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """The event's ``event_timestamp`` as an aware datetime (UTC if it names no zone), or None."""
    raw = event.get("event_timestamp")
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def event_key(version: str, event: Mapping[str, Any]) -> str:
    """A stable key of one event (the API gives events no ID): a hash of its version and content.

    The same event read twice gets the same key, so loading it again replaces it.
    """
    ident = event.get("event_id")
    if isinstance(ident, str) and ident:  # as audiencelab.webhooks.event_key: pushed = polled
        return hashlib.sha256(f"{version}\nevent_id:{ident}".encode()).hexdigest()
    text = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{version}\n{text}".encode()).hexdigest()


class PixelCursors:
    """Where each pixel's events were loaded up to, per API version, kept in dlt's state: the
    time of the newest event loaded, and the keys of the events loaded at that very time.

    An event is new when it is more recent than that time, or as recent but not among those keys
    (an event that arrives later with the same time is not lost). An event without a readable
    time is always passed on: its key makes loading it again replace it.
    """

    def __init__(self, state: dict[str, Any]) -> None:
        self._saved: dict[str, dict[str, Any]] = state.setdefault("pixel_cursors", {})

    def new_events(
        self, pixel_id: str, version: str, events: Iterable[Mapping[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        """The new events, with ``api_version`` and ``event_key`` added. The cursor moves once
        they have all been taken (a run that fails midway reads them again next time)."""
        slot = f"{version}:{pixel_id}"
        saved = self._saved.get(slot)
        since = datetime.fromisoformat(saved["time"]) if saved else None
        seen: set[str] = set(saved["keys"]) if saved else set()
        newest, newest_keys = since, set(seen)
        for event in events:
            key = event_key(version, event)
            moment = event_time(event)
            if not _is_new(moment, key, since, seen):
                continue
            if moment is not None:
                if newest is None or moment > newest:
                    newest, newest_keys = moment, {key}
                elif moment == newest:
                    newest_keys.add(key)
            yield {**event, "api_version": version, "event_key": key}
        if newest is not None:
            self._saved[slot] = {"time": newest.isoformat(), "keys": sorted(newest_keys)}


def _is_new(moment: datetime | None, key: str, since: datetime | None, seen: set[str]) -> bool:
    if moment is None or since is None or moment > since:
        return True
    return moment == since and key not in seen

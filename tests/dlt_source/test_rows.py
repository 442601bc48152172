"""The pure parts of the dlt source: which pixel events are new, event times, result files read as
text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from audiencelab.dlt._naming import NamingConvention
from audiencelab.dlt._rows import (
    PixelCursors,
    csv_tables,
    event_key,
    event_time,
    person_keys,
    records_table,
    tagged,
)


def event(ts: str | None, n: int) -> dict[str, Any]:
    return {"event_timestamp": ts, "event_type": "page_view", "uid": f"u{n}"}


OLD = [event("2026-01-02T10:00:00.000Z", 1), event("2026-01-01T09:00:00Z", 2)]


def uids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["uid"] for row in rows]


def test_every_event_is_new_on_the_first_run_and_none_on_the_next() -> None:
    state: dict[str, Any] = {}
    first = list(PixelCursors(state).new_events("p1", "v3", OLD))
    assert uids(first) == ["u1", "u2"]
    assert first[0]["api_version"] == "v3"
    assert first[0]["event_key"] == event_key("v3", OLD[0])
    assert list(PixelCursors(state).new_events("p1", "v3", OLD)) == []


def test_later_events_and_same_time_newcomers_are_new() -> None:
    state: dict[str, Any] = {}
    list(PixelCursors(state).new_events("p1", "v3", OLD))
    tie = event("2026-01-02T10:00:00+00:00", 3)  # the newest time loaded, another event
    later = event("2026-01-03T00:00:00Z", 4)
    again = [later, tie, *OLD]
    assert uids(list(PixelCursors(state).new_events("p1", "v3", again))) == ["u4", "u3"]
    assert list(PixelCursors(state).new_events("p1", "v3", again)) == []


def test_each_pixel_and_version_has_its_own_cursor() -> None:
    state: dict[str, Any] = {}
    list(PixelCursors(state).new_events("p1", "v3", OLD))
    older = [event("2025-12-01T00:00:00Z", 5)]
    assert uids(list(PixelCursors(state).new_events("p2", "v3", older))) == ["u5"]
    assert uids(list(PixelCursors(state).new_events("p1", "v4", older))) == ["u5"]
    assert list(PixelCursors(state).new_events("p1", "v3", older)) == []


def test_a_run_stopped_midway_leaves_the_cursor_where_it_was() -> None:
    state: dict[str, Any] = {}
    events = PixelCursors(state).new_events("p1", "v3", OLD)
    next(events)
    events.close()
    assert uids(list(PixelCursors(state).new_events("p1", "v3", OLD))) == ["u1", "u2"]


def test_events_without_a_readable_time_are_always_passed_on() -> None:
    state: dict[str, Any] = {}
    timeless = [event(None, 6), event("yesterday", 7), *OLD]
    assert len(list(PixelCursors(state).new_events("p1", "v3", timeless))) == 4
    assert uids(list(PixelCursors(state).new_events("p1", "v3", timeless))) == ["u6", "u7"]


def test_event_times() -> None:
    utc = UTC
    assert event_time({"event_timestamp": "2026-01-02T10:00:00.5Z"}) == datetime(
        2026, 1, 2, 10, 0, 0, 500_000, tzinfo=utc
    )
    assert event_time({"event_timestamp": "2026-01-02T10:00:00"}) == datetime(
        2026, 1, 2, 10, tzinfo=utc
    )
    assert event_time({"event_timestamp": "2026-01-02T12:00:00+02:00"}) == datetime(
        2026, 1, 2, 10, tzinfo=utc
    )
    for bad in (None, "", "soon", 1700000000):
        assert event_time({"event_timestamp": bad}) is None
    assert event_time({}) is None


def test_a_result_file_is_read_as_text_and_tagged(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_bytes(
        "\ufeffEMAIL,ZIP,NOTE\n"
        'a@example.com,00501,"two\nlines"\n'
        'b@example.com,,"say ""hi"""\n'.encode()
    )
    tables = list(csv_tables(pa, path, "job_id", "job-1"))
    table = pa.concat_tables(tables)
    assert table.schema.field("job_id") == pa.field("job_id", pa.string(), nullable=False)
    assert table.schema.field("result_row").type == pa.int64()
    assert all(f.type == pa.string() for f in table.schema if f.name != "result_row")
    assert table.to_pylist() == [
        {"job_id": "job-1", "result_row": 1, "EMAIL": "a@example.com", "ZIP": "00501", "NOTE": "two\nlines"},
        {"job_id": "job-1", "result_row": 2, "EMAIL": "b@example.com", "ZIP": "", "NOTE": 'say "hi"'},
    ]  # fmt: skip


def test_result_rows_are_numbered_across_blocks(tmp_path: Path, monkeypatch: Any) -> None:
    from audiencelab.dlt import _rows

    monkeypatch.setattr(_rows, "CSV_BLOCK_BYTES", 64)  # a few rows per block
    path = tmp_path / "results.csv"
    path.write_text("EMAIL\n" + "".join(f"person{i}@example.com\n" for i in range(40)))
    tables = list(csv_tables(pa, path, "job_id", "job-1"))
    assert len(tables) > 3
    numbers = pa.concat_tables(tables).column("result_row").to_pylist()
    assert numbers == list(range(1, 41))


def test_an_empty_result_file_gives_no_table(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert list(csv_tables(pa, path, "job_id", "job-1")) == []
    path.write_text("EMAIL,ZIP\n")
    assert list(csv_tables(pa, path, "job_id", "job-1")) == []


def test_tagged_puts_the_id_first_on_every_row() -> None:
    batch = pa.record_batch({"A": ["1", None]})
    table = tagged(pa, batch, "audience_id", "aud")
    assert table.column_names == ["audience_id", "A"]
    assert table.to_pydict() == {"audience_id": ["aud", "aud"], "A": ["1", None]}


def test_the_person_key_is_the_uuid_trimmed() -> None:
    batch = pa.record_batch({"UUID": [" u-1 ", "u-2"], "FIRST_NAME": ["Ana", "Bo"]})
    assert person_keys(pa, batch).to_pylist() == ["u-1", "u-2"]


def test_a_record_without_a_uuid_is_keyed_by_its_values() -> None:
    batch = pa.record_batch(
        {"UUID": ["u-1", None, " ", None], "FIRST_NAME": ["Ana", "Bo", "Cy", "Bo"]}
    )
    keys = person_keys(pa, batch).to_pylist()
    assert keys[0] == "u-1"
    assert all(k.startswith("row:") and len(k) == 36 for k in keys[1:])
    assert keys[1] == keys[3]  # the same record, the same key: kept once
    assert keys[1] != keys[2]
    without_column = pa.record_batch({"FIRST_NAME": ["Bo", "Cy"]})
    assert person_keys(pa, without_column).to_pylist()[0].startswith("row:")
    assert (
        person_keys(pa, without_column).to_pylist() == person_keys(pa, without_column).to_pylist()
    )


def test_records_tables_lead_with_the_audience_and_the_person() -> None:
    batch = pa.record_batch({"UUID": ["u-1"], "A": ["x"]})
    table = records_table(pa, batch, "aud")
    assert table.column_names == ["audience_id", "person_key", "UUID", "A"]
    assert table.to_pylist() == [
        {"audience_id": "aud", "person_key": "u-1", "UUID": "u-1", "A": "x"}
    ]
    # nullable, so that tables loaded before the key existed can take the column
    assert table.schema.field("person_key").nullable


def test_upper_snake_names_become_their_lower_case_exactly() -> None:
    naming = NamingConvention()
    assert naming.normalize_identifier("SKIPTRACE_B2B_ADDRESS") == "skiptrace_b2b_address"
    assert naming.normalize_identifier("PERSONAL_ZIP4") == "personal_zip4"
    assert naming.normalize_identifier("SHA256_PERSONAL_EMAIL") == "sha256_personal_email"
    assert naming.normalize_identifier("UUID") == "uuid"
    # anything else is dlt's snake_case, as before
    assert naming.normalize_identifier("eventTimestamp") == "event_timestamp"
    assert naming.normalize_identifier("audience_id") == "audience_id"
    assert naming.normalize_path("resolution__FIRST_NAME") == "resolution__first_name"
    assert naming.normalize_identifier("2FA_CODE") == "_2fa_code"

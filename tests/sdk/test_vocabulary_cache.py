"""The vocabulary cache on disk trusts nothing it finds (issue 23, defect 5): only a regular file
of a bounded size, holding a list this module wrote, fresh, of the right shape, is used; anything
else is a cache miss (the list is fetched again)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from audiencelab import _vocabulary_cache as disk

ORIGIN = "https://api.example.test"
NOW = 1_900_000_000.0


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(disk.CACHE_DIR_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _path(attribute: str = "industries") -> Path:
    return disk._file(ORIGIN, attribute)


def _write(data: Any, attribute: str = "industries") -> Path:
    path = _path(attribute)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "audiencelab-vocabulary",
        "origin": ORIGIN,
        "attribute": "industries",
        "fetched_at": NOW,
        "values": ["Retail", "Software Development"],
    }
    entry.update(changes)
    return entry


def test_what_it_saves_it_loads() -> None:
    disk.save(ORIGIN, "industries", ["Retail"], now=NOW)
    assert disk.load(ORIGIN, "industries", now=NOW + 1) == ["Retail"]
    assert disk.load("https://other.example.test", "industries", now=NOW + 1) is None


def test_fresh_for_one_day_exactly() -> None:
    assert disk.FRESH_SECONDS == 24 * 3600
    _write(_entry())
    assert disk.load(ORIGIN, "industries", now=NOW) is not None
    assert disk.load(ORIGIN, "industries", now=NOW + 23.9 * 3600) is not None
    assert disk.load(ORIGIN, "industries", now=NOW + 24 * 3600) is None


def test_an_entry_dated_in_the_future_is_not_fresh() -> None:
    """Clock skew: an entry from the future would otherwise be fresh forever."""
    _write(_entry(fetched_at=NOW + 60))
    assert disk.load(ORIGIN, "industries", now=NOW) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "something-else"},
        {"kind": None},
        {"origin": "https://api.audiencelab.io"},
        {"attribute": "seniority"},
        {"values": "Retail"},
        {"values": {"Retail": 1}},
        {"values": []},
        {"values": [1, None, {}]},
        {"values": ["Retail", ""]},
        {"values": ["Retail", 7]},
        {"fetched_at": "yesterday"},
        {"fetched_at": None},
        {"fetched_at": True},
        {"fetched_at": float("inf")},
    ],
    ids=repr,
)
def test_an_entry_that_is_not_ours_or_not_well_formed_is_a_miss(changes: dict[str, Any]) -> None:
    _write(_entry(**changes))
    assert disk.load(ORIGIN, "industries", now=NOW + 1) is None


def test_a_missing_key_is_a_miss() -> None:
    for key in ("kind", "origin", "values", "fetched_at"):
        entry = _entry()
        del entry[key]
        _write(entry)
        assert disk.load(ORIGIN, "industries", now=NOW + 1) is None, key


@pytest.mark.parametrize(
    "item",
    [
        {"id": "b2c_1253", "name": "Solar", "b2b": "maybe"},
        {"id": "b2c_1253", "name": 5},
        {"id": 1253},
        {"id": "1253"},
        {"name": "no id"},
        "b2c_1253",
    ],
    ids=repr,
)
def test_a_bad_segment_item_is_a_miss(item: Any) -> None:
    good = {"id": "b2b_1042", "name": "Fleet", "b2b": True}
    _write(_entry(attribute="segments", values=[good, item]), "segments")
    assert disk.load(ORIGIN, "segments", now=NOW + 1) is None
    _write(_entry(attribute="segments", values=[good, {"id": "b2c_1", "b2b": None}]), "segments")
    assert disk.load(ORIGIN, "segments", now=NOW + 1) is not None


def test_corrupt_or_deep_json_is_a_miss() -> None:
    path = _path()
    path.parent.mkdir(parents=True)
    for content in (b"{not json", b"\xff\xfe", b"[" * 200_000 + b"]" * 200_000):
        path.write_bytes(content)
        assert disk.load(ORIGIN, "industries", now=NOW + 1) is None


def test_a_fifo_is_not_read_and_does_not_hang() -> None:
    path = _path()
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    result: list[object] = []
    reader = threading.Thread(target=lambda: result.append(disk.load(ORIGIN, "industries")))
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading a FIFO hung"
    assert result == [None]


def test_a_symlink_is_not_followed(tmp_path: Path) -> None:
    path = _path()
    path.parent.mkdir(parents=True)
    os.symlink("/dev/zero", path)
    started = time.monotonic()
    assert disk.load(ORIGIN, "industries") is None
    assert time.monotonic() - started < 1
    path.unlink()
    good = tmp_path / "elsewhere.json"
    good.write_text(json.dumps(_entry()), encoding="utf-8")
    os.symlink(good, path)  # even to a good file: we never write symlinks
    assert disk.load(ORIGIN, "industries", now=NOW + 1) is None


def test_a_file_larger_than_the_limit_is_not_read() -> None:
    path = _write(_entry())
    assert disk.load(ORIGIN, "industries", now=NOW + 1) is not None
    with path.open("ab") as f:
        f.truncate(disk.MAX_BYTES + 1)  # sparse: the size is what counts
    assert disk.load(ORIGIN, "industries", now=NOW + 1) is None


def test_a_folder_at_the_path_is_a_miss() -> None:
    _path().mkdir(parents=True)
    assert disk.load(ORIGIN, "industries") is None

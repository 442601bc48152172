"""The export checkpoint, unit by unit (``_export/checkpoint.py``): its exact file, every way a
file that is not one of ours is refused, and resuming only the same export from an intact part.

The end-to-end resumes (killed exports continued byte for byte) are in tests/e2e/test_export_e2e.py
and tests/sdk/test_export_sink.py; these pin what they let pass (mutmut, issue 23)."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest

from audiencelab import InputProblem, InputValidationError, PassArgument
from audiencelab._export.checkpoint import (
    Checkpoint,
    check_same_export,
    load_checkpoint,
    reopen_part,
    save_checkpoint,
)

STATE = Checkpoint(
    source="audience:café",
    format="csv",
    page_size=500,
    neutralize_formulas=True,
    next_page=3,
    rows_written=1000,
    offset=40,
    columns=["FIRST_NAME", "CITY"],
    dropped_columns=["EXTRA"],
    last_page_offset=25,
    last_page_crc=7,
)


def saved(**changes: Any) -> str:
    data = json.loads(STATE.to_json())
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return json.dumps(data)


def test_the_file_is_this_exact_json() -> None:
    assert STATE.to_json() == (
        '{\n "kind": "audiencelab-export-checkpoint",\n "version": 1,\n'
        ' "source": "audience:café",\n "format": "csv",\n "page_size": 500,\n'
        ' "neutralize_formulas": true,\n "next_page": 3,\n "rows_written": 1000,\n'
        ' "offset": 40,\n "columns": [\n  "FIRST_NAME",\n  "CITY"\n ],\n'
        ' "dropped_columns": [\n  "EXTRA"\n ],\n "last_page_offset": 25,\n'
        ' "last_page_crc": 7\n}'
    )
    assert Checkpoint.from_json(STATE.to_json()) == STATE


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "something-else"}, "not an audiencelab export checkpoint"),
        ({"version": 2}, "unsupported checkpoint version 2"),
        ({"version": ...}, "unsupported checkpoint version None"),
        ({"source": 5}, "bad or missing 'source'"),
        ({"page_size": True}, "bad or missing 'page_size'"),  # a bool is not a number here
        ({"page_size": "500"}, "bad or missing 'page_size'"),
        ({"next_page": ...}, "bad or missing 'next_page'"),
        ({"neutralize_formulas": 1}, "bad or missing 'neutralize_formulas'"),
        ({"last_page_crc": 7.0}, "bad or missing 'last_page_crc'"),
        ({"columns": "FIRST_NAME"}, "bad 'columns'"),
        ({"columns": ["FIRST_NAME", 1]}, "bad 'columns'"),
        ({"dropped_columns": [None]}, "bad 'dropped_columns'"),
        ({"dropped_columns": ...}, "bad or missing 'dropped_columns'"),
        ({"format": "xml"}, "unknown format 'xml'"),
        ({"next_page": 0}, "negative counters"),
        ({"rows_written": -1}, "negative counters"),
        ({"offset": -1, "last_page_offset": 0}, "negative counters"),
        ({"last_page_offset": 41}, "bad 'last_page_offset'"),
        ({"last_page_offset": -1}, "bad 'last_page_offset'"),
    ],
)
def test_what_is_not_one_of_ours_is_refused_saying_why(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        Checkpoint.from_json(saved(**changes))


def test_a_list_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^not an audiencelab export checkpoint$"):
        Checkpoint.from_json("[1, 2]")


@pytest.mark.parametrize(
    "changes",
    [
        {"next_page": 1, "rows_written": 0, "offset": 0, "last_page_offset": 0},  # the very start
        {"columns": None},  # JSON Lines before any key was seen
        {"columns": []},
        {"last_page_offset": 40},  # the last page may be empty: it starts where the file ends
    ],
)
def test_the_edges_of_what_is_valid_are_accepted(changes: dict[str, Any]) -> None:
    state = Checkpoint.from_json(saved(**changes))
    for key, value in changes.items():
        assert getattr(state, key) == value


def test_load_checkpoint_says_what_to_delete_when_unreadable(tmp_path: Path) -> None:
    checkpoint, part = tmp_path / "out.csv.part.json", tmp_path / "out.csv.part"
    checkpoint.write_text('{"kind": "nope"}', encoding="utf-8")
    with pytest.raises(InputValidationError) as info:
        load_checkpoint(checkpoint, part)
    assert list(info.value.problems) == [
        InputProblem(
            "resume",
            f"cannot resume: the checkpoint {checkpoint} is unreadable (not an audiencelab "
            f"export checkpoint); delete it and {part} to start over",
        )
    ]


def test_save_then_load_is_the_same_state_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    checkpoint = tmp_path / "out.csv.part.json"
    save_checkpoint(checkpoint, STATE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv.part.json"]
    assert checkpoint.read_bytes() == STATE.to_json().encode("utf-8")
    assert load_checkpoint(checkpoint, tmp_path / "out.csv.part") == STATE


def test_only_the_same_export_resumes_and_every_difference_is_named(tmp_path: Path) -> None:
    checkpoint = tmp_path / "out.csv.part.json"
    check_same_export(STATE, checkpoint, "audience:café", "csv", 500, True)  # the same: fine
    start_over = f"(or delete {checkpoint} and its .part file to start over)"
    with pytest.raises(InputValidationError) as info:
        check_same_export(STATE, checkpoint, "audience:other", "jsonl", 100, False)
    assert list(info.value.problems) == [
        InputProblem("resume", "this is not the export the checkpoint belongs to"),
        InputProblem(
            "source", f"the interrupted export was of 'audience:café', not 'audience:other' "
            f"{start_over}"
        ),
        InputProblem(
            "format", f"the interrupted export used 'csv', not 'jsonl' {start_over}",
            remedy=PassArgument("format", "csv", "as the interrupted export did"),
        ),
        InputProblem(
            "page_size", "the interrupted export used 500, not 100; page numbers would no longer "
            f"line up {start_over}",
            remedy=PassArgument("page_size", 500, "as the interrupted export did"),
        ),
    ]  # fmt: skip
    # neutralize_formulas matters for CSV only
    with pytest.raises(InputValidationError) as info:
        check_same_export(STATE, checkpoint, "audience:café", "csv", 500, False)
    assert list(info.value.problems[1:]) == [
        InputProblem(
            "neutralize_formulas", "the interrupted export used True, not False; the file would "
            f"mix both {start_over}",
            remedy=PassArgument("neutralize_formulas", True, "as the interrupted export did"),
        )
    ]  # fmt: skip
    jsonl = Checkpoint(**{**STATE.__dict__, "format": "jsonl"})
    check_same_export(jsonl, checkpoint, "audience:café", "jsonl", 500, False)


def part_file(tmp_path: Path, content: bytes, last_page: bytes) -> tuple[Checkpoint, Path, Path]:
    part = tmp_path / "out.csv.part"
    part.write_bytes(content)
    offset = content.index(last_page) + len(last_page)
    state = Checkpoint(
        source="audience:a",
        format="csv",
        page_size=2,
        neutralize_formulas=True,
        offset=offset,
        last_page_offset=offset - len(last_page),
        last_page_crc=zlib.crc32(last_page),
    )
    return state, tmp_path / "out.csv.part.json", part


def test_reopening_cuts_the_part_back_to_its_last_checkpointed_page(tmp_path: Path) -> None:
    state, checkpoint, part = part_file(tmp_path, b"h\nrow1\nrow2\nhalf a pa", b"row2\n")
    with reopen_part(state, checkpoint, part) as file:
        assert file.tell() == state.offset
        file.write(b"row3\n")
    assert part.read_bytes() == b"h\nrow1\nrow2\nrow3\n"


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("missing", "is missing"),
        ("shorter", "is shorter (7 bytes) than its checkpoint records (12); was the machine "
                    "restarted?"),
        ("changed", "the last page in {part} does not match its checkpoint (the file was "
                    "changed, or the machine restarted);"),
    ],
)  # fmt: skip
def test_a_damaged_part_is_refused_saying_to_start_over(
    tmp_path: Path, damage: str, says: str
) -> None:
    state, checkpoint, part = part_file(tmp_path, b"h\nrow1\nrow2\n", b"row2\n")
    if damage == "missing":
        part.unlink()
    elif damage == "shorter":
        part.write_bytes(b"h\nrow1\n")
    else:
        part.write_bytes(b"h\nrow1\nrowX\n")
    with pytest.raises(InputValidationError) as info:
        reopen_part(state, checkpoint, part)
    (only,) = info.value.problems
    assert only.path == "resume"
    assert only.message.startswith("cannot resume: ")
    assert says.format(part=part) in only.message
    assert only.message.endswith(f"delete {checkpoint} and {part} to start over")
    if damage != "missing":
        assert part.exists()  # nothing is deleted for the user

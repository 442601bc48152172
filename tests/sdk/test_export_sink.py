"""ExportSink: streaming CSV / JSON Lines / Parquet export with checkpoints and resume."""

from __future__ import annotations

import csv
import inspect
import io
import json
import logging
import os
import random
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow.parquet as pq
import pytest

from audiencelab import AudienceLabError, InputValidationError
from audiencelab._export import (
    ExportFormat,
    ExportSink,
    ExportStateError,
    ExportSummary,
    formats,
    infer_format,
)

FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl", "parquet")
SOURCE = "audience:0b7c3c6e-5a0e-4c43-9d7e-000000000001"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def make_rows(page: int, page_size: int) -> list[dict[str, str]]:
    """Deterministic records for ``page``; self-contained (its source runs in a subprocess)."""
    last_names = ["O'Brien", "Müller", "李", '=HYPERLINK("http://x","y")', "-5", "@SUM(A1)", ""]
    notes = ["", "line1\nline2", "a\r\nb", "\ttabbed", "bare\rreturn", 'say "hi", ok', "+cmd|x"]
    rows = []
    for i in range(page_size):
        n = (page - 1) * page_size + i
        rows.append(
            {
                "FIRST_NAME": f"Ann{n}",
                "LAST_NAME": last_names[n % len(last_names)],
                "PERSONAL_EMAILS": f"a{n}@x.com, b{n}@y.com" if n % 3 else "",
                "MOBILE_PHONE": f"+1415555{n % 10000:04d}",
                "COMPANY_NAME": 'Acme "Rockets", Inc.' if n % 2 else "Globex",
                "NOTES": notes[n % len(notes)],
                "CITY": "Zürich 😀" if n % 4 else "=cmd",
                "EMPTY": "",
            }
        )
    return rows


def neutralized(value: str) -> str:
    return "'" + value if value[:1] in DANGEROUS else value


def export(
    path: Path,
    fmt: ExportFormat,
    pages: Sequence[Sequence[Mapping[str, Any]]],
    **kwargs: Any,
) -> ExportSummary:
    kwargs.setdefault("source", SOURCE)
    kwargs.setdefault("page_size", 10)
    with ExportSink.open(path, fmt, **kwargs) as sink:
        for rows in pages:
            sink.write_page(sink.next_page, rows)
        return sink.finish(1.5)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def read_jsonl(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


# --------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("neutralize", [True, False])
def test_csv_round_trip(tmp_path: Path, neutralize: bool) -> None:
    pages = [make_rows(p, 10) for p in (1, 2, 3)]
    path = tmp_path / "out.csv"
    summary = export(path, "csv", pages, neutralize_formulas=neutralize)

    rows = [r for page in pages for r in page]
    header = list(rows[0])
    fix = neutralized if neutralize else (lambda v: v)
    assert read_csv(path) == [header] + [[fix(r[c]) for c in header] for r in rows]
    assert summary == ExportSummary(
        path=path,
        format="csv",
        rows=30,
        pages=3,
        seconds=1.5,
        resumed_from_page=None,
        columns=tuple(header),
        dropped_columns=(),
    )
    assert leftovers(path) == []
    data = path.read_bytes()
    assert data.startswith(b",".join(c.encode() for c in header) + b"\n")  # \n, and no BOM


def test_phone_numbers_and_formulas_get_a_quote_only_when_neutralizing(tmp_path: Path) -> None:
    rows = [
        {
            "PHONE": "+14155550100",
            "F": "=1+1",
            "AT": "@x",
            "NEG": "-5",
            "TAB": "\tx",
            "CR": "\rx",
            "OK": "a=b",
        }
    ]
    export(tmp_path / "on.csv", "csv", [rows])
    export(tmp_path / "off.csv", "csv", [rows], neutralize_formulas=False)
    assert read_csv(tmp_path / "on.csv")[1] == [
        "'+14155550100",
        "'=1+1",
        "'@x",
        "'-5",
        "'\tx",
        "'\rx",
        "a=b",
    ]
    assert read_csv(tmp_path / "off.csv")[1] == [
        "+14155550100",
        "=1+1",
        "@x",
        "-5",
        "\tx",
        "\rx",
        "a=b",
    ]


def test_csv_header_cells_are_neutralized_too(tmp_path: Path) -> None:
    export(tmp_path / "out.csv", "csv", [[{"=BAD": "1", "GOOD": "2"}]])
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "'=BAD,GOOD\n1,2\n"


def random_cell(rng: random.Random) -> str:
    alphabet = ["a", "b", " ", ",", '"', "\n", "=", "+", "-", "@", "\t", "é", "😀", "'", ";"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6)))


@pytest.mark.parametrize("ncols", [1, 2, 7])
def test_csv_bytes_match_the_csv_module(tmp_path: Path, ncols: int) -> None:
    """The dialect: what csv.writer(f, lineterminator="\\n") writes (RFC 4180 / Excel quoting)."""
    rng = random.Random(ncols)
    columns = [f"COL_{i}" for i in range(ncols)]
    pages = [
        [{c: random_cell(rng) for c in columns} for _ in range(rng.randrange(1, 40))]
        for _ in range(5)
    ]
    for neutralize in (False, True):
        path = tmp_path / f"out-{neutralize}.csv"
        export(path, "csv", pages, neutralize_formulas=neutralize)
        fix = neutralized if neutralize else (lambda v: v)
        expected = io.StringIO(newline="")
        writer = csv.writer(expected, lineterminator="\n")
        writer.writerow([fix(c) for c in columns])
        writer.writerows([fix(r[c]) for c in columns] for page in pages for r in page)
        assert path.read_bytes() == expected.getvalue().encode("utf-8")
        assert read_csv(path)[1:] == [[fix(r[c]) for c in columns] for p in pages for r in p]


def test_csv_quotes_a_bare_carriage_return(tmp_path: Path) -> None:
    # csv.writer(lineterminator="\n") on Python < 3.12 leaves this unquoted, corrupting the file.
    path = tmp_path / "out.csv"
    export(path, "csv", [[{"A": "x\ry", "B": "1"}]])
    assert path.read_bytes() == b'A,B\n"x\ry",1\n'
    assert read_csv(path) == [["A", "B"], ["x\ry", "1"]]


def test_csv_single_column_keeps_empty_rows(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    export(path, "csv", [[{"ONLY": ""}, {"ONLY": "x"}, {"ONLY": ""}]])
    assert path.read_bytes() == b'ONLY\n""\nx\n""\n'
    assert read_csv(path) == [["ONLY"], [""], ["x"], [""]]


def test_csv_non_string_values(tmp_path: Path) -> None:
    rows = [
        {
            "NONE": None,
            "INT": 3,
            "NEG": -2,
            "FLOAT": 1.5,
            "BOOL": True,
            "LIST": ["a", 1],
            "DICT": {"k": "é"},
            "MAPPING": MappingProxyType({"m": 1}),
        }
    ]
    export(tmp_path / "on.csv", "csv", [rows])
    export(tmp_path / "off.csv", "csv", [rows], neutralize_formulas=False)
    assert read_csv(tmp_path / "on.csv")[1] == [
        "",
        "3",
        "'-2",
        "1.5",
        "True",
        '["a",1]',
        '{"k":"é"}',
        '{"m":1}',
    ]
    assert read_csv(tmp_path / "off.csv")[1][2] == "-2"


def test_csv_missing_and_late_columns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pages = [
        [{"A": "1", "B": "2"}, {"A": "3", "C": "first page: in the header"}],
        [{"A": "4", "LATE": "x"}, {"B": "5", "LATE": "y", "LATER": "z"}],
        [{"A": "6", "LATE": "again"}],
    ]
    path = tmp_path / "out.csv"
    with caplog.at_level(logging.WARNING, logger="audiencelab"):
        summary = export(path, "csv", pages)
    assert read_csv(path) == [
        ["A", "B", "C"],
        ["1", "2", ""],
        ["3", "", "first page: in the header"],
        ["4", "", ""],
        ["", "5", ""],
        ["6", "", ""],
    ]
    assert summary.columns == ("A", "B", "C")
    assert summary.dropped_columns == ("LATE", "LATER")
    warnings = [
        r for r in caplog.records if r.name == "audiencelab" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1  # once, although LATE appears on two pages
    assert "LATE, LATER" in warnings[0].getMessage()
    assert "page 2" in warnings[0].getMessage()


def test_jsonl_round_trip(tmp_path: Path) -> None:
    pages: list[list[dict[str, Any]]] = [make_rows(p, 10) for p in (1, 2, 3)]
    pages[1][0]["EXTRA"] = "keys as given, nothing dropped"
    pages[2][0] = {"MIXED": [1, {"a": None}], "NUM": 1.5, "MAP": MappingProxyType({"x": "y"})}
    path = tmp_path / "out.jsonl"
    summary = export(path, "jsonl", pages)

    rows = [r for page in pages for r in page]
    expected_rows: list[dict[str, Any]] = [dict(r) for r in rows]
    expected_rows[20]["MAP"] = {"x": "y"}
    assert read_jsonl(path) == expected_rows
    expected = "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in expected_rows
    )
    assert path.read_text(encoding="utf-8") == expected
    assert summary.rows == 30
    assert summary.columns == (*rows[0], "EXTRA", "MIXED", "NUM", "MAP")
    assert summary.dropped_columns == ()


def test_jsonl_lone_surrogate_is_escaped_losslessly(tmp_path: Path) -> None:
    rows = [{"A": "ok é"}, {"A": "bad \ud800 end"}, {"A": "ok 😀"}]
    path = tmp_path / "out.jsonl"
    export(path, "jsonl", [rows])
    assert read_jsonl(path) == rows
    assert path.read_bytes().decode("utf-8").splitlines()[1] == '{"A":"bad \\ud800 end"}'


def test_csv_lone_surrogate_becomes_replacement_character(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    export(path, "csv", [[{"A": "bad \udcff end"}]])
    assert read_csv(path) == [["A"], ["bad \ufffd end"]]


def test_parquet_round_trip(tmp_path: Path) -> None:
    pages: list[list[dict[str, Any]]] = [make_rows(p, 10) for p in (1, 2, 3)]
    pages[1][0]["LATE"] = "dropped"
    pages[1][1]["CITY"] = None
    del pages[1][2]["NOTES"]
    pages[2][0]["FIRST_NAME"] = 42
    pages[2][1]["FIRST_NAME"] = ["a", "b"]
    path = tmp_path / "out.parquet"
    summary = export(path, "parquet", pages)

    table = pq.read_table(path)
    header = list(make_rows(1, 1)[0])
    assert table.column_names == header
    assert all(str(f.type) == "string" and f.nullable for f in table.schema)
    expected: list[dict[str, Any]] = [{c: r.get(c) for c in header} for page in pages for r in page]
    expected[20]["FIRST_NAME"] = "42"
    expected[21]["FIRST_NAME"] = '["a","b"]'
    assert table.to_pylist() == expected
    assert expected[11]["CITY"] is None
    assert expected[12]["NOTES"] is None
    assert summary.dropped_columns == ("LATE",)
    assert summary.columns == tuple(header)
    assert summary.rows == 30
    assert leftovers(path) == []


def test_parquet_conversion_streams_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(formats, "_PARQUET_BATCH_BYTES", 4096)  # a few records per batch
    monkeypatch.setattr(formats, "_PARQUET_BLOCK_BYTES", 512)  # smaller than some records
    pages = [make_rows(p, 25) for p in range(1, 9)]
    pages[3][5]["NOTES"] = "long " * 2000  # one record longer than a batch
    path = tmp_path / "out.parquet"
    export(path, "parquet", pages)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 200
    assert meta.num_row_groups >= 5
    assert pq.read_table(path).to_pylist() == [r for page in pages for r in page]


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_export(tmp_path: Path, fmt: ExportFormat) -> None:
    path = tmp_path / f"out.{fmt}"
    summary = export(path, fmt, [[], []])
    assert (summary.rows, summary.pages, summary.columns) == (0, 2, ())
    if fmt == "parquet":
        assert pq.read_table(path).num_rows == 0
    else:
        assert path.read_bytes() == b""
    assert leftovers(path) == []


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_header_comes_from_the_first_non_empty_page(tmp_path: Path, fmt: ExportFormat) -> None:
    path = tmp_path / f"out.{fmt}"
    summary = export(path, fmt, [[], [{"A": "1"}, {"B": "2"}], [{"C": "3"}]])
    assert summary.columns == ("A", "B")
    assert summary.dropped_columns == ("C",)


# --------------------------------------------------------------------------------------------
# Formats


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("out.csv", "csv"),
        ("OUT.CSV", "csv"),
        ("out.jsonl", "jsonl"),
        ("out.ndjson", "jsonl"),
        ("out.parquet", "parquet"),
        ("dir.v2/out.pq", "parquet"),
    ],
)
def test_format_from_suffix(name: str, fmt: ExportFormat) -> None:
    assert infer_format(name, None) == fmt
    assert infer_format(Path(name), None) == fmt


def test_explicit_format_wins_over_suffix() -> None:
    assert infer_format("out.csv", "JSONL") == "jsonl"
    assert infer_format("export", "parquet") == "parquet"
    assert infer_format("out.txt", "csv") == "csv"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (
            "out.txt",
            ["'.txt'", ".csv, .jsonl, .ndjson, .parquet, .pq", "format=", "csv, jsonl, parquet"],
        ),
        ("export", ["no suffix", "format="]),
        ("out.json", [".jsonl", "format='jsonl'", "JSON Lines"]),
        ("out.csv.gz", ["compressed", ".gz"]),
    ],
)
def test_unknown_suffix_is_refused(name: str, words: list[str]) -> None:
    with pytest.raises(InputValidationError) as info:
        infer_format(name, None)
    assert info.value.problems[0].path == "path"
    for word in words:
        assert word in str(info.value)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(
        InputValidationError, match=r"format: unknown export format 'xlsx'.*csv, jsonl, parquet"
    ):
        infer_format("out.csv", "xlsx")


def test_parquet_without_pyarrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    install = 'pip install "audiencelab[parquet]"'
    with pytest.raises(InputValidationError, match=r"pyarrow") as info:
        infer_format("out.parquet", None)
    assert install in str(info.value)
    with pytest.raises(InputValidationError, match=r"pyarrow") as info:
        ExportSink.open(tmp_path / "out.parquet", "parquet", source=SOURCE, page_size=10)
    assert install in str(info.value)
    assert list(tmp_path.iterdir()) == []
    assert infer_format("out.csv", None) == "csv"


def test_importing_the_module_does_not_import_pyarrow() -> None:
    code = "import audiencelab._export, sys; assert 'pyarrow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --------------------------------------------------------------------------------------------
# Opening


def test_existing_target_is_refused_without_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("precious")
    with pytest.raises(InputValidationError, match=r"already exists.*overwrite=True"):
        ExportSink.open(path, "csv", source=SOURCE, page_size=10)
    assert path.read_text() == "precious"
    assert leftovers(path) == []

    export(path, "csv", [[{"A": "1"}]], overwrite=True)
    assert path.read_text() == "A\n1\n"


def test_open_validates_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(InputValidationError) as info:
        ExportSink.open(tmp_path / "x.csv", "xml", source="", page_size=0)  # type: ignore[arg-type]
    assert {p.path for p in info.value.problems} == {"format", "source", "page_size"}
    with pytest.raises(InputValidationError, match=r"does not exist"):
        ExportSink.open(tmp_path / "no" / "x.csv", "csv", source=SOURCE, page_size=1)
    with pytest.raises(InputValidationError, match=r"is a directory"):
        ExportSink.open(tmp_path, "csv", source=SOURCE, page_size=1, overwrite=True)
    assert list(tmp_path.iterdir()) == []


def test_pages_must_be_written_in_order(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with ExportSink.open(path, "jsonl", source=SOURCE, page_size=1) as sink:
        assert sink.next_page == 1
        with pytest.raises(ExportStateError, match=r"page=2.*next page to write is 1"):
            sink.write_page(2, [{"A": "1"}])
        sink.write_page(1, [{"A": "1"}])
        with pytest.raises(ExportStateError):
            sink.write_page(1, [{"A": "1"}])
        assert (sink.next_page, sink.rows_written) == (2, 1)
        sink.finish(0.0)
        with pytest.raises(ExportStateError, match="finished"):
            sink.write_page(2, [])
        with pytest.raises(ExportStateError):
            sink.finish(0.0)
    assert issubclass(ExportStateError, AudienceLabError)
    assert path.read_text() == '{"A":"1"}\n'


def test_close_keeps_the_partial_export(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    sink = ExportSink.open(path, "csv", source=SOURCE, page_size=10)

    def interrupted() -> None:
        with sink:
            sink.write_page(1, make_rows(1, 10))
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert leftovers(path) == ["out.csv.part", "out.csv.part.json"]
    assert not path.exists()
    sink.close()  # idempotent
    with pytest.raises(ExportStateError, match="closed"):
        sink.write_page(2, [])


def test_close_before_the_first_page_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    ExportSink.open(path, "csv", source=SOURCE, page_size=10).close()
    assert list(tmp_path.iterdir()) == []
    # ... and a stale .part without a checkpoint is simply started over.
    (tmp_path / "out.csv.part").write_bytes(b"stale")
    export(path, "csv", [[{"A": "1"}]])
    assert path.read_text() == "A\n1\n"
    assert leftovers(path) == []


def test_checkpoint_records_progress(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with ExportSink.open(path, "csv", source=SOURCE, page_size=10) as sink:
        sink.write_page(1, make_rows(1, 10))
        sink.write_page(2, make_rows(2, 10))
        checkpoint = json.loads((tmp_path / "out.csv.part.json").read_text())
        assert checkpoint["next_page"] == 3
        assert checkpoint["rows_written"] == 20
        assert checkpoint["offset"] == (tmp_path / "out.csv.part").stat().st_size
        assert checkpoint["columns"] == list(make_rows(1, 1)[0])
        assert (checkpoint["source"], checkpoint["page_size"], checkpoint["format"]) == (
            SOURCE,
            10,
            "csv",
        )
        sink.finish(0.0)


# --------------------------------------------------------------------------------------------
# Resume


def crash_after_pages(path: Path, fmt: ExportFormat, pages: int, page_size: int) -> int:
    """Write ``pages`` pages, then die mid-page: half a page of garbage after the last checkpoint,
    a half-written checkpoint temp file, and no finish()/close(). Returns the garbage size."""
    sink = ExportSink.open(path, fmt, source=SOURCE, page_size=page_size)
    for page in range(1, pages + 1):
        sink.write_page(page, make_rows(page, page_size))
    part = path.with_name(path.name + ".part")
    garbage = (b'"garbage,\xff\xfe{"half":' * 1000)[: part.stat().st_size // pages // 2]
    with open(part, "ab") as f:
        f.write(garbage)
    path.with_name(path.name + ".part.json.tmp").write_text('{"next_page": 9')
    assert sink._file is not None
    sink._file.close()  # what the OS does when the process dies; the sink itself is abandoned
    return len(garbage)


def assert_same_export(fmt: ExportFormat, got: Path, want: Path) -> None:
    if fmt == "parquet":
        assert pq.read_table(got).to_pylist() == pq.read_table(want).to_pylist()
        assert pq.read_table(got).schema == pq.read_table(want).schema
    else:
        assert got.read_bytes() == want.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_resume_after_a_crash_mid_page(tmp_path: Path, fmt: ExportFormat) -> None:
    reference = tmp_path / "reference" / f"out.{fmt}"
    reference.parent.mkdir()
    export(reference, fmt, [make_rows(p, 20) for p in range(1, 7)], page_size=20)

    path = tmp_path / f"out.{fmt}"
    garbage = crash_after_pages(path, fmt, 3, 20)
    part = tmp_path / f"out.{fmt}.part"
    size_before = part.stat().st_size

    with ExportSink.open(path, fmt, source=SOURCE, page_size=20, resume=True) as sink:
        assert part.stat().st_size == size_before - garbage  # the partial page is gone
        assert (sink.next_page, sink.rows_written, sink.resumed_from_page) == (4, 60, 4)
        for page in range(4, 7):
            sink.write_page(page, make_rows(page, 20))
        summary = sink.finish(2.0)

    assert_same_export(fmt, path, reference)
    assert (summary.rows, summary.pages, summary.resumed_from_page) == (120, 6, 4)
    assert summary.columns == tuple(make_rows(1, 1)[0])
    assert leftovers(path) == ["reference"]  # no .part, checkpoint or checkpoint temp file


KILLED_WRITER = """
import sys
from audiencelab._export import ExportSink

path, fmt, page_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
with ExportSink.open(path, fmt, source={source!r}, page_size=page_size) as sink:
    while True:  # until killed
        sink.write_page(sink.next_page, make_rows(sink.next_page, page_size))
"""


def checkpoint_pages(checkpoint: Path) -> int:
    try:
        return int(json.loads(checkpoint.read_text())["next_page"]) - 1
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_resume_after_sigkill(tmp_path: Path, fmt: ExportFormat) -> None:
    path = tmp_path / f"out.{fmt}"
    checkpoint = tmp_path / f"out.{fmt}.part.json"
    script = inspect.getsource(make_rows) + KILLED_WRITER.format(source=SOURCE)
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path), fmt, "30"],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while checkpoint_pages(checkpoint) < 3:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.002)
    finally:
        proc.kill()  # SIGKILL
        proc.wait(timeout=60)
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -9
    assert not path.exists()

    with ExportSink.open(path, fmt, source=SOURCE, page_size=30, resume=True) as sink:
        resumed = sink.next_page
        assert resumed >= 4
        assert sink.rows_written == (resumed - 1) * 30
        last = resumed + 2
        for page in range(resumed, last + 1):
            sink.write_page(page, make_rows(page, 30))
        summary = sink.finish(0.0)
    assert summary.resumed_from_page == resumed

    reference = tmp_path / "reference" / f"out.{fmt}"
    reference.parent.mkdir()
    export(reference, fmt, [make_rows(p, 30) for p in range(1, last + 1)], page_size=30)
    assert_same_export(fmt, path, reference)


@pytest.mark.parametrize("fmt", FORMATS)
def test_failed_write_mid_page_then_resume(
    tmp_path: Path, fmt: ExportFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disk full halfway through page 3: the sink refuses further use, close() keeps the
    partial export, and a resume rewrites page 3 from its start."""
    path = tmp_path / f"out.{fmt}"
    sink = ExportSink.open(path, fmt, source=SOURCE, page_size=20)
    sink.write_page(1, make_rows(1, 20))
    sink.write_page(2, make_rows(2, 20))
    assert sink._file is not None
    real_write = sink._file.write

    def disk_full(data: Any) -> int:
        real_write(bytes(data)[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sink._file, "write", disk_full)
    with pytest.raises(OSError, match="No space"):
        sink.write_page(3, make_rows(3, 20))
    monkeypatch.undo()
    with pytest.raises(ExportStateError, match="earlier write"):
        sink.write_page(3, make_rows(3, 20))
    with pytest.raises(ExportStateError, match="earlier write"):
        sink.finish(0.0)
    sink.close()
    assert leftovers(path) == [f"out.{fmt}.part", f"out.{fmt}.part.json"]

    with ExportSink.open(path, fmt, source=SOURCE, page_size=20, resume=True) as sink:
        assert sink.next_page == 3
        for page in (3, 4):
            sink.write_page(page, make_rows(page, 20))
        sink.finish(0.0)
    reference = tmp_path / "reference" / f"out.{fmt}"
    reference.parent.mkdir()
    export(reference, fmt, [make_rows(p, 20) for p in range(1, 5)], page_size=20)
    assert_same_export(fmt, path, reference)


@pytest.mark.parametrize("fmt", FORMATS)
def test_failed_finish_keeps_the_export_resumable(tmp_path: Path, fmt: ExportFormat) -> None:
    path = tmp_path / f"out.{fmt}"
    sink = ExportSink.open(path, fmt, source=SOURCE, page_size=5)
    sink.write_page(1, make_rows(1, 5))
    path.mkdir()  # something takes the target's place: the final move fails
    with pytest.raises(IsADirectoryError):
        sink.finish(0.0)
    path.rmdir()
    assert leftovers(path) == [f"out.{fmt}.part", f"out.{fmt}.part.json"]
    with ExportSink.open(path, fmt, source=SOURCE, page_size=5, resume=True) as sink:
        assert sink.next_page == 2
        summary = sink.finish(0.0)
    assert summary.rows == 5
    assert leftovers(path) == []


def test_resume_without_a_checkpoint_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with ExportSink.open(path, "csv", source=SOURCE, page_size=10, resume=True) as sink:
        assert (sink.next_page, sink.rows_written, sink.resumed_from_page) == (1, 0, None)
        sink.write_page(1, [{"A": "1"}])
        assert sink.finish(0.0).resumed_from_page is None


def test_checkpoint_without_resume_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    crash_after_pages(path, "jsonl", 2, 5)
    before = (tmp_path / "out.jsonl.part").read_bytes()
    with pytest.raises(InputValidationError) as info:
        ExportSink.open(path, "jsonl", source=SOURCE, page_size=5)
    message = str(info.value)
    assert "resume=True" in message
    assert str(tmp_path / "out.jsonl.part.json") in message
    assert "delete" in message
    assert (tmp_path / "out.jsonl.part").read_bytes() == before  # untouched


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"source": "segment:b2b_1"}, ["source", SOURCE, "segment:b2b_1"]),
        ({"page_size": 50}, ["page_size", "used 5, not 50", "pass page_size=5"]),
        ({"format": "parquet"}, ["format", "jsonl", "parquet"]),
        ({"source": "audience:other", "page_size": 7}, ["source", "page_size", "3 problems"]),
    ],
)
def test_resume_of_a_different_export_is_refused(
    tmp_path: Path, change: dict[str, Any], words: list[str]
) -> None:
    path = tmp_path / "out.jsonl"
    crash_after_pages(path, "jsonl", 2, 5)
    kwargs: dict[str, Any] = {"format": "jsonl", "source": SOURCE, "page_size": 5, **change}
    with pytest.raises(InputValidationError) as info:
        ExportSink.open(path, resume=True, **kwargs)
    assert "not the export the checkpoint belongs to" in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_resume_with_other_formula_setting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    crash_after_pages(path, "csv", 2, 5)
    with pytest.raises(InputValidationError, match="neutralize_formulas=True"):
        ExportSink.open(
            path, "csv", source=SOURCE, page_size=5, resume=True, neutralize_formulas=False
        )


def test_resume_keeps_dropped_columns_and_does_not_log_them_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "out.csv"
    with caplog.at_level(logging.WARNING, logger="audiencelab"):
        sink = ExportSink.open(path, "csv", source=SOURCE, page_size=1)
        sink.write_page(1, [{"A": "1"}])
        sink.write_page(2, [{"A": "2", "LATE": "x"}])
        sink.close()
        with ExportSink.open(path, "csv", source=SOURCE, page_size=1, resume=True) as sink:
            sink.write_page(3, [{"A": "3", "LATE": "y", "NEW": "z"}])
            summary = sink.finish(0.0)
    assert summary.dropped_columns == ("LATE", "NEW")
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 2
    assert "LATE" in messages[0]
    assert "NEW" in messages[1]
    assert "LATE" not in messages[1]
    assert path.read_text() == "A\n1\n2\n3\n"


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("checkpoint-garbage", ["unreadable", "delete"]),
        ("checkpoint-other-json", ["unreadable", "not an audiencelab export checkpoint"]),
        ("part-missing", ["is missing", "delete"]),
        ("part-truncated", ["shorter", "restarted"]),
        ("part-changed", ["does not match its checkpoint"]),
    ],
)
def test_unusable_checkpoint_is_refused(tmp_path: Path, damage: str, words: list[str]) -> None:
    path = tmp_path / "out.csv"
    crash_after_pages(path, "csv", 3, 5)
    part = tmp_path / "out.csv.part"
    checkpoint = tmp_path / "out.csv.part.json"
    offset = json.loads(checkpoint.read_text())["offset"]
    if damage == "checkpoint-garbage":
        checkpoint.write_text('{"next_page": 4, "offs')
    elif damage == "checkpoint-other-json":
        checkpoint.write_text("[1, 2]")
    elif damage == "part-missing":
        part.unlink()
    elif damage == "part-truncated":
        os.truncate(part, offset - 10)
    else:
        data = bytearray(part.read_bytes())
        data[offset - 5] ^= 0x20
        part.write_bytes(bytes(data))
    with pytest.raises(InputValidationError) as info:
        ExportSink.open(path, "csv", source=SOURCE, page_size=5, resume=True)
    for word in words:
        assert word in str(info.value)
    assert checkpoint.exists()  # nothing deleted behind the user's back


def test_existing_target_is_refused_when_resuming_too(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    crash_after_pages(path, "csv", 1, 5)
    path.write_text("precious")
    with pytest.raises(InputValidationError, match="already exists"):
        ExportSink.open(path, "csv", source=SOURCE, page_size=5, resume=True)
    with ExportSink.open(
        path, "csv", source=SOURCE, page_size=5, resume=True, overwrite=True
    ) as sink:
        assert sink.next_page == 2
        sink.finish(0.0)
    assert read_csv(path)[1:] == [[neutralized(v) for v in r.values()] for r in make_rows(1, 5)]

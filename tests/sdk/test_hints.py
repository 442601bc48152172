"""Hints are data: every problem has a path, a loc and a suggestion; errors carry a remedy; the
message text is rendered from those fields, so other front ends (the CLI, the MCP server) can say
the same thing in their own words."""

from __future__ import annotations

from pathlib import Path

import pytest

from audiencelab import (
    AudienceNotReadyError,
    CallMethod,
    FilterValidationError,
    InputValidationError,
    InternalServerError,
    PassArgument,
    operations,
)
from tests.sdk.mock import Recorder, reply


def problems_of(filters: dict[str, object]) -> list[tuple[str, object]]:
    with pytest.raises(FilterValidationError) as info:
        operations.create_audience("n", filters)
    return [(p.path, p.suggestion) for p in info.value.problems]


def test_a_misspelled_key_has_its_path_and_the_right_key_as_suggestion() -> None:
    with pytest.raises(FilterValidationError) as info:
        operations.create_audience("n", {"zipCode": ["10001"]})
    [problem] = info.value.problems
    assert problem.path == "filters.zipCode"
    assert problem.loc == ("filters", "zipCode")
    assert problem.suggestion == "zip"
    assert problem.message == "unknown filter"
    assert str(problem) == "filters.zipCode: unknown filter; did you mean 'zip'?"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"industry": ["Retail"]}, [("filters.industry", "businessProfile.industry")]),
        ({"state": ["Nw York"]}, [("filters.state[0]", "NY")]),
        ({"zip": [2134]}, [("filters.zip[0]", "02134")]),
        (
            {"businessProfile": {"jobTitles": ["x"]}},
            [("filters.businessProfile.jobTitles", "jobTitle")],
        ),
        ({"flavour": ["mint"]}, [("filters.flavour", None)]),  # close to nothing: no suggestion
    ],
)
def test_suggestions_are_the_corrected_key_or_value(
    filters: dict[str, object], expected: list[tuple[str, object]]
) -> None:
    assert problems_of(filters) == expected


def test_an_argument_given_as_a_filter_has_a_remedy_not_a_suggestion() -> None:
    with pytest.raises(FilterValidationError) as info:
        operations.create_audience("n", {"days_back": 7})
    [problem] = info.value.problems
    assert problem.suggestion is None
    assert problem.remedy == PassArgument("days_back", purpose="instead")
    assert str(problem).endswith("; pass days_back=... instead")


def test_a_key_with_any_character_keeps_its_loc() -> None:
    with pytest.raises(InputValidationError) as info:
        operations.job_body("n", [{"e.mail": "a@b.c"}])
    [problem] = info.value.problems
    assert problem.loc == ("records", 0, "e.mail")  # not split at the dot
    assert problem.path == "records[0].e.mail"


def test_segment_problems_carry_suggestion_or_remedy() -> None:
    with pytest.raises(FilterValidationError) as info:
        operations.create_audience("n", {"city": "Austin"}, segment=["B2C_12", "al_99"])
    lower, legacy = info.value.problems
    assert (lower.loc, lower.suggestion) == (("segment", 0), "b2c_12")
    assert legacy.remedy == CallMethod(
        "audiences.attributes", ("segments",), "to find the current b2c_/b2b_ ID"
    )


def test_the_message_is_rendered_from_the_fields_in_any_words() -> None:
    exc = AudienceNotReadyError("a-1")
    assert exc.remedy == CallMethod("audiences.wait_until_ready", ("a-1",), "to wait for it")
    assert str(exc).endswith("Call client.audiences.wait_until_ready('a-1') to wait for it.")
    said = exc.describe(lambda r: "run THE COMMAND")
    assert said.endswith("Run THE COMMAND.")
    assert "client." not in said


def test_an_unknown_outcome_says_how_to_check_as_a_remedy() -> None:
    recorder = Recorder([reply(502, b"")])
    with recorder.sync_client() as client, pytest.raises(InternalServerError) as info:
        client.audiences.create(name="Austin", filters={"city": "Austin"})
    error = info.value
    assert error.outcome_unknown
    assert isinstance(error.remedy, CallMethod)
    assert error.remedy.method == "audiences.list"
    assert "'Austin'" in error.remedy.purpose
    assert "client.audiences.list()" in str(error)
    assert "client." not in error.summary


def test_an_existing_file_has_a_remedy(tmp_path: Path) -> None:
    target = tmp_path / "people.csv"
    target.write_text("x", encoding="utf-8")
    recorder = Recorder([reply(200, {"data": [], "total_records": 0})])
    with recorder.sync_client() as client, pytest.raises(InputValidationError) as info:
        client.audiences.export("a-1", target, wait_timeout=0)
    [problem] = info.value.problems
    assert problem.remedy == PassArgument("overwrite", True, "to replace it")
    assert recorder.requests == []


def test_an_export_that_fails_after_its_first_pages_says_how_to_resume(tmp_path: Path) -> None:
    page = {"data": [{"A": "1"}], "total_records": 3, "total_pages": 3, "page_size": 1}
    recorder = Recorder(
        [reply(200, {**page, "page": 1}), reply(200, {**page, "page": 2}), reply(502, b"")]
    )
    target = tmp_path / "people.csv"
    with recorder.sync_client() as client, pytest.raises(InternalServerError) as info:
        client.audiences.export(
            "a-1", target, wait_timeout=0, page_size=1, concurrency=1, max_retries=0
        )
    assert info.value.remedy == PassArgument("resume", True, "to continue from page 3")
    assert str(info.value).endswith("Pass resume=True to continue from page 3.")
    with Recorder([reply(200, {**page, "page": 3})]).sync_client() as client:
        summary = client.audiences.export(
            "a-1", target, wait_timeout=0, page_size=1, concurrency=1, resume=True
        )
    assert (summary.rows, summary.resumed_from_page) == (3, 3)

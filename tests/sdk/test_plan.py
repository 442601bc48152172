"""The plan (issue 16): a request in, every problem, the exact body, the warnings and the lists it
needed out. Pure: no client, no server; the API's lists are given as data."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from audiencelab import FilterValidationError, FilterValueWarning, PassArgument, operations
from audiencelab._plan import needed_lists
from audiencelab._value_checks import check_values
from audiencelab._vocabularies import BUNDLED, Vocabulary
from tests.sdk.mock import Recorder, reply

INDUSTRIES = Vocabulary.of(
    ["Software Development", "Retail"], "GET /audiences/attributes/industries"
)
SENIORITY = Vocabulary.of(["Director", "VP"], "GET /audiences/attributes/seniority")
LISTS = operations.ValueLists({"industries": INDUSTRIES, "seniority": SENIORITY})


def plan(filters: Any, **kwargs: Any) -> operations.Plan:
    kwargs.setdefault("lists", LISTS)
    return operations.plan_create_audience("n", filters, **kwargs)


def test_a_plan_holds_the_body_the_warnings_and_the_lists_it_needed() -> None:
    p = plan({"businessProfile": {"industry": ["software development"], "seniority": ["vp"]}})
    assert p.ok
    assert p.body == {
        "name": "n",
        "filters": {"businessProfile": {"industry": ["Software Development"], "seniority": ["VP"]}},
    }
    assert (p.needed, p.checked, p.warnings) == (
        ("industries", "seniority"),
        ("industries", "seniority"),
        (),
    )


def test_structure_and_values_are_told_together() -> None:
    p = plan(
        {"businessProfile": {"industry": ["Retial"]}, "age": {"minAge": 50, "maxAge": 20}},
        min_count=-3,
        days_back=0,
    )
    assert p.body is None
    found = {problem.path: problem for problem in p.problems}
    assert set(found) == {
        "min_count",
        "filters.age",
        "filters.businessProfile.industry[0]",
        "days_back",
    }
    assert found["filters.businessProfile.industry[0]"].suggestion == "Retail"
    with pytest.raises(FilterValidationError) as info:
        p.raise_for_problems()
    assert len(info.value.problems) == 4


def test_values_are_read_in_either_spelling_when_the_structure_is_broken() -> None:
    p = plan(
        {
            "business_profile": {"industry": "Retial", "seniority": ["Directr", 5]},
            "zipCode": ["1"],
            "state": ["Texas"],
            "city": ["Chicago"],
        }
    )
    paths = {problem.path for problem in p.problems}
    assert paths == {
        "filters.business_profile.seniority[1]",  # structural: not a string
        "filters.businessProfile.industry[0]",  # values: checked all the same
        "filters.businessProfile.seniority[0]",
        "filters.city[0]",  # Chicago is not in Texas: the state name was read as TX
        "filters.zipCode",
    }


def test_a_structural_problem_is_not_told_twice_as_a_value_problem() -> None:
    p = plan({"zipCode": ["1"], "segment": None}, segment=["1253"])
    assert sorted(problem.path for problem in p.problems) == [
        "filters.segment",
        "filters.zipCode",
        "segment[0]",
    ]


def test_the_lists_needed_are_read_from_the_raw_input() -> None:
    assert needed_lists({"businessProfile": {"industry": "Retail"}}) == ("industries",)
    assert needed_lists({"business_profile": {"department": ["Sales"], "sic": []}}) == (
        "departments",
    )
    assert needed_lists({}, ["b2c_1253"]) == ("segments",)
    assert needed_lists({}, ["1253", "al_9"]) == ()  # malformed IDs are not looked up
    assert needed_lists({"businessProfile": {"industry": ["Retail"]}}, None, "off") == ()
    assert needed_lists({"businessProfile": {"industry": ["Retail"]}}, None, "bogus") == ()
    assert needed_lists("not filters", 5) == ()


def test_without_a_client_the_plan_says_which_values_it_could_not_check() -> None:
    p = operations.plan_create_audience(
        "n", {"businessProfile": {"industry": ["Sofware Development"]}}, segment=["b2c_1"]
    )
    assert p.ok  # the typo cannot be seen without the API's list...
    assert p.warnings == (
        "filters.businessProfile.industry: not checked against the API's list of industries (no "
        "client to fetch it: checked against the bundled lists only)",
        "segment: not checked against the API's list of segments (no client to fetch it: "
        "checked against the bundled lists only)",
    )  # ...and the plan says so
    with pytest.warns(FilterValueWarning, match="not checked against the API's list of industries"):
        operations.create_audience("n", {"businessProfile": {"industry": ["Retail"]}})


def test_a_list_that_could_not_be_had_is_a_warning_or_in_strict_mode_a_refusal() -> None:
    lists = operations.ValueLists({}, {"industries": "timed out"})
    filters = {"businessProfile": {"industry": ["Retail"]}}
    p = plan(filters, lists=lists)
    assert p.ok
    assert p.warnings == (
        "filters.businessProfile.industry: not checked: the API's list of industries could not "
        "be had (timed out); the values are sent as they are",
    )
    strict = plan(filters, lists=lists, value_checks="strict")
    [problem] = strict.problems
    assert problem.path == "filters.businessProfile.industry"
    assert (
        "could not be had (timed out); value_checks='strict' sends nothing it cannot"
        in problem.message
    )
    off = plan(filters, lists=lists, value_checks="off")
    assert (off.ok, off.warnings, off.needed) == (True, (), ())


def test_a_bad_policy_is_a_problem_and_checks_no_value() -> None:
    p = plan({"businessProfile": {"industry": ["Retial"]}}, value_checks="bogus")
    assert [problem.path for problem in p.problems] == ["value_checks"]


def test_unfiltered_needs_allow_unfiltered() -> None:
    assert [problem.path for problem in plan({}).problems] == ["filters"]
    assert plan({}, allow_unfiltered=True).ok
    with_segment = plan({}, segment="b2c_1")  # a segment alone filters: no allow_unfiltered
    assert with_segment.ok
    assert with_segment.warnings[0].startswith("segment: not checked: the API's list of segments")


def test_a_preview_is_planned_the_same_way() -> None:
    p = operations.plan_preview_audience(
        {"businessProfile": {"industry": ["Retial"]}}, days_back=11, limit=501, lists=LISTS
    )
    assert sorted(problem.path for problem in p.problems) == [
        "days_back",
        "filters.businessProfile.industry[0]",
        "limit",
    ]
    assert operations.plan_preview_audience({}, lists=LISTS).ok  # an unfiltered preview counts


def test_operations_fetch_the_lists_through_a_client_and_refuse_as_it_would() -> None:
    recorder = Recorder(
        [reply(200, {"attributes": {"industries": {"data": ["Software Development"]}}})]
    )
    with recorder.sync_client() as client:
        with pytest.raises(FilterValidationError) as info:
            operations.create_audience(
                "n", {"businessProfile": {"industry": ["Sofware Development"]}}, client=client
            )
        assert info.value.problems[0].suggestion == "Software Development"
        op = operations.create_audience(
            "n", {"businessProfile": {"industry": ["software development"]}}, client=client
        )
    assert (
        op.content
        == b'{"name":"n","filters":{"businessProfile":{"industry":["Software Development"]}}}'
    )
    assert [r.url.path for r in recorder.requests] == ["/audiences/attributes/industries"]


def test_create_many_names_every_bad_spec_and_warns_only_when_all_are_good() -> None:
    specs = [
        {"name": "a", "filters": {"age": {"minAge": 9, "maxAge": 1}}},
        {"name": "b", "filters": {"businessProfile": {"industry": ["Retial"]}}},
        {"name": "c", "filters": {"businessProfile": {"seniority": ["Directr"]}}},
        {"name": "d", "filters": {"profile": {"netWorth": ["lots"]}}},  # only a warning
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FilterValueWarning)  # no warning issued on a refusal
        with pytest.raises(FilterValidationError) as info:
            operations.create_many(specs, lists=LISTS)
    assert sorted({p.loc[1] for p in info.value.problems}) == [0, 1, 2]
    good = [specs[3], {**specs[3], "name": "e"}]
    with pytest.warns(FilterValueWarning) as caught:
        ops = operations.create_many(good, lists=LISTS)
    assert len(ops) == 2
    assert len(caught) == 1  # the same warning of two specs, said once


def test_an_open_list_warns_where_a_closed_one_refuses() -> None:
    credit = BUNDLED["attributes.credit_rating"]
    assert not credit.closed
    body = {"filters": {"attributes": {"credit_rating": ["800 +", "700 - 749", "80+"]}}}
    report = check_values(body, {"attributes.credit_rating": credit}, "default")
    assert report.problems == []
    assert report.body["filters"]["attributes"]["credit_rating"] == ["800+", "700 - 749", "80+"]
    assert [w.split(":")[0] for w in report.warnings] == [
        "filters.attributes.credit_rating[1]",
        "filters.attributes.credit_rating[2]",
    ]
    assert "did you mean '800+'?" in report.warnings[1]
    strict = check_values(body, {"attributes.credit_rating": credit}, "strict")
    assert [p.path for p in strict.problems] == [
        "filters.attributes.credit_rating[1]",
        "filters.attributes.credit_rating[2]",
    ]
    unlisted = check_values(
        {"filters": {"attributes": {"language_code": ["english"]}}},
        {"attributes.language_code": BUNDLED["attributes.language_code"]},
        "default",
    )
    assert unlisted.warnings == [
        "filters.attributes.language_code[0]: 'english' is not checked: no list of this "
        "filter's labels is published; it is sent as it is, but a label the API does not know "
        "matches nobody: use the dashboard's exact spelling"
    ]


def test_a_preview_plan_holds_the_exact_body() -> None:
    segments = operations.ValueLists({"segments": Vocabulary.of(["b2c_1253"], "segments")})
    p = operations.plan_preview_audience(
        {"city": ["Boston"]}, ["b2c_1253"], 3, 0, True, False, lists=segments
    )
    assert p.body == {
        "filters": {"city": ["Boston"]},
        "segment": ["b2c_1253"],
        "days_back": 3,
        "limit": 0,
        "score": True,
        "include_dnc": False,
    }
    assert (p.needed, p.checked) == (("segments",), ("segments",))
    typo = operations.plan_preview_audience({}, ["b2c_1235"], lists=segments)
    assert [(x.path, x.suggestion) for x in typo.problems] == [("segment[0]", "b2c_1253")]
    bad = operations.plan_preview_audience(
        {},
        value_checks="bogus",
        score="yes",
        include_dnc=1,  # type: ignore[arg-type]
    )
    assert sorted(x.path for x in bad.problems) == ["include_dnc", "score", "value_checks"]


def test_a_list_refused_in_strict_mode_is_placed_at_its_filter() -> None:
    lists = operations.ValueLists({}, {"industries": "timed out", "segments": "HTTP 403"})
    p = plan(
        {"businessProfile": {"industry": ["Retail"]}},
        segment=["b2c_1"],
        lists=lists,
        value_checks="strict",
    )
    assert [x.loc for x in p.problems] == [("filters", "businessProfile", "industry"), ("segment",)]
    assert "(HTTP 403)" in p.problems[1].message


def test_the_arguments_of_a_create_are_checked_with_the_rest() -> None:
    p = plan({"city": ["Boston"]}, allow_unfiltered="yes", min_count=0)
    assert [(x.path, x.message) for x in p.problems] == [
        ("allow_unfiltered", "expected True or False, got str 'yes'")
    ]
    assert plan({"city": ["Boston"]}, min_count=0).ok
    [unfiltered] = plan({}).problems
    assert unfiltered.message == (
        "no filter and no segment: this would build an unfiltered audience of everyone"
    )
    assert unfiltered.remedy == PassArgument("allow_unfiltered", True, "if that is what you want")
    assert str(unfiltered) == (
        "filters: no filter and no segment: this would build an unfiltered audience of "
        "everyone; pass allow_unfiltered=True if that is what you want"
    )


def test_the_lists_a_typed_model_needs() -> None:
    from audiencelab import AudienceFilters, BusinessProfile

    model = AudienceFilters(business_profile=BusinessProfile(industry=["Retail"]))
    assert needed_lists(model) == ("industries",)
    assert plan({"businessProfile": {"industry": ["Retial"]}}, value_checks="off").body == {
        "name": "n",
        "filters": {"businessProfile": {"industry": ["Retial"]}},
    }


def test_broken_structure_still_checks_segments_states_and_zip_codes_strictly() -> None:
    segments = operations.ValueLists(
        {**LISTS.found, "segments": Vocabulary.of(["b2c_1253"], "segments")}
    )
    p = plan(
        {"zipCode": ["1"], "state": ["Illinois"], "zip": [" 02108 "], "city": ["Xyzzyville"]},
        segment=["b2c_1235"],
        lists=segments,
        value_checks="strict",
    )
    found = {x.path: x for x in p.problems}
    assert set(found) == {"filters.zipCode", "filters.zip[0]", "filters.city[0]", "segment[0]"}
    assert "02108 is in MA, not in any state given (IL)" in found["filters.zip[0]"].message
    assert found["segment[0]"].suggestion == "b2c_1253"
    assert "(value_checks='strict')" in found["filters.city[0]"].message


def test_an_unknown_value_of_a_complete_list_is_warned_about_or_refused_when_strict() -> None:
    body = {"filters": {"profile": {"incomeRange": ["$75K-$100K"]}}}
    income = {"profile.incomeRange": BUNDLED["profile.incomeRange"]}
    default = check_values(body, income, "default")
    assert default.problems == []
    assert default.warnings == [
        "filters.profile.incomeRange[0]: '$75K-$100K' is not among the 9 values of the "
        "dashboard's labels; it is sent as it is (the list may be newer than this check), but it "
        "may match nobody"
    ]
    [problem] = check_values(body, income, "strict").problems
    assert problem.message == (
        "unknown value '$75K-$100K': not among the 9 values of the dashboard's labels "
        "(value_checks='strict')"
    )
    assert check_values(body, income, "off").warnings == []

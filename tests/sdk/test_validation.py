"""Bad input is refused before anything is sent, with the field, the problem and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from audiencelab import (
    AgeRange,
    AudienceFilters,
    AudienceLabError,
    BusinessProfile,
    FilterValidationError,
    InputValidationError,
    operations,
)
from tests.sdk.mock import Recorder, reply


def refused(**kwargs: Any) -> FilterValidationError:
    """Create with these arguments; assert it is refused and nothing is sent (the value checks
    may read a list of allowed values: a well-formed segment ID is looked up next to a bad one)."""
    recorder = Recorder([reply(200, {"audienceId": "x"})])
    kwargs.setdefault("name", "n")
    kwargs.setdefault("filters", {"city": ["Austin"]})
    with recorder.sync_client() as client, pytest.raises(FilterValidationError) as info:
        client.audiences.create(**kwargs)
    sent = [r for r in recorder.requests if not r.url.path.startswith("/audiences/attributes/")]
    assert sent == []
    return info.value


def messages(**kwargs: Any) -> list[str]:
    return [str(p) for p in refused(**kwargs).problems]


def test_error_is_a_value_error_and_an_audiencelab_error() -> None:
    error = refused(filters={"zipCode": ["10001"]})
    assert isinstance(error, ValueError)
    assert isinstance(error, AudienceLabError)
    assert isinstance(error, InputValidationError)
    assert str(error) == "filters.zipCode: unknown filter; did you mean 'zip'?"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"zipCode": ["10001"]}, "filters.zipCode: unknown filter; did you mean 'zip'?"),
        ({"zip_code": ["10001"]}, "filters.zip_code: unknown filter; did you mean 'zip'?"),
        ({"states": ["CA"]}, "filters.states: unknown filter; did you mean 'state'?"),
        ({"Zip": ["10001"]}, "filters.Zip: unknown filter; did you mean 'zip'?"),
        (
            {"industries": ["Software"]},
            "filters.industries: unknown filter; did you mean 'businessProfile.industry'?",
        ),
        (
            {"industry": ["Software"]},
            "filters.industry: unknown filter; did you mean 'businessProfile.industry'?",
        ),
        (
            {"businessProfile": {"industries": ["Software"]}},
            "filters.businessProfile.industries: unknown filter; did you mean 'industry'?",
        ),
        (
            {"businessProfile": {"job_titles": ["CTO"]}},
            "filters.businessProfile.job_titles: unknown filter; did you mean 'jobTitle'?",
        ),
        (
            {"businessProfile": {"city": ["Austin"]}},
            "filters.businessProfile.city: unknown filter; did you mean 'filters.city'?",
        ),
        ({"age": {"min": 20}}, "filters.age.min: unknown filter; did you mean 'minAge'?"),
        (
            {"attributes": {"creditRating": ["A"]}},
            "filters.attributes.creditRating: unknown filter; did you mean 'credit_rating'?",
        ),
        (
            {"attributes": {"home_year_built": {"minimum": 1990}}},
            "filters.attributes.home_year_built.minimum: unknown filter; did you mean 'min'?",
        ),
        (
            {"business": {"industry": ["x"]}},
            "filters.business: unknown filter; did you mean 'businessProfile'?",
        ),
        (
            {"flavour": ["mint"]},
            "filters.flavour: unknown filter (the API would silently ignore it)",
        ),
        (
            {"days_back": 7},
            "filters.days_back: not a filter: days_back is an argument of its own; "
            "pass days_back=... instead",
        ),
    ],
)
def test_unknown_keys_get_a_suggestion(filters: dict[str, Any], expected: str) -> None:
    assert messages(filters=filters) == [expected]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            {"age": {"minAge": -1}},
            "filters.age.minAge: input should be greater than or equal to 0, got -1",
        ),
        (
            {"age": {"maxAge": 121}},
            "filters.age.maxAge: input should be less than or equal to 120, got 121",
        ),
        ({"age": {"minAge": "25"}}, "filters.age.minAge: expected a whole number, got str '25'"),
        ({"age": {"minAge": 25.5}}, "filters.age.minAge: expected a whole number, got float 25.5"),
        ({"age": {"minAge": True}}, "filters.age.minAge: expected a whole number, got bool True"),
        (
            {"age": {"minAge": 50, "maxAge": 30}},
            "filters.age: minAge (50) is greater than maxAge (30); swap them",
        ),
        ({"age": 30}, "filters.age: expected an object, got int 30"),
        ({"city": [""]}, "filters.city[0]: must not be empty"),
        ({"city": [5]}, "filters.city[0]: expected a string, got int 5"),
        (
            {"city": {"name": "x"}},
            "filters.city: expected a list (or a single string), got dict {'name': 'x'}",
        ),
        (
            {"zip": [2134]},
            "filters.zip[0]: ZIP codes are strings (leading zeros matter), not the number 2134; "
            "did you mean '02134'?",
        ),
        ({"zip": ["1234"]}, "filters.zip[0]: '1234' is not a 5-digit ZIP code such as '10001'"),
        (
            {"state": ["Calfornia"]},
            "filters.state[0]: 'Calfornia' is not a US state; use a two-letter code such as 'CA'; "
            "did you mean 'CA'?",
        ),
        ({"gender": ["X"]}, "filters.gender[0]: 'X' is not a gender filter; use 'M', 'F' or 'U'"),
        (
            {"notNulls": ["valid_phones"]},
            "filters.notNulls[0]: 'valid_phones' is not a record column; columns are UPPER_SNAKE; "
            "did you mean 'VALID_PHONES'?",
        ),
        # EMAIL is UPPER_SNAKE but not a column: suggesting it would build an unfiltered audience
        (
            {"notNulls": ["email"]},
            "filters.notNulls[0]: 'email' is not a record column; columns are UPPER_SNAKE",
        ),
        (
            {"notNulls": ["business email"]},
            "filters.notNulls[0]: 'business email' is not a record column; columns are "
            "UPPER_SNAKE; did you mean 'BUSINESS_EMAIL'?",
        ),
        (
            {"attributes": {"mortgage_amount": {"min": 500, "max": 100}}},
            "filters.attributes.mortgage_amount: min (500) is greater than max (100)",
        ),
    ],
)
def test_bad_values(filters: dict[str, Any], expected: str) -> None:
    assert messages(filters=filters) == [expected]


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (
            ["1253"],
            "segment[0]: '1253' is a bare number; use the b2c_ or b2b_ prefix, "
            "e.g. 'b2c_1253' (consumer) or 'b2b_1253' (business)",
        ),
        (
            [100073],
            "segment[0]: 100073 is a bare number; use the b2c_ or b2b_ prefix, "
            "e.g. 'b2c_100073' (consumer) or 'b2b_100073' (business)",
        ),
        ("B2C_1253", "segment[0]: segment IDs are lower case; did you mean 'b2c_1253'?"),
        (
            ["b2c_1", "al_123456"],
            "segment[1]: 'al_123456' is a legacy Delivr ID, which the API no longer accepts; "
            "call client.audiences.attributes('segments') to find the current b2c_/b2b_ ID",
        ),
        (
            ["c_4eyes_9"],
            "segment[0]: 'c_4eyes_9' is not a segment ID; use the b2c_ or b2b_ prefix, e.g. 'b2c_1253'",
        ),
        (5, "segment: expected a list of segment IDs, got int 5"),
    ],
)
def test_segment_ids_need_the_current_prefix(segment: Any, expected: str) -> None:
    assert messages(segment=segment) == [expected]


@pytest.mark.parametrize(
    ("days_back", "expected"),
    [
        (0, "days_back: must be at least 1, got 0"),
        (-3, "days_back: must be at least 1, got -3"),
        (True, "days_back: expected a whole number, got bool True"),
        (7.0, "days_back: expected a whole number, got float 7.0"),
        ("7", "days_back: expected a whole number, got str '7'"),
    ],
)
def test_days_back(days_back: Any, expected: str) -> None:
    assert messages(days_back=days_back) == [expected]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", "name: must not be empty"),
        ("   ", "name: must not be empty"),
        (None, "name: required: give a non-empty string"),
    ],
)
def test_name(name: Any, expected: str) -> None:
    assert messages(name=name) == [expected]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (None, "filters: required (an object, e.g. {})"),
        (["city"], "filters: expected an object, got list"),
    ],
)
def test_filters_must_be_an_object(filters: Any, expected: str) -> None:
    assert messages(filters=filters) == [expected]


def test_several_problems_are_reported_together() -> None:
    error = refused(
        name="",
        filters={
            "zipCode": ["10001"],
            "age": {"minAge": 200},
            "businessProfile": {"industries": ["x"]},
        },
        segment=["1253"],
        days_back=0,
    )
    paths = [p.path for p in error.problems]
    assert paths == [
        "name",
        "filters.age.minAge",
        "filters.businessProfile.industries",
        "filters.zipCode",
        "segment[0]",
        "days_back",
    ]
    text = str(error)
    assert text.startswith("6 problems with the request (nothing was sent):")
    assert "did you mean 'zip'?" in text


def test_typed_models_validate_at_construction() -> None:
    with pytest.raises(FilterValidationError) as info:
        AgeRange(min_age=50, max_age=20)
    assert str(info.value) == "filters.age: minAge (50) is greater than maxAge (20); swap them"
    with pytest.raises(FilterValidationError) as info:
        BusinessProfile(industries=["x"])  # type: ignore[call-arg]
    assert (
        str(info.value)
        == "filters.businessProfile.industries: unknown filter; did you mean 'industry'?"
    )
    with pytest.raises(FilterValidationError) as info:
        AudienceFilters(age={"minAge": 50, "maxAge": 20}, business_profile={"jobtitle": ["x"]})  # type: ignore[arg-type]
    assert [p.path for p in info.value.problems] == [
        "filters.age",
        "filters.business_profile.jobtitle",
    ]


def test_full_state_names_become_codes() -> None:
    filters = AudienceFilters.model_validate(
        {"state": ["new york", "California", "tx"], "personalState": "Ohio"}
    )
    assert filters.to_wire() == {"state": ["NY", "CA", "TX"], "personalState": ["OH"]}


def test_every_documented_key_is_accepted() -> None:
    """Each key of reference §3.1.1, with its exact JSON name, round-trips unchanged."""
    strings = ["v"]
    rng = {"min": 1, "max": 2}
    wire = {
        "age": {"minAge": 25, "maxAge": 45},
        "city": strings, "state": ["CA"], "personalState": ["CA"], "zip": ["10001"], "gender": ["M"],
        "businessProfile": dict.fromkeys(("industry", "seniority", "companyName", "jobTitle", "excludeJobTitle", "department", "companyDomain", "companyDescription", "sic", "companyNaics", "employeeCount", "companyRevenue"), strings),
        "profile": dict.fromkeys(("incomeRange", "netWorth", "homeowner", "married", "children"), strings),
        "attributes": {
            **dict.fromkeys(("education", "excludeEducation", "credit_rating", "credit_range_new_credit", "credit_card_user", "investment", "occupation_group", "occupation_type", "cra_code", "language_code", "ethnic_code", "smoker", "marital_status", "single_parent", "generations_in_household", "net_worth", "dwelling_type", "estimated_home_value"), strings),
            **dict.fromkeys(("mortgage_amount", "home_year_built", "home_purchase_price", "home_purchase_year"), rng),
        },
        "notNulls": ["VALID_PHONES"], "nullOnly": ["SKIPTRACE_B2B_PHONE"],
    }  # fmt: skip
    parsed = AudienceFilters.model_validate(wire).to_wire()
    assert parsed == wire


def test_messages_never_cite_the_reference_by_section_number() -> None:
    # A model or a user reading a refusal cannot open "reference §3.1.1".
    from audiencelab._vocabularies import BUNDLED

    assert all("§" not in vocabulary.source for vocabulary in BUNDLED.values())
    with pytest.raises(FilterValidationError) as caught:
        operations.create_audience(
            "x", {"profile": {"incomeRange": ["a lot"]}}, value_checks="strict"
        )
    assert "§" not in str(caught.value)
    assert "dashboard" in str(caught.value)

"""Geography checked by the SDK itself: ZIP prefixes and states, cities and states, ZIP codes and
cities, and the spelling of cities (the gazetteer of the ``zipcodes`` package)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from typing import Any

import pytest

from audiencelab import FilterValidationError, FilterValueWarning, operations
from audiencelab._geography import Gazetteer, Place, city_key, gazetteer, states_of_zip
from audiencelab._value_checks import ValueReport, check_geography


def _report(filters: dict[str, Any], policy: str = "default") -> ValueReport:
    report = ValueReport({"filters": filters})
    check_geography(filters, policy, report)  # type: ignore[arg-type]
    return report


def test_zip_prefixes_name_their_states() -> None:
    assert states_of_zip("02108") == {"MA"}
    assert states_of_zip("60601") == {"IL"}
    assert states_of_zip("00000") == frozenset()  # no state: nothing checked
    assert states_of_zip("1234") == frozenset()


def test_prefixes_shared_by_two_states_keep_both() -> None:
    assert states_of_zip("96799") == {"HI", "AS"}  # American Samoa, in Hawaii's 967
    assert states_of_zip("96950") == {"GU", "MP"}  # the Northern Mariana Islands, in 969
    for zip_code, state in (("96799", "AS"), ("96950", "MP"), ("96813", "HI")):
        assert _report({"state": [state], "zip": [zip_code]}).problems == [], zip_code


def test_zip_codes_that_straddle_a_state_line_keep_both_states() -> None:
    assert states_of_zip("42223") == {"KY", "TN"}  # Fort Campbell
    assert states_of_zip("73949") == {"OK", "TX"}  # Texhoma
    for state in ("KY", "TN"):
        assert _report({"state": [state], "zip": ["42223"]}).problems == []
    [problem] = _report({"state": ["OH"], "zip": ["42223"]}).problems
    assert "42223 is in KY/TN, not in any state given (OH)" in problem.message


def test_personal_state_counts_as_a_state_given() -> None:
    [problem] = _report({"personalState": ["IL"], "zip": ["02108"]}).problems
    assert problem.path == "filters.zip[0]"
    assert "not in any state given (IL)" in problem.message
    assert _report({"personalState": ["MA"], "zip": ["02108"]}).problems == []
    assert _report({"state": ["IL"], "personalState": ["MA"], "zip": ["02108"]}).problems == []


def test_no_geography_check_when_off() -> None:
    report = _report({"city": ["Austin"], "state": ["NY"], "zip": ["02108"]}, "off")
    assert (report.problems, report.warnings) == ([], [])


@pytest.mark.slow
def test_city_names_compare_as_usps_writes_them() -> None:
    assert city_key("St. Louis") == city_key("saint louis") == "saint louis"
    assert city_key("San José") == city_key("SAN JOSE")
    assert city_key("Winston-Salem") == "winston salem"
    assert city_key("  Ft.  Worth ") == "fort worth"
    places = gazetteer()
    assert places is not None
    assert places.states_of_city("St. Louis") == places.states_of_city("Saint Louis")
    assert "MO" in (places.states_of_city("st louis") or ())


@pytest.mark.parametrize(
    ("filters", "ok"),
    [
        ({"city": ["Austin"], "state": ["TX"]}, True),
        ({"city": ["austin"], "state": ["TX"]}, True),
        ({"city": ["Austin"], "state": ["NY"]}, False),
        ({"city": ["Austin", "Albany"], "state": ["NY"]}, False),  # Austin is in no state given
        ({"city": ["Austin"], "state": ["NY", "TX"]}, True),
        ({"city": ["Austin"], "personalState": ["NY"]}, False),
        ({"city": ["St. Louis"], "state": ["MO"]}, True),
        ({"city": ["Chicago"], "zip": ["60601"]}, True),
        ({"city": ["Chicago"], "zip": ["02108"]}, False),
        ({"city": ["Chicago", "Boston"], "zip": ["02108", "60601"]}, True),
    ],
)
def test_cities_against_states_and_zip_codes(filters: dict[str, Any], ok: bool) -> None:
    assert (_report(filters).problems == []) is ok


def test_the_problems_say_why() -> None:
    [city] = _report({"city": ["Austin", "Albany"], "state": ["NY"]}).problems
    assert city.path == "filters.city[0]"
    assert city.message == (
        "'Austin' is a city of TX, AR, CO, IN, KY, MN, MO, NV and 2 more, not of any state given "
        "(NY): together they would match nobody"
    )
    [zip_code] = _report({"city": ["Chicago"], "zip": ["60601", "02108"]}).problems
    assert zip_code.path == "filters.zip[1]"
    assert zip_code.message == (
        "ZIP code 02108 is in Boston, MA, and no city given is in MA (Chicago): together they "
        "would match nobody"
    )
    # A ZIP code refused for its state is not refused a second time for the cities.
    both = _report({"city": ["Chicago"], "state": ["IL"], "zip": ["02108"]}).problems
    assert [p.message for p in both] == [
        "ZIP code 02108 is in MA, not in any state given (IL): together they would match nobody"
    ]


def test_a_misspelled_large_city_is_refused_with_its_spelling() -> None:
    [problem] = _report({"city": ["San Fransisco"]}).problems
    assert (problem.path, problem.message, problem.suggestion) == (
        "filters.city[0]",
        "unknown city 'San Fransisco'",
        "San Francisco",
    )
    [within] = _report({"city": ["Chicaco"], "state": ["IL"]}).problems
    assert (within.message, within.suggestion) == ("unknown city 'Chicaco' in IL", "Chicago")


def test_a_lookalike_of_a_small_place_is_only_warned_about() -> None:
    """'Queens' is one edit from Queen, PA (one ZIP code): it may be meant, so it is not refused."""
    report = _report({"city": ["Queens"]})
    assert report.problems == []
    [warning] = report.warnings
    assert warning.startswith("filters.city[0]: 'Queens' is not a US city that USPS knows")
    assert "did you mean 'Queen'?" in warning


def test_an_unknown_city_is_warned_about_and_refused_when_strict() -> None:
    report = _report({"city": ["Xyzzyville"], "zip": ["02108"]})
    assert report.problems == []
    assert report.warnings == [
        "filters.city[0]: 'Xyzzyville' is not a US city that USPS knows; it is sent as it is, "
        "but it may match nobody"
    ]
    [strict] = _report({"city": ["Xyzzyville"]}, "strict").problems
    assert strict.message.startswith("unknown city 'Xyzzyville': not a US city of the USPS")
    assert "(value_checks='strict')" in strict.message
    [close] = _report({"city": ["Queens"]}, "strict").problems
    assert close.suggestion == "Queen"


def test_a_zip_code_of_another_city_of_the_same_state_is_warned_about() -> None:
    report = _report({"city": ["Cambridge"], "zip": ["02108"]})
    assert report.problems == []
    assert report.warnings == [
        "filters.zip[0]: ZIP code 02108 is in Boston, MA, not in any city given (Cambridge); it "
        "may match nobody"
    ]
    # A name USPS accepts for the ZIP code is as good as its main one.
    assert _report({"city": ["Brooklyn Heights"], "zip": ["11201"]}).warnings == []


def test_the_gazetteer_reads_rows_defensively() -> None:
    rows: list[dict[str, object]] = [
        {"zip_code": "02108", "state": "MA", "city": "Boston", "acceptable_cities": []},
        {"zip_code": "09001", "state": "AE", "city": "APO", "acceptable_cities": []},  # military
        {"zip_code": "11201", "state": "NY", "city": "Brooklyn", "acceptable_cities": ["Bklyn", 3]},
        {"zip_code": 12345, "state": "NY", "city": "Nowhere"},
        {"zip_code": "60601", "state": "IL", "city": "Chicago", "acceptable_cities": None},
    ]
    places = Gazetteer.of(rows, "test rows")
    assert set(places.places) == {"02108", "11201", "60601"}
    assert places.states_of_city("bklyn") == {"NY"}
    assert places.states_of_city("APO") is None
    assert places.places["11201"].cities == {"brooklyn", "bklyn"}


@pytest.mark.slow
def test_the_gazetteer_loads_only_when_a_city_is_checked() -> None:
    code = (
        "import sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from audiencelab import operations\n"
        "operations.create_audience('x', {'state': ['MA'], 'zip': ['02108']})\n"
        "before = 'zipcodes' in sys.modules\n"
        "operations.create_audience('x', {'city': ['Boston']})\n"
        "print(before, 'zipcodes' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_operations_check_geography_as_the_clients_do() -> None:
    with pytest.raises(FilterValidationError) as info:
        operations.create_audience("x", {"city": ["Austin"], "state": ["New York"]})
    assert info.value.problems[0].path == "filters.city[0]"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FilterValueWarning)
        op = operations.create_audience("x", {"city": ["Boston"], "zip": ["02108"]})
    assert json.loads(op.content or b"")["filters"] == {"city": ["Boston"], "zip": ["02108"]}


def test_the_gazetteer_counts_zip_codes_and_keeps_each_place() -> None:
    rows = [
        {"zip_code": f"6060{i}", "state": "IL", "city": "Chicago", "acceptable_cities": []}
        for i in range(5)
    ] + [{"zip_code": "19601", "state": "PA", "city": "Queen", "acceptable_cities": []}]
    places = Gazetteer.of(rows, "test rows")
    assert places.zip_count == {"chicago": 5, "queen": 1}
    assert places.is_large("chicago")
    assert not places.is_large("queen")
    assert places.places["19601"] == Place("PA", "Queen", frozenset({"queen"}))
    assert places.closest_city("Chicaco") == "chicago"
    assert places.closest_city("Chicaco", frozenset({"PA"})) is None  # only PA's cities

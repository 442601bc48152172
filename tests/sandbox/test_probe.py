"""The probe: schemathesis (its fuzzing and stateful phases) and random weird bodies against a
real sandbox server. Zero 5xx, zero dropped connections, zero answers that break the sandbox's
own OpenAPI description. (A longer run: ``python bench/sandbox_fuzz.py``.)"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import run_state_machine_as_test

from audiencelab.sandbox import Sandbox, SandboxConfig

from .conftest import KEY
from .probe import CHECKS, audience_bodies, job_bodies

SETTINGS = settings(
    derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


# A real server for the whole module, started at collection (schemathesis needs the document to
# generate the tests) and stopped when the module's tests are done, or at exit.
SERVER = Sandbox(
    SandboxConfig(port=0, api_keys=(KEY,), build_seconds=0, max_audience_size=2000)
).start()
atexit.register(SERVER.stop)
schema = schemathesis.openapi.from_url(f"{SERVER.base_url}/openapi.json")


@pytest.fixture(scope="module", autouse=True)
def _stop_the_server_afterwards() -> Iterator[None]:
    yield
    SERVER.stop()


@pytest.fixture
def probe_schema() -> Any:
    return schema


@pytest.fixture
def probe_server() -> Sandbox:
    return SERVER


@pytest.mark.slow
@schema.parametrize()
@settings(SETTINGS, max_examples=25)
def test_fuzzing_every_operation_of_a_real_server(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"X-Api-Key": KEY}, checks=CHECKS)


def _run_stateful(api: Any, examples: int, steps: int) -> int:
    calls: list[int] = []

    class Workflow(api.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": {"X-Api-Key": KEY}}

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            calls.append(response.status_code)

        def validate_response(
            self,
            response: Any,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    run_state_machine_as_test(
        Workflow, settings=settings(SETTINGS, max_examples=examples, stateful_step_count=steps)
    )
    return len(calls)


@pytest.mark.slow
def test_stateful_workflows_on_a_real_server(probe_schema: Any) -> None:
    """Create -> read -> delete chains (OpenAPI links and inferred ones) keep to the schema."""
    assert _run_stateful(probe_schema, examples=40, steps=10) > 100


@pytest.mark.slow
def test_stateful_workflows_with_other_error_and_list_styles() -> None:
    config = SandboxConfig(
        port=0, api_keys=(KEY,), build_seconds=0, max_audience_size=500, error_style="string",
        list_total_key="total", fail_after_commit_rate=0.2, seed=4,
    )  # fmt: skip
    with Sandbox(config) as sb:
        api = schemathesis.openapi.from_url(f"{sb.base_url}/openapi.json")
        api = api.exclude(method=["POST", "DELETE"])  # writes may be dropped (fail after commit)
        assert _run_stateful(api, examples=15, steps=6) > 30


@pytest.mark.slow
@settings(SETTINGS, max_examples=150)
@given(body=audience_bodies())
def test_random_filter_bodies(probe_schema: Any, body: dict[str, Any]) -> None:
    created = probe_schema["/audiences"]["POST"].Case(body=body, headers={"X-Api-Key": KEY})
    answer = created.call_and_validate(checks=CHECKS)
    assert answer.status_code in (200, 400), answer.text
    preview = {**body, "days_back": body.get("days_back", 3)}
    probe_schema["/audiences/preview"]["POST"].Case(
        body=preview, headers={"X-Api-Key": KEY}
    ).call_and_validate(checks=CHECKS)
    if answer.status_code == 200:  # what was created can be read, and listed
        page = probe_schema["/audiences/{audience_id}"]["GET"].Case(
            path_parameters={"audience_id": answer.json()["audienceId"]},
            query={"page_size": 5},
            headers={"X-Api-Key": KEY},
        )
        assert page.call_and_validate(checks=CHECKS).status_code == 200
        listing = probe_schema["/audiences"]["GET"].Case(
            query={"page_size": 1000}, headers={"X-Api-Key": KEY}
        )
        assert listing.call_and_validate(checks=CHECKS).status_code == 200


@settings(SETTINGS, max_examples=60)
@given(body=job_bodies())
@pytest.mark.slow
def test_random_enrichment_bodies(
    probe_schema: Any, probe_server: Sandbox, body: dict[str, Any]
) -> None:
    created = probe_schema["/enrichments"]["POST"].Case(body=body, headers={"X-Api-Key": KEY})
    answer = created.call_and_validate(checks=CHECKS)
    assert answer.status_code in (202, 400), answer.text
    if answer.status_code == 202:  # its result file (build_seconds=0) can be downloaded whole
        listing = (
            probe_schema["/enrichments"]["GET"]
            .Case(query={"page_size": 1}, headers={"X-Api-Key": KEY})
            .call_and_validate(checks=CHECKS)
        )
        job = listing.json()["data"][0]
        if job["csv_url"] is not None:
            import httpx

            download = httpx.get(job["csv_url"], timeout=30)
            assert download.status_code == 200
            assert download.text.count("\r\n") >= 1 + len(body["records"])

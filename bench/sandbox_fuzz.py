"""A longer probe of the sandbox than the test suite's: fuzz every operation, run stateful
workflows, and send weird request bodies, against a real server; print what was found.

    python bench/sandbox_fuzz.py                   # ~2,000 generated requests per generator
    python bench/sandbox_fuzz.py --examples 300

Run from a checkout (it uses the generators of ``tests/sandbox/probe.py``). Every answer must pass
the response checks (no 5xx, documented status, content type, headers and body) and no connection
may be dropped; unlike the tests, a failure does not stop the run: each distinct one is printed
with a way to reproduce it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import schemathesis  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402
from tests.sandbox.probe import CHECKS, audience_bodies, job_bodies  # noqa: E402

from audiencelab.sandbox import Sandbox, SandboxConfig  # noqa: E402

KEY = "sk_test_fuzz"


class Findings:
    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self.failures: dict[str, str] = {}

    def record(self, label: str, call: Any) -> Any:
        try:
            response = call()
        except Exception as exc:  # a check failed, or the connection broke
            key = f"{label}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
            self.failures.setdefault(key, str(exc)[:2000])
            self.statuses[f"{label} FAILED"] += 1
            return None
        self.statuses[f"{label} {response.status_code}"] += 1
        return response


def fuzz_operations(api: Any, findings: Findings, examples: int) -> None:
    for result in api.get_all_operations():
        operation = result.ok()
        _fuzz_one(operation, f"{operation.method.upper()} {operation.path}", findings, examples)


def _fuzz_one(operation: Any, label: str, findings: Findings, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        findings.record(
            label, lambda: case.call_and_validate(headers={"X-Api-Key": KEY}, checks=CHECKS)
        )

    run()


def stateful(api: Any, findings: Findings, examples: int, steps: int) -> None:
    class Workflow(api.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"X-Api-Key": KEY}}

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            label = f"stateful {case.method} {case.path}"
            findings.record(
                label,
                lambda: (case.validate_response(response, checks=CHECKS), response)[1],
            )

    try:
        run_state_machine_as_test(
            Workflow,
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    except Exception as exc:  # a broken connection inside a step
        findings.failures.setdefault(f"stateful: {type(exc).__name__}", str(exc)[:2000])


def weird_bodies(api: Any, findings: Findings, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(body=audience_bodies())
    def audiences(body: dict[str, Any]) -> None:
        created = findings.record(
            "weird POST /audiences",
            lambda: (
                api["/audiences"]["POST"]
                .Case(body=body, headers={"X-Api-Key": KEY})
                .call_and_validate(checks=CHECKS)
            ),
        )
        preview = {**body, "days_back": body.get("days_back", 3)}
        findings.record(
            "weird POST /audiences/preview",
            lambda: (
                api["/audiences/preview"]["POST"]
                .Case(body=preview, headers={"X-Api-Key": KEY})
                .call_and_validate(checks=CHECKS)
            ),
        )
        if created is not None and created.status_code == 200:
            findings.record(
                "weird GET /audiences/{id}",
                lambda: (
                    api["/audiences/{audience_id}"]["GET"]
                    .Case(
                        path_parameters={"audience_id": created.json()["audienceId"]},
                        query={"page_size": 5},
                        headers={"X-Api-Key": KEY},
                    )
                    .call_and_validate(checks=CHECKS)
                ),
            )

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(body=job_bodies())
    def jobs(body: dict[str, Any]) -> None:
        findings.record(
            "weird POST /enrichments",
            lambda: (
                api["/enrichments"]["POST"]
                .Case(body=body, headers={"X-Api-Key": KEY})
                .call_and_validate(checks=CHECKS)
            ),
        )

    audiences()
    jobs()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="per generator")
    parser.add_argument("--steps", type=int, default=12, help="per stateful workflow")
    args = parser.parse_args()
    findings = Findings()
    t0 = time.monotonic()
    config = SandboxConfig(port=0, api_keys=(KEY,), build_seconds=0, max_audience_size=2000)
    with Sandbox(config) as sb:
        api = schemathesis.openapi.from_url(f"{sb.base_url}/openapi.json")
        fuzz_operations(api, findings, max(10, args.examples // 20))
        stateful(api, findings, max(10, args.examples // 10), args.steps)
        weird_bodies(api, findings, args.examples)
    elapsed = time.monotonic() - t0
    total = sum(findings.statuses.values())
    print(f"{total} requests in {elapsed:.0f} s")
    for label, count in sorted(findings.statuses.items()):
        print(f"  {count:6}  {label}")
    if findings.failures:
        print(f"{len(findings.failures)} distinct failures:")
        for key, detail in findings.failures.items():
            print(f"--- {key}\n{detail}\n")
    print(
        "PASS: no 5xx, no dropped connection, no answer outside the schema"
        if not findings.failures
        else "FAIL"
    )
    raise SystemExit(1 if findings.failures else 0)


if __name__ == "__main__":
    main()

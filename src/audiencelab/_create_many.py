"""Creating many audiences at once: every spec checked first, then created in parallel, in order,
never twice. This is the pure part (checking specs, turning each answer into a result); the
runner that moves the requests is written once, ``_async/create_many.py`` (tasks), and generated
into ``_sync/create_many.py`` (threads).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from audiencelab._exceptions import (
    APIError,
    AudienceLabError,
    AuthenticationError,
    FilterValidationError,
    InputProblem,
    PermissionDeniedError,
)
from audiencelab._models import AudienceCreated
from audiencelab._operations import (
    NO_LISTS,
    Plan,
    ValueLists,
    create_operation,
    needed_lists,
    plan_create,
    raise_if,
)
from audiencelab._operations.audiences import ListSource
from audiencelab._sansio import Operation
from audiencelab._synchronization import MAX_CONCURRENCY
from audiencelab._validate import check_positive_int, closest, describe
from audiencelab._value_checks import ValueChecks, warn_user

__all__ = [
    "SPEC_KEYS",
    "CreateBatch",
    "CreateResult",
    "CreateStatus",
    "check_concurrency",
    "create_operations",
    "specs_needed_lists",
]

SPEC_KEYS = ("name", "filters", "segment", "days_back")
CreateStatus = Literal["created", "failed", "unknown", "not_sent"]


@dataclass(frozen=True)
class CreateResult:
    """What became of one spec of ``create_many``; results come in the order of the specs.

    ``status``: ``created`` (``audience_id`` is set), ``failed`` (the API refused it: nothing was
    created), ``unknown`` (it was sent and no usable answer came back: it may exist; it was not
    repeated; check with ``audiences.list()`` before creating it again) or ``not_sent`` (never
    sent: the key was refused for an earlier spec, or the run was interrupted first). ``error``
    is the exception behind any status but ``created``.
    """

    index: int
    name: str
    status: CreateStatus
    audience_id: str | None = None
    error: BaseException | None = None


def in_spec(index: int, problems: Iterable[InputProblem]) -> list[InputProblem]:
    """The problems of one spec, placed in the list of specs (``specs[2].filters...``)."""
    return [
        InputProblem.at(("specs", index, *p.loc), p.message, p.suggestion, p.remedy)
        for p in problems
    ]


def specs_needed_lists(specs: object, value_checks: object = "default") -> tuple[str, ...]:
    """The live lists the values of every spec need together (each is fetched once)."""
    if isinstance(specs, (str, bytes, Mapping)) or not isinstance(specs, Sequence):
        return ()
    needed: dict[str, None] = {}
    for spec in specs:
        if isinstance(spec, Mapping):
            needed.update(
                dict.fromkeys(needed_lists(spec.get("filters"), spec.get("segment"), value_checks))
            )
    return tuple(needed)


def create_operations(
    specs: Sequence[Mapping[str, Any]],
    *,
    value_checks: ValueChecks = "default",
    allow_unfiltered: bool = False,
    client: ListSource | None = None,
    lists: ValueLists | None = None,
) -> list[Operation[AudienceCreated]]:
    """Every spec checked, as one error listing every problem of every spec (``specs[2].filters...``).

    The values are checked as by :func:`audiencelab.operations.create_audience`: against the
    lists of ``client`` (each list fetched once for all the specs) or ``lists``, else the bundled
    lists alone, with a warning saying which values were not checked. The warnings of every spec
    are issued only when no spec has a problem.
    """
    given: object = specs
    if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Sequence):
        raise_if(
            [InputProblem("specs", f"expected a list of audience specs, got {describe(given)}")],
            FilterValidationError,
        )
    if not specs:
        raise_if([InputProblem("specs", "must hold at least one spec")], FilterValidationError)
    if lists is None and client is not None:
        needed = specs_needed_lists(specs, value_checks)
        lists = client.audiences.value_lists(needed) if needed else ValueLists()
    problems: list[InputProblem] = []
    plans: list[Plan] = []
    items: Sequence[object] = specs  # checked at run time: callers pass anything
    for i, spec in enumerate(items):
        if not isinstance(spec, Mapping):
            problems.append(
                InputProblem.at(
                    ("specs", i), f"expected an object with name and filters, got {describe(spec)}"
                )
            )
            continue
        for key in spec:
            if key not in SPEC_KEYS:
                guess = closest(str(key), SPEC_KEYS, cutoff=0.6)
                message = "unknown key" if guess else f"unknown key; use {', '.join(SPEC_KEYS)}"
                problems.append(InputProblem.at(("specs", i, str(key)), message, guess))
        args: dict[str, Any] = {key: spec.get(key) for key in SPEC_KEYS}
        plan = plan_create(
            **args,
            value_checks=value_checks,
            allow_unfiltered=allow_unfiltered,
            lists=NO_LISTS if lists is None else lists,
        )
        problems.extend(in_spec(i, plan.problems))
        plans.append(plan)
    raise_if(problems, FilterValidationError)
    warn_user(list(dict.fromkeys(w for plan in plans for w in plan.warnings)))
    return [create_operation(plan, warn=False) for plan in plans]


class CreateBatch:
    """The results so far; after the key is refused, nothing more is sent."""

    def __init__(
        self,
        operations: Sequence[Operation[AudienceCreated]],
        on_result: Callable[[CreateResult], None] | None,
    ) -> None:
        self.operations = operations
        self.names = [str(op.body["name"]) for op in operations]
        self.results: list[CreateResult | None] = [None] * len(operations)
        self.key_refused: AudienceLabError | None = None
        self.on_result = on_result
        self._lock = threading.Lock()  # sync workers record their own results

    def may_send(self, index: int) -> bool:
        if self.key_refused is None:
            return True
        self.record(CreateResult(index, self.names[index], "not_sent", error=self.key_refused))
        return False

    def answered(
        self, index: int, created: AudienceCreated | None, error: BaseException | None
    ) -> None:
        name = self.names[index]
        if created is not None:
            self.record(CreateResult(index, name, "created", created.audience_id))
            return
        if isinstance(error, (AuthenticationError, PermissionDeniedError)):
            self.key_refused = error
            self.record(CreateResult(index, name, "failed", error=error))
        elif isinstance(error, APIError) and not error.outcome_unknown:
            self.record(CreateResult(index, name, "failed", error=error))
        else:  # it may have been sent: never claim it was not
            self.record(CreateResult(index, name, "unknown", error=error))

    def interrupted(self, in_flight: set[int], error: BaseException) -> None:
        """Stopped from outside: what was in flight may exist, the rest was never sent."""
        for index, result in enumerate(self.results):
            if result is None:
                status: CreateStatus = "unknown" if index in in_flight else "not_sent"
                self.record(CreateResult(index, self.names[index], status, error=error))

    def record(self, result: CreateResult) -> None:
        with self._lock:
            if self.results[result.index] is not None:
                return  # already known (an interrupt races with a late answer)
            self.results[result.index] = result
        if self.on_result is not None:
            self.on_result(result)

    def done(self) -> list[CreateResult]:
        assert all(r is not None for r in self.results)
        return [r for r in self.results if r is not None]


def check_concurrency(concurrency: int) -> None:
    problems: list[InputProblem] = []
    check_positive_int(concurrency, problems, "concurrency", maximum=MAX_CONCURRENCY)
    raise_if(problems)

"""What 1,000 synthetic people cost the sandbox, in CPU time, against encoding them (issue 20).

    python bench/sandbox_generate.py [--rounds 21] [--baseline-src ../main/src]

In one process, interleaved round by round, each the median CPU time of this thread
(``time.thread_time``: a busy machine takes the CPU away from a process, and wall time then
measures the neighbours; the wall-time medians are printed too):

* encoding a page of 1,000 people: ``json.dumps`` and orjson (the baselines);
* generating them: as columns (``Plan.columns``), as dicts (``Plan.rows``), and a page's JSON
  written from the columns (``Plan.rows_json``, what the sandbox serves);
* with ``--baseline-src``, the ``_generate.py`` of another checkout (loaded from that file, over
  this checkout's other modules) generating the same rows as dicts, and then orjson: what a page
  cost before. The generation target of the issue is below 1x orjson's encoding.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from audiencelab.sandbox._criteria import build_criteria
from audiencelab.sandbox._filters import parse_filters
from audiencelab.sandbox._generate import Plan, plan_for

FILTERS = {"age": {"minAge": 25, "maxAge": 45}, "state": ["CA", "TX"]}
PAGE = 1000


def baseline_plan(src: str, criteria: Any) -> Any:
    path = Path(src) / "audiencelab" / "sandbox" / "_generate.py"
    spec = importlib.util.spec_from_file_location("baseline_generate", path)
    assert spec is not None, path
    assert spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Plan(criteria)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--baseline-src", help="src/ of another checkout, for its _generate.py")
    args = parser.parse_args()
    criteria = build_criteria(parse_filters(FILTERS))
    plan: Plan = plan_for(criteria)
    rows = plan.rows(0, PAGE)
    page = {"total_records": 10_000, "page_size": PAGE, "page": 1, "total_pages": 10, "data": rows}
    work: dict[str, Callable[[int], object]] = {
        "json.dumps of the page": lambda s: json.dumps(page),
        "orjson of the page": lambda s: orjson.dumps(page),
        "columns": lambda s: plan.columns(s, s + PAGE),
        "dicts": lambda s: plan.rows(s, s + PAGE),
        "page JSON from columns": lambda s: plan.rows_json(s, s + PAGE),
    }
    if args.baseline_src:
        before = baseline_plan(args.baseline_src, criteria)
        assert before.rows(5000, 5010) == plan.rows(5000, 5010), "not the same people"
        work["before: dicts"] = lambda s: before.rows(s, s + PAGE)
        work["before: dicts + orjson"] = lambda s: orjson.dumps(before.rows(s, s + PAGE))
    cpu: dict[str, list[float]] = {k: [] for k in work}
    wall: dict[str, list[float]] = {k: [] for k in work}
    start = 20_000
    for _ in range(args.rounds):
        start += PAGE
        for name, job in work.items():
            c0, w0 = time.thread_time(), time.perf_counter()
            job(start)
            cpu[name].append(time.thread_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    med = {k: statistics.median(v) * 1000 for k, v in cpu.items()}
    base = med["orjson of the page"]
    print(f"{PAGE} people, medians of {args.rounds} rounds, CPU time (wall time):")
    for name in work:
        ms, w = med[name], statistics.median(wall[name]) * 1000
        print(f"  {name:24} {ms:7.2f} ms ({w:6.1f})  {ms / base:5.2f}x orjson's encoding")
    print(f"generation / encoding: {med['columns'] / base:.2f}x as columns (the issue's aim: < 1)")
    if args.baseline_src:
        ratio = med["page JSON from columns"] / med["before: dicts + orjson"]
        print(f"a page's JSON now / before (dicts + orjson): {ratio:.2f}x")


if __name__ == "__main__":
    main()

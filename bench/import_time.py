"""How long ``import audiencelab`` takes, against importing what it cannot do without.

The baseline is ``import httpx2; from pydantic import BaseModel``: every program using the SDK pays
that much anyway (httpx2 is its HTTP stack since issue 22; the original httpx, when installed, is
timed too, as a reported line, for the record of that choice). Fresh interpreters run in turn (baseline, then each SDK variant, again and
again), so that a noisy machine slows all alike; ratios of the medians are printed.

Targets (at most 1.3x the baseline): ``import audiencelab`` and ``from audiencelab import
AudienceLab``. The clients, models and resources load on first use, so the last line (a client
and its ``audiences`` resource, what a first API call needs) shows where that cost went, against
a baseline that also makes an ``httpx2.Client`` (whose TLS set-up is most of a client's cost);
it is reported, not judged.

    python bench/import_time.py [--runs 30]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time

from _common import median, verdict

BASELINE = "import httpx2; from pydantic import BaseModel"
EMPTY = "pass"
JUDGED = ("import audiencelab", "from audiencelab import AudienceLab")
FIRST_USE = "from audiencelab import AudienceLab; AudienceLab(api_key='sk_test_x').audiences"
FIRST_USE_BASELINE = "import httpx2; from pydantic import BaseModel; httpx2.Client()"
# The stack before issue 22, for comparison only (when httpx is installed).
LEGACY = (
    "import httpx; from pydantic import BaseModel",
    "import httpx; from pydantic import BaseModel; httpx.Client()",
)
TARGET = 1.3


def run(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    legacy = LEGACY if importlib.util.find_spec("httpx") else ()
    codes = (EMPTY, BASELINE, *JUDGED, FIRST_USE_BASELINE, FIRST_USE, *legacy)
    times: dict[str, list[float]] = {code: [] for code in codes}
    run(FIRST_USE)  # warm the file system cache and the bytecode
    for _ in range(args.runs):
        for code in codes:
            times[code].append(run(code))
    base = median(times[BASELINE])
    print(f"{'python -c ' + repr(EMPTY):<95} {median(times[EMPTY]) * 1000:5.0f} ms")
    print(f"{'baseline: ' + BASELINE:<95} {base * 1000:5.0f} ms")
    for code in JUDGED:
        value = median(times[code])
        ratio = value / base
        print(
            f"{code:<95} {value * 1000:5.0f} ms  ratio {ratio:.2f} "
            f"(target <= {TARGET}): {verdict(ratio <= TARGET)}"
        )
    first_base = median(times[FIRST_USE_BASELINE])
    first = median(times[FIRST_USE])
    print(f"{'baseline: ' + FIRST_USE_BASELINE:<95} {first_base * 1000:5.0f} ms")
    print(f"{FIRST_USE:<95} {first * 1000:5.0f} ms  ratio {first / first_base:.2f} (reported)")
    for code in legacy:
        value = median(times[code])
        print(f"{'httpx, for comparison: ' + code:<95} {value * 1000:5.0f} ms (reported)")


if __name__ == "__main__":
    main()

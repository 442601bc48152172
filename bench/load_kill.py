"""``kill -9`` of ``audiencelab load`` at random moments, each followed by the same command: does
the table still hold exactly one row per person per audience? (issue 23, defect 1)

Reproduces the report: two audiences (``--audience A --audience B``) into DuckDB, against a
sandbox in its own process on 127.0.0.1. A first whole run measures how long a run takes; then
each trial starts the command, kills it (SIGKILL) after a random share of that time, looks at what
the killed run left (which step it was in), runs the same command again to the end, and counts
the rows and distinct people of each audience. Before the fix, 6 of 12 trials left every row
twice and 2 left none.

    python bench/load_kill.py [--trials 12] [--records 30000] [--seed N]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from _common import Server, create_audience, sandbox_process

EXTRACT_FOLDER = re.compile(r"[0-9a-f]{16}")


def command(audiences: list[str]) -> list[str]:
    args = [arg for audience in audiences for arg in ("--audience", audience)]
    return [sys.executable, "-m", "audiencelab.cli", "load", *args]


def environment(server: Server, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    env.update(
        AUDIENCELAB_API_KEY=server.api_key,
        AUDIENCELAB_BASE_URL=server.base_url,
        HOME=str(folder / "home"),  # dlt's anonymous ID file, and nothing else of ours
        DLT_DATA_DIR=str(folder / "dlt-data"),
        NO_COLOR="1",
    )
    return env


def step_left(pipeline: Path) -> str:
    """What a killed run was doing, from what it left in the pipeline's folder."""

    def has(folder: Path) -> bool:
        return folder.is_dir() and any(folder.iterdir())

    normalize = pipeline / "normalize"
    if normalize.is_dir() and any(EXTRACT_FOLDER.fullmatch(p.name) for p in normalize.iterdir()):
        return "extract"
    if has(normalize / "extracted"):
        return "normalize"
    if has(pipeline / "load" / "normalized"):
        return "load"
    return "start/end"  # before the extract began, or after the load was done


def people(database: Path) -> dict[str, tuple[int, int]]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.sql(
            "SELECT audience_id, count(*), count(DISTINCT uuid) "
            "FROM audiencelab.audience_records GROUP BY 1"
        ).fetchall()
    return {audience: (n, distinct) for audience, n, distinct in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--records", type=int, default=30_000, help="people per audience")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    draw = random.Random(seed)

    with (
        sandbox_process(max_audience_size=args.records) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        audiences = []
        for filters in (
            {"age": {"minAge": 18, "maxAge": 80}},
            {"age": {"minAge": 25, "maxAge": 70}},
        ):
            audience_id, size = create_audience(server, filters)
            assert size == args.records, f"audience has {size} records, wanted {args.records}"
            audiences.append(audience_id)
        folder = Path(tmp)
        work = folder / "work"
        work.mkdir()
        env = environment(server, folder)
        database = work / "audiencelab_load.duckdb"
        pipeline = work / ".dlt" / "pipelines" / "audiencelab_load"
        expected = dict.fromkeys(audiences, (args.records, args.records))

        started = time.perf_counter()
        subprocess.run(command(audiences), env=env, cwd=work, check=True, capture_output=True)
        whole = time.perf_counter() - started
        assert people(database) == expected, people(database)
        print(
            f"2 audiences of {args.records:,} people; a whole run takes {whole:.1f} s; seed {seed}"
        )
        print("trial  killed at         step     re-run  rows per audience (distinct)  verdict")
        exact = 0
        for trial in range(1, args.trials + 1):
            share = draw.uniform(0.02, 1.0)
            proc = subprocess.Popen(
                command(audiences),
                env=env,
                cwd=work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(whole * share)
            proc.send_signal(signal.SIGKILL)
            code = proc.wait()
            step = step_left(pipeline) if code == -signal.SIGKILL else "finished"
            started = time.perf_counter()
            again = subprocess.run(command(audiences), env=env, cwd=work, capture_output=True)
            rerun = time.perf_counter() - started
            found = people(database)
            ok = again.returncode == 0 and found == expected
            exact += ok
            counts = ", ".join(
                f"{n:,} ({d:,})" for n, d in (found.get(a, (0, 0)) for a in audiences)
            )
            print(
                f"{trial:5}  {whole * share:5.1f} s ({share:4.0%})  {step:9} {rerun:5.1f} s  "
                f"{counts:28}  {'exact' if ok else 'WRONG'}"
            )
            if again.returncode != 0:
                print("   re-run failed:", again.stderr.decode().strip().splitlines()[-1:])
    print(
        f"{exact} of {args.trials} kills, each followed by a re-run, left exactly one row per "
        f"person per audience  {'PASS' if exact == args.trials else 'FAIL'}"
    )


if __name__ == "__main__":
    main()

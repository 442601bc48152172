"""Crash safety: ``kill -9`` the sandbox under load, restart it, and check what was acknowledged.

    python bench/sandbox_crash.py                  # 10 rounds, 16 writers, kill after 1-3 s
    python bench/sandbox_crash.py --rounds 3 --writers 8

Each round starts ``python -m audiencelab.sandbox`` on the same SQLite file, runs writers that
create audiences, enrichment jobs and pixels (and delete some audiences), kills the server with
SIGKILL at a random moment, runs ``PRAGMA integrity_check`` on the file, restarts the server and
compares: every write the server acknowledged (answered 2xx) must be there, and every delete it
acknowledged must be gone. Writes that were in flight at the kill (creates and deletes) may or may
not have happened. A
benchmark, not a test: it prints figures and a verdict.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _sandbox_process import SandboxProcess, start

JOB = {"name": "crash job", "records": [{"email": "someone@example.com", "first_name": "Ann"}]}
PIXEL = {"websiteName": "crash", "websiteUrl": "https://crash.example"}


class Ledger:
    """What the server acknowledged, across rounds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.audiences: set[str] = set()
        self.deleted: set[str] = set()
        #: deletes sent: one cut by the kill may have happened without an answer
        self.deleting: set[str] = set()
        self.jobs: set[str] = set()
        self.pixels: set[str] = set()
        self.in_flight_errors = 0

    def add(self, kind: str, value: str) -> None:
        with self.lock:
            getattr(self, kind).add(value)


def writer(server: SandboxProcess, ledger: Ledger, seed: int) -> None:
    rng = random.Random(seed)
    headers = {"X-Api-Key": server.api_key}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as http:
        mine: list[str] = []
        while True:
            try:
                roll = rng.random()
                if roll < 0.5:
                    r = http.post(
                        "/audiences", json={"name": "crash", "filters": {"state": ["OH"]}}
                    )
                    if r.status_code == 200:
                        mine.append(r.json()["audienceId"])
                        ledger.add("audiences", mine[-1])
                elif roll < 0.65 and mine:
                    victim = mine.pop(rng.randrange(len(mine)))
                    ledger.add("deleting", victim)
                    if http.delete(f"/audiences/{victim}").status_code == 200:
                        ledger.add("deleted", victim)
                elif roll < 0.85:
                    r = http.post("/enrichments", json=JOB)
                    if r.status_code == 202:
                        ledger.add("jobs", r.json()["jobId"])
                else:
                    r = http.post("/pixels", json=PIXEL)
                    if r.status_code == 200:
                        ledger.add("pixels", r.json()["pixel_id"])
            except httpx.HTTPError:  # the server was killed
                with ledger.lock:
                    ledger.in_flight_errors += 1
                return


def stored(server: SandboxProcess, path: str, key: str = "data") -> set[str]:
    ids: set[str] = set()
    headers = {"X-Api-Key": server.api_key}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as http:
        page = 1
        while True:
            body = http.get(path, params={"page": page, "page_size": 1000}).json()
            ids.update(item["id"] for item in body[key])
            if page >= body["total_pages"]:
                return ids
            page += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--max-seconds", type=float, default=3.0)
    args = parser.parse_args()
    rng = random.Random(2026)
    ledger = Ledger()
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        db = os.path.join(folder, "crash.db")
        flags = ("--db", db, "--build-seconds", "0")
        for round_number in range(1, args.rounds + 1):
            server = start(*flags)
            threads = [
                threading.Thread(target=writer, args=(server, ledger, rng.random()))
                for _ in range(args.writers)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(args.min_seconds, args.max_seconds))
            server.kill()
            for t in threads:
                t.join(15)
            conn = sqlite3.connect(db)
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            conn.close()
            if integrity != "ok":
                problems.append(f"round {round_number}: integrity_check says {integrity}")
            server = start(*flags)
            try:
                audiences = stored(server, "/audiences")
                jobs = stored(server, "/enrichments")
                pixels = stored(server, "/pixels")
            finally:
                server.stop()
            lost = {
                "audiences": (ledger.audiences - ledger.deleting) - audiences,
                "jobs": ledger.jobs - jobs,
                "pixels": ledger.pixels - pixels,
                "deletes undone": ledger.deleted & audiences,
            }
            for what, ids in lost.items():
                if ids:
                    problems.append(f"round {round_number}: {len(ids)} acknowledged {what} lost")
            print(
                f"round {round_number}: integrity {integrity}; stored {len(audiences)} audiences, "
                f"{len(jobs)} jobs, {len(pixels)} pixels; acknowledged so far "
                f"{len(ledger.audiences)} creates, {len(ledger.deleted)} deletes, "
                f"{len(ledger.jobs)} jobs, {len(ledger.pixels)} pixels; lost "
                f"{sum(len(v) for v in lost.values())}"
            )
    print(
        f"{args.rounds} kill -9 rounds, {args.writers} writers; {ledger.in_flight_errors} requests "
        f"cut by the kills; problems: {problems or 'none'}"
    )
    print("PASS" if not problems else "FAIL")
    raise SystemExit(0 if not problems else 1)


if __name__ == "__main__":
    main()

"""``audiencelab load`` killed, interrupted or run twice at once: never a person twice or lost.

Real ``audiencelab`` processes against a real sandbox: ``kill -9`` at random moments then the same
command again (issue 23, defect 1; ``bench/load_kill.py`` does 12), Ctrl-C in a terminal (issue 19,
point 5), a second load into the same pipeline while one runs, and the leftovers of killed runs.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pexpect
import pytest

from audiencelab.sandbox import Sandbox, SandboxConfig

from .helpers import ANSI, KEY, assert_no_secret, run_process

pytestmark = pytest.mark.slow

SIZE = 6_000


@pytest.fixture(scope="module")
def big() -> Iterator[tuple[Sandbox, list[str]]]:
    """A sandbox with two ready audiences of SIZE people each."""
    config = SandboxConfig(port=0, api_keys=(KEY,), build_seconds=0, max_audience_size=SIZE)
    with Sandbox(config) as server:
        from audiencelab import AudienceLab

        with AudienceLab(api_key=KEY, base_url=server.base_url) as client:
            ids = [
                client.audiences.create(name="a", filters={"age": {"minAge": 18, "maxAge": 80}}),
                client.audiences.create(name="b", filters={"age": {"minAge": 25, "maxAge": 70}}),
            ]
        yield server, [made.audience_id for made in ids]


def environment(tmp_path: Path, server: Sandbox) -> dict[str, str]:
    return {
        "HOME": str(tmp_path / "home"),
        "DLT_DATA_DIR": str(tmp_path / "dlt-data"),
        "NO_COLOR": "1",
        "AUDIENCELAB_API_KEY": KEY,
        "AUDIENCELAB_BASE_URL": server.base_url,
    }


def people(database: Path) -> dict[str, tuple[int, int]]:
    """Rows and distinct people of each audience in the file."""
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.sql(
            "SELECT audience_id, count(*), count(DISTINCT uuid) "
            "FROM audiencelab.audience_records GROUP BY 1"
        ).fetchall()
    return {audience: (n, distinct) for audience, n, distinct in rows}


def test_kill_9_at_random_moments_then_the_same_command_leaves_every_person_once(
    big: tuple[Sandbox, list[str]], tmp_path: Path
) -> None:
    server, audiences = big
    work = tmp_path / "work"
    work.mkdir()
    env = environment(tmp_path, server)
    command = ["load", *(arg for a in audiences for arg in ("--audience", a))]
    database = work / "audiencelab_load.duckdb"
    expected = dict.fromkeys(audiences, (SIZE, SIZE))

    started = time.monotonic()
    assert run_process(command, env, cwd=work, timeout=300).code == 0
    whole = time.monotonic() - started
    assert people(database) == expected

    seed = random.randrange(1 << 30)
    moments = random.Random(seed).sample(range(5, 96), 3)  # percent of a whole run
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    for percent in moments:
        proc = subprocess.Popen(
            [sys.executable, "-m", "audiencelab.cli", *command],
            env={**clean, **env},
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(whole * percent / 100)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        again = run_process(["--json", *command], env, cwd=work, timeout=300)
        assert again.code == 0, (seed, percent, again.stderr)
        assert people(database) == expected, (seed, percent)
    # what the killed extracts left (part of the people) was deleted by the run after each
    normalize = work / ".dlt" / "pipelines" / "audiencelab_load" / "normalize"
    assert sorted(p.name for p in normalize.iterdir() if p.is_dir()) == ["extracted"]


def test_ctrl_c_during_a_load_is_one_line_and_exit_130(tmp_path: Path) -> None:
    """Ctrl-C while the load waits for an audience still being built (a sandbox that builds in an
    hour): "interrupted" and status 130, as for every command, not a dlt error and status 1."""
    config = SandboxConfig(port=0, api_keys=(KEY,), build_seconds=3600)
    with Sandbox(config) as server:
        from audiencelab import AudienceLab

        with AudienceLab(api_key=KEY, base_url=server.base_url) as client:
            audience_id = client.audiences.create(name="never", filters={"city": ["Boston"]})
        work = tmp_path / "work"
        work.mkdir()
        env = {**environment(tmp_path, server), "TERM": "xterm-256color", "COLUMNS": "120"}
        env.pop("NO_COLOR")
        clean = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
        child = pexpect.spawn(
            sys.executable,
            ["-m", "audiencelab.cli", "load", "--audience", audience_id.audience_id],
            env={**clean, **env},
            cwd=str(work),
            encoding="utf-8",
            dimensions=(40, 120),
            timeout=120,
        )
        child.expect("Reading from AudienceLab")  # the command is waiting for the audience
        time.sleep(0.5)
        child.sendintr()
        child.expect(pexpect.EOF)
        child.close()
    output = ANSI.sub("", child.before)
    assert_no_secret(output)
    assert child.exitstatus == 130, output
    assert "error: interrupted. Run the same command again" in " ".join(output.split())
    assert "dlt could not" not in output
    assert "KeyboardInterrupt" not in output
    assert "Traceback" not in output


def test_a_second_load_into_the_same_pipeline_at_once_is_refused(
    big: tuple[Sandbox, list[str]], tmp_path: Path
) -> None:
    import fcntl

    server, audiences = big
    work = tmp_path / "work"
    lock = work / ".dlt" / "pipelines" / "audiencelab_load.lock"
    lock.parent.mkdir(parents=True)
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a running load holds it
        run = run_process(
            ["load", "--audience", audiences[0]], environment(tmp_path, server), cwd=work
        )
    assert run.code == 1, run.stderr
    assert run.stderr.startswith("error: another `audiencelab load` is loading into ")
    assert str(work / "audiencelab_load.duckdb") in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (work / "audiencelab_load.duckdb").exists()


def test_the_partial_extracts_of_killed_runs_are_deleted(
    big: tuple[Sandbox, list[str]], tmp_path: Path
) -> None:
    """A killed extract leaves a folder of part of the people that dlt never reads again."""
    server, audiences = big
    work = tmp_path / "work"
    work.mkdir()
    env = environment(tmp_path, server)
    assert run_process(["load", "--audience", audiences[0]], env, cwd=work, timeout=300).code == 0
    normalize = work / ".dlt" / "pipelines" / "audiencelab_load" / "normalize"
    dead = normalize / "0123456789abcdef" / "1796684320.2887547"
    dead.mkdir(parents=True)
    (dead / "audience_records.parquet").write_bytes(b"people")
    assert run_process(["load", "--audience", audiences[0]], env, cwd=work, timeout=300).code == 0
    assert not dead.parent.exists()
    assert (normalize / "extracted").is_dir()  # dlt's own folders stay
    assert people(work / "audiencelab_load.duckdb") == {audiences[0]: (SIZE, SIZE)}


def test_a_load_an_interrupted_run_left_is_finished_then_the_audiences_read_again(
    big: tuple[Sandbox, list[str]], tmp_path: Path
) -> None:
    """A package extracted and normalized but not loaded (a run killed before its load): the
    next `load` loads it, says so, and then reads the audiences anew (dlt's own `run()` would
    load it and stop, without reading)."""
    import dlt

    from audiencelab.dlt import audiencelab_source

    server, audiences = big
    work = tmp_path / "work"
    work.mkdir()
    env = environment(tmp_path, server)
    assert run_process(["load", "--audience", audiences[0]], env, cwd=work, timeout=300).code == 0
    pipeline = dlt.pipeline(
        pipeline_name="audiencelab_load",
        destination=dlt.destinations.duckdb(str(work / "audiencelab_load.duckdb")),
        dataset_name="audiencelab",
        pipelines_dir=str(work / ".dlt" / "pipelines"),
    )
    source = audiencelab_source(api_key=KEY, base_url=server.base_url, audience_ids=audiences[1:])
    pipeline.extract(source.with_resources("audience_records"))
    pipeline.normalize()
    assert pipeline.has_pending_data  # as a run killed before its load leaves it

    again = run_process(["--json", "load", "--audience", audiences[0]], env, cwd=work, timeout=300)
    assert again.code == 0, again.stderr
    report = again.json()
    assert report["finished_interrupted_load"] is True  # type: ignore[index]
    assert report["tables"]["audience_records"] == SIZE  # type: ignore[index]  # read anew
    expected = dict.fromkeys(audiences, (SIZE, SIZE))
    assert people(work / "audiencelab_load.duckdb") == expected  # both: the left one finished
    plain = run_process(["load", "--audience", audiences[0]], env, cwd=work, timeout=300)
    assert "Finished the load an interrupted run had left." not in plain.stderr

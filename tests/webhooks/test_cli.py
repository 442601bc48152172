"""`audiencelab webhooks listen` and `audiencelab sandbox trigger` as real processes on loopback:
the two-terminal loop, JSON Lines, duplicates, forwarding, refusals and usage errors."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import pytest
from typer.testing import CliRunner

from audiencelab.cli import app
from audiencelab.sandbox import Sandbox, SandboxConfig
from tests.webhooks.conftest import make_pixel, serving, wait_for
from tests.webhooks.test_sandbox_deliveries import Recorder

AUDIENCELAB = [sys.executable, "-m", "audiencelab.cli"]


class Lines:
    """The lines of a stream as they arrive, each with the time it was read."""

    def __init__(self, stream: IO[str]) -> None:
        self.queue: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[tuple[float, str]] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put((time.monotonic(), line.rstrip("\n")))

    def until(self, predicate: Any, timeout: float = 30) -> tuple[float, str]:
        deadline = time.monotonic() + timeout
        for seen in self.seen:
            if predicate(seen[1]):
                return seen
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out; got {[t for _, t in self.seen]}"
            try:
                item = self.queue.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(item)
            if predicate(item[1]):
                return item

    def take(self, n: int, timeout: float = 30) -> list[str]:
        """The first ``n`` lines."""
        deadline = time.monotonic() + timeout
        while len(self.seen) < n:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out; got {[t for _, t in self.seen]}"
            try:
                self.seen.append(self.queue.get(timeout=left))
            except queue.Empty:
                continue
        return [t for _, t in self.seen[:n]]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIENCELAB_")}
    return {**env, "NO_COLOR": "1", "COLUMNS": "200", **extra}


@contextmanager
def listening(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[Lines, Lines]]:
    process = subprocess.Popen(
        [*AUDIENCELAB, "webhooks", "listen", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or _env(),
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None
    out, err = Lines(process.stdout), Lines(process.stderr)
    try:
        err.until(lambda line: line.startswith("Listening on"))
        yield out, err
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()


def _trigger(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*AUDIENCELAB, "sandbox", "trigger", *args], capture_output=True, text=True,
        env=env or _env(), timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_listen_sandbox_plus_trigger_shows_the_events_within_a_second() -> None:
    with listening("--sandbox") as (out, err):
        _, ready = err.until(lambda line: "now delivers here" in line)
        pixel_id = ready.split("Pixel ", 1)[1].split(" ", 1)[0]
        trigger = subprocess.Popen(
            [*AUDIENCELAB, "--sandbox", "sandbox", "trigger", pixel_id, "--count", "3"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
        )  # fmt: skip
        assert trigger.stderr is not None
        sent_at, said = Lines(trigger.stderr).until(lambda line: "delivery of pixel" in line)
        # stdout has one line per event (two events may print alike: same person, page, second)
        out.take(3)
        rows = out.seen[:3]
        assert all(line.endswith("  new") for _, line in rows), rows
        assert trigger.wait(timeout=60) == 0
    # the trigger says its line when the delivery is queued; the events are printed soon after
    assert max(t for t, _ in rows) - sent_at < 1.0
    assert f"1 delivery of pixel {pixel_id}" in said
    kinds = {line.split()[1] for _, line in rows}
    assert kinds <= {"authentication", "page_view", "copy", "exit_intent", "deep_scroll",
                     "idle_user", "video_engagement", "all_clicks", "file_downloads",
                     "all_form_submissions"}  # fmt: skip
    _, stopped = err.until(lambda line: line.startswith("Stopped"))
    assert stopped == "Stopped: 3 event(s), 0 duplicate(s), 0 refused."


@pytest.fixture
def served() -> Iterator[Sandbox]:
    config = SandboxConfig(port=0, webhook_backoff=0.05, webhook_attempts=3)
    with Sandbox(config) as sb:
        yield sb


def _served_env(sb: Sandbox) -> dict[str, str]:
    return _env(AUDIENCELAB_BASE_URL=sb.base_url, AUDIENCELAB_API_KEY=sb.api_key)


@pytest.mark.slow
def test_json_lines_and_a_duplicate_is_reported_not_processed_twice(served: Sandbox) -> None:
    env = _served_env(served)
    pixel_id = make_pixel(served, None)
    with listening("--pixel", pixel_id, "--json", env=env) as (out, _err):
        done = _trigger(pixel_id, "--count", "2", "--fault", "duplicate", env=env)
        assert done.returncode == 0, done.stderr
        lines = [json.loads(t) for t in out.take(4)]
    new = [x for x in lines if not x["duplicate"]]
    dup = [x for x in lines if x["duplicate"]]
    assert len(new) == 2
    assert len(dup) == 2
    assert {x["key"] for x in dup} == {x["key"] for x in new}
    assert all(x["event"]["pixel_id"] == pixel_id for x in new)
    outcomes = done.stdout.splitlines()
    assert len(outcomes) == 2
    assert all("delivered" in line and "attempts: 200" in line for line in outcomes)


@pytest.mark.slow
def test_forward_to_sends_the_exact_bytes_and_headers_and_reports_the_status(
    served: Sandbox,
) -> None:
    env = _served_env(served)
    app_under_test = Recorder(statuses=(201,))
    pixel_id = make_pixel(served, None)
    with (
        serving(app_under_test) as target,
        listening("--pixel", pixel_id, "--forward-to", target + "/mine", env=env) as (_out, err),
    ):
        assert _trigger(pixel_id, env=env).returncode == 0
        err.until(lambda line: line == f"  -> {target}/mine: 201")
    log = httpx_get(served, f"/_sandbox/deliveries?pixel_id={pixel_id}")["deliveries"]
    ((body, headers, _),) = app_under_test.requests
    assert headers["x-audiencelab-signature"].startswith("sha256=")
    assert headers["x-sandbox-delivery-id"] == log[0]["id"]
    from audiencelab.webhooks import verify

    secret = httpx_get(served, f"/_sandbox/pixels/{pixel_id}/webhook")["secret"]
    assert verify(body, headers, secret) == "hmac-sha256"  # the exact bytes


def httpx_get(sb: Sandbox, path: str) -> Any:
    with sb.client() as client:
        return client.get(path).json()


@pytest.mark.slow
def test_a_wrong_signature_is_refused_and_the_trigger_says_it_failed(served: Sandbox) -> None:
    env = _served_env(served)
    pixel_id = make_pixel(served, None)
    with listening("--pixel", pixel_id, env=env) as (out, err):
        done = _trigger(pixel_id, "--fault", "wrong_signature", env=env)
        err.until(lambda line: "refused a delivery (401 wrong_signature)" in line)
    assert done.returncode == 1
    assert "error: 1 of 1 deliveries failed" in done.stderr
    assert "attempts: 401 401 401" in done.stdout
    assert not [t for _, t in out.seen if t.endswith("new")]


@pytest.mark.slow
def test_listen_without_a_secret_warns_and_prints_unverified() -> None:
    with listening() as (out, err):
        url = err.until(lambda line: line.startswith("Listening on"))[1].split()[2]
        assert any("no --secret" in t for _, t in err.seen)
        import httpx2

        body = json.dumps({"pixel_id": "p", "event": "copy", "PERSONAL_EMAILS": "a@b.example"})
        assert httpx2.post(url + "anything", content=body).status_code == 200
        line = out.until(lambda t: "copy" in t)[1]
    assert "a@b.example" in line
    assert line.endswith("new")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sandbox", "trigger", "p", "--count", "0"], "--count must be between 1 and 1000"),
        (["sandbox", "trigger", "p", "--shape", "xml"], "--shape must be one of"),
        (["sandbox", "trigger", "p", "--fault", "fire"], "--fault must be one of"),
        (["webhooks", "listen", "--scheme", "md5"], "--scheme must be one of"),
        (["webhooks", "listen", "--forward-to", "ftp://x"], "--forward-to must be an http(s) URL"),
        (["webhooks", "listen", "--port", "70000"], "--port must be between 0 and 65535"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], words: str) -> None:
    result = CliRunner().invoke(
        app, args, env={"AUDIENCELAB_API_KEY": "sk_test_x", "NO_COLOR": "1"}
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {words}")
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_trigger_of_a_pixel_without_a_webhook_url_says_how_to_fix_it(served: Sandbox) -> None:
    env = _served_env(served)
    pixel_id = make_pixel(served, None)
    done = _trigger(pixel_id, env=env)
    assert done.returncode != 0
    assert "has no webhook_url" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("error:") == 1
    wait_for(lambda: True)

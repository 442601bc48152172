"""Parsing and verifying need no extra: ``audiencelab.webhooks`` loads neither Starlette nor an
HTTP library until the receiver is asked for; the CLI's help lists both commands."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("starlette", "uvicorn", "anyio", "httpx2", "audiencelab.sandbox", "audiencelab.cli")


def _loaded(statement: str) -> list[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return [m for m in json.loads(out.stdout) if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]


@pytest.mark.slow
def test_the_webhooks_module_stays_light_until_the_receiver_is_used() -> None:
    assert _loaded("from audiencelab import webhooks; webhooks.parse_events(b'[]')") == []
    assert "starlette" in _loaded("from audiencelab.webhooks import WebhookReceiver")


def test_the_public_names() -> None:
    from audiencelab import webhooks

    for name in webhooks.__all__:
        assert getattr(webhooks, name) is not None
    assert webhooks.PixelEvent is __import__("audiencelab").PixelEvent

"""Push or pull, the same rows: events received by a webhook, appended with
``audiencelab.dlt.webhook_events``, are the rows of the polling source's ``pixel_events`` table,
and an event delivered twice (or pushed, then polled) is one row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("dlt")

from audiencelab import PixelEvent
from audiencelab.dlt import audiencelab_source, webhook_events
from audiencelab.sandbox import Sandbox
from audiencelab.webhooks import WebhookReceiver
from tests.dlt_source.conftest import make_pipeline, offline, query  # noqa: F401
from tests.webhooks.conftest import finished, make_pixel, serving, wait_for

COLUMNS = "event_key, api_version, pixel_id, event_type, event_timestamp, hem_sha256"


def _rows(pipeline: Any, pixel_id: str, version: str) -> list[tuple[Any, ...]]:
    return query(
        pipeline,
        f"SELECT {COLUMNS}, resolution__first_name FROM pixel_events "
        f"WHERE pixel_id = '{pixel_id}' AND api_version = '{version}' ORDER BY event_key",
    )


@pytest.mark.parametrize("version", ["v3", "v4"])
@pytest.mark.slow
def test_pushed_events_are_the_polled_rows_and_a_duplicate_is_one_row(
    sandbox: Sandbox,
    make_pipeline: Callable[..., Any],  # noqa: F811
    version: str,
) -> None:
    received: list[PixelEvent] = []
    pixel_id = make_pixel(sandbox, None, version)
    with sandbox.client() as client:
        secret = client.get(f"/_sandbox/pixels/{pixel_id}/webhook").json()["secret"]
    # no deduplication in the receiver: the warehouse's key must do it
    from audiencelab.webhooks import RecentKeys

    receiver = WebhookReceiver(secret, handler=received.append, recent=RecentKeys(ttl=1e-9))
    with serving(receiver) as url:
        with sandbox.client() as client:
            client.put(f"/_sandbox/pixels/{pixel_id}/webhook", json={"webhook_url": url})
            # the whole backlog, each event delivered twice
            total = len(client.get(
                f"/pixels/{pixel_id}" + ("/v4" if version == "v4" else ""),
                params={"page_size": 1000},
            ).json()["events"])  # fmt: skip
            client.post(f"/_sandbox/pixels/{pixel_id}/trigger",
                        json={"count": total, "faults": ["duplicate"]})  # fmt: skip
        wait_for(lambda: finished(sandbox, pixel_id, 2), timeout=30)
        wait_for(lambda: len(received) == 2 * total, timeout=30)

    pushed = make_pipeline("pushed")
    pushed.run(webhook_events(received))
    pulled = make_pipeline("pulled")
    source = audiencelab_source(
        api_key=sandbox.api_key, base_url=sandbox.base_url, pixel_ids=[pixel_id],
        pixel_versions=[version],
    ).with_resources("pixel_events")  # fmt: skip
    pulled.run(source)

    pushed_rows = _rows(pushed, pixel_id, version)
    assert len(pushed_rows) == total  # each event delivered twice, stored once
    assert pushed_rows == _rows(pulled, pixel_id, version)
    # pushing again what was polled adds nothing
    pulled.run(webhook_events(received[:5]))
    assert len(_rows(pulled, pixel_id, version)) == total

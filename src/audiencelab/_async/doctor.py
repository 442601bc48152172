"""The I/O of ``client.doctor()``: send each probe the session asks for, time it, hand back what
came back. Which probes, and what their answers mean, is :mod:`audiencelab._doctor`'s (pure)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from audiencelab._doctor import DoctorReport, DoctorSession
from audiencelab._doctor_probes import Observed, Probe
from audiencelab._exceptions import APIError, APIStatusError

if TYPE_CHECKING:
    from audiencelab._async.protocol import AsyncSender
    from audiencelab._config import Secret

__all__ = ["run_doctor"]


async def run_doctor(client: AsyncSender, key: Secret, *, with_preview: bool) -> DoctorReport:
    """Every probe of a doctor run, one after the other, through ``client``."""
    session = DoctorSession(
        base_url=client.base_url, key=key, with_preview=with_preview, now=datetime.now(UTC)
    )
    while (probe := session.next_probe()) is not None:
        session.record(probe, await _observe(client, probe))
    return session.report()


async def _observe(client: AsyncSender, probe: Probe) -> Observed:
    started = time.perf_counter()
    try:
        response = await client.send(probe.operation)
    except APIStatusError as exc:  # an error answer is an answer too: its shape is judged
        elapsed = (time.perf_counter() - started) * 1000
        return Observed(exc.status_code, exc.headers, exc.body, elapsed)
    except APIError as exc:  # unreachable, timed out, a redirect loop...
        elapsed = (time.perf_counter() - started) * 1000
        return Observed(None, {}, None, elapsed, failure=exc.summary)
    return Observed.of_response(response, (time.perf_counter() - started) * 1000)

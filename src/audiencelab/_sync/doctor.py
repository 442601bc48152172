# Generated from audiencelab/_async/doctor.py by scripts/unasync.py: do not edit.
# Edit the async source, then run `python scripts/unasync.py`.
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
    from audiencelab._config import Secret
    from audiencelab._sync.protocol import Sender

__all__ = ["run_doctor"]


def run_doctor(client: Sender, key: Secret, *, with_preview: bool) -> DoctorReport:
    """Every probe of a doctor run, one after the other, through ``client``."""
    session = DoctorSession(
        base_url=client.base_url, key=key, with_preview=with_preview, now=datetime.now(UTC)
    )
    while (probe := session.next_probe()) is not None:
        session.record(probe, _observe(client, probe))
    return session.report()


def _observe(client: Sender, probe: Probe) -> Observed:
    started = time.perf_counter()
    try:
        response = client.send(probe.operation)
    except APIStatusError as exc:  # an error answer is an answer too: its shape is judged
        elapsed = (time.perf_counter() - started) * 1000
        return Observed(exc.status_code, exc.headers, exc.body, elapsed)
    except APIError as exc:  # unreachable, timed out, a redirect loop...
        elapsed = (time.perf_counter() - started) * 1000
        return Observed(None, {}, None, elapsed, failure=exc.summary)
    return Observed.of_response(response, (time.perf_counter() - started) * 1000)

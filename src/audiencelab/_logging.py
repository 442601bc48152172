"""The ``audiencelab`` logger, and the structured event each record carries.

Every record the SDK logs has an ``audiencelab_event`` attribute (``record.audiencelab_event``)
naming what happened, so that applications (and our CLI) can filter or route records without
matching their text. The events:

``response``            DEBUG    an HTTP answer arrived (``METHOD /path -> 200 (84 ms)``)
``transport_error``     DEBUG    an attempt failed without an HTTP answer
``retry``               INFO     a failed attempt will be retried after a pause
``redirect``            DEBUG    a 3xx answer is followed (the key only ever to the API's origin)
``gone_after_retry``    INFO     a DELETE retried after an unclear answer found the thing gone
``request_failed``      DEBUG    a request failed for good (the exception follows)
``outcome_unknown``     WARNING  a create was sent, no usable answer came, it was not repeated
``throttled``           INFO     an export halved its concurrency after a 429
``export_resumed``      INFO     an export continued from its checkpoint
``columns_dropped``     WARNING  an export met columns after its CSV header / Parquet schema was fixed
``row_count_mismatch``  WARNING  an export wrote another number of rows than the API announced
``partial_jobs``        WARNING  ``create_jobs`` failed after creating some of its jobs
``audience_skipped``    WARNING  the dlt source skipped an audience still being built (or empty)
``pixel_events_skipped`` WARNING the dlt source skipped a pixel's events the API said are not found

When the application traces with OpenTelemetry, each record also has ``audiencelab_trace_id``
and ``audiencelab_span_id`` (hex), the IDs of the SDK operation's span, so that logs and traces
can be joined (``%(audiencelab_trace_id)s`` in a format string).

As a library should, it logs nowhere unless the application configures logging: the logger has a
:class:`logging.NullHandler`.
"""

from __future__ import annotations

import logging
from typing import Any

from audiencelab._otel import current_ids

__all__ = ["EVENT_ATTRIBUTE", "SPAN_ID_ATTRIBUTE", "TRACE_ID_ATTRIBUTE", "log", "logger"]

logger = logging.getLogger("audiencelab")
logger.addHandler(logging.NullHandler())

#: The attribute of every log record naming its event.
EVENT_ATTRIBUTE = "audiencelab_event"
#: The attributes with the trace and span IDs (not OpenTelemetry's own ``otelTraceID``, which its
#: logging instrumentation sets: a record may not be given an attribute twice).
TRACE_ID_ATTRIBUTE = "audiencelab_trace_id"
SPAN_ID_ATTRIBUTE = "audiencelab_span_id"


def log(level: int, event: str, message: str, *args: Any) -> None:
    """Log ``message % args`` at ``level``, tagged with ``event`` (and the trace, if any)."""
    if logger.isEnabledFor(level):
        extra = {EVENT_ATTRIBUTE: event}
        ids = current_ids()
        if ids is not None:
            extra[TRACE_ID_ATTRIBUTE], extra[SPAN_ID_ATTRIBUTE] = ids
        logger.log(level, message, *args, extra=extra)

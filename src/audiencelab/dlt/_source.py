"""The ``audiencelab`` dlt source: five resources over the SDK's sync client.

Resources (table = resource name):

``audiences``
    The audience list (``GET /audiences``), merged on ``id``.
``audience_records``
    The people of the selected audiences (``audience_ids``), or of every audience that is ready
    when none are selected (one still being built is skipped and logged). Yielded as Arrow tables,
    one per page (dlt's fast Arrow path), led by ``audience_id`` and ``person_key`` (the record's
    ``UUID``, or a hash of a record without one): every column a nullable string, as for
    :meth:`AudienceLab.audiences.record_batches`. Each audience's rows are replaced atomically:
    dlt stages the load, then in one transaction deletes the rows of every audience staged and
    inserts the staged rows, one per primary key (``audience_id``, ``person_key``). A file staged
    twice (dlt resuming a load killed midway) or a person listed twice still gives one row; a
    re-run repairs a table that held duplicates; people who left an audience are gone.
``enrichment_jobs``
    The bulk enrichment jobs (``GET /enrichments``), merged on ``id``.
``enrichment_results``
    The result file of each COMPLETED job not loaded before (the loaded job IDs are kept in
    dlt's state), as Arrow tables of text columns led by ``job_id`` and ``result_row`` (the row's
    number in the file); replaced per job as the records are per audience, one row per
    (``job_id``, ``result_row``).
``pixel_events``
    The events of every pixel (or of ``pixel_ids``), from the v3 and v4 endpoints (column
    ``api_version``), incremental: dlt's state keeps the time of the newest event loaded per pixel
    and version, and a run passes on only the events at least that recent (a cursor per pixel,
    so the backlog of a pixel added later is loaded whole). Each event gets an ``event_key`` (a
    hash of its content; the API gives events no ID) that the table is merged on, so an event
    read twice is stored once.

Column names: the API's UPPER_SNAKE names become their exact lower case
(``SKIPTRACE_B2B_ADDRESS`` -> ``skiptrace_b2b_address``; :mod:`audiencelab.dlt._naming`).

Settings are those of the client: ``api_key`` (a dlt secret: ``sources.audiencelab.api_key``,
else ``AUDIENCELAB_API_KEY``) and ``base_url`` (``sources.audiencelab.base_url``, else
``AUDIENCELAB_BASE_URL``, else the real API). The key is handed to the client only: it is not
in dlt's state, trace or logs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import dlt
from dlt.extract import DltResource

from audiencelab import (
    API_KEY_ENV,
    AudienceLab,
    AudienceNotReadyError,
    ConfigurationError,
    InputProblem,
    InputValidationError,
    NotFoundError,
    PixelEvent,
)
from audiencelab._arrow import check_stream_options, require_arrow
from audiencelab._logging import log
from audiencelab.dlt._naming import NAMING
from audiencelab.dlt._rows import PERSON_KEY, RESULT_ROW, PixelCursors, csv_tables, records_table
from audiencelab.webhooks import event_key as webhook_event_key

__all__ = ["RESOURCES", "RecordsProgress", "audiencelab_source", "webhook_events"]

RESOURCES = (
    "audiences",
    "audience_records",
    "enrichment_jobs",
    "enrichment_results",
    "pixel_events",
)
PIXEL_VERSIONS = ("v3", "v4")
_KEY_SECRET_ENV = "SOURCES__AUDIENCELAB__API_KEY"
_LIST_PAGE_SIZE = 100
_EVENTS_PER_ITEM = 500  # events handed to dlt as one list: fewer, larger items


def _replace_rows_of(column: str) -> Any:
    """dlt's ``delete-insert`` where the rows of every ``column`` value staged are deleted and
    the staged rows inserted, one per primary key, in one transaction.

    The scope is an ``IN`` over the staging table rather than dlt's ``merge_key``: with a
    primary key as well, a merge key makes dlt delete on ``pk OR merge key``, which DuckDB runs as
    a nested loop (162 s for 20,000 rows, growing as the square), where ``IN`` is a hash join
    (0.03 s).
    """
    return {
        "disposition": "merge",
        "strategy": "delete-insert",
        "destination_scope": f"{column} IN (SELECT {column} FROM {{staging_table}})",
    }


# Types of the fields that are often null, so that their columns exist from the first load.
_AUDIENCE_COLUMNS: Any = {
    "name": {"data_type": "text"},
    "next_scheduled_refresh": {"data_type": "text"},
    "scheduled_refresh": {"data_type": "bool"},
    "refresh_interval": {"data_type": "text"},
    "webhook_url": {"data_type": "text"},
}
_JOB_COLUMNS: Any = {
    "name": {"data_type": "text"},
    "csv_url": {"data_type": "text"},
    "total": {"data_type": "bigint"},
    "created_at": {"data_type": "timestamp"},
}


def _key_added_later(key: str, scope: str) -> Any:
    """Column hints for a table whose ``key`` came after its first loads: the key may be null
    (the old rows' values), and ``scope`` is no longer the merge key it was (the destination scope
    of :func:`_replace_rows_of` replaces it)."""
    return {key: {"nullable": True}, scope: {"merge_key": False}}


@dataclass(frozen=True)
class RecordsProgress:
    """Passed to ``on_progress`` after each page of an audience's records is read.

    ``audience`` counts the audiences of this run from 1, of ``audiences``; ``rows`` and
    ``pages`` are those of this audience so far, of ``total_records`` (as the API announces it).
    """

    audience_id: str
    audience: int
    audiences: int
    rows: int
    pages: int
    total_records: int | None


OnRecordsProgress = Callable[[RecordsProgress], None]


@dataclass(frozen=True)
class _Settings:
    """How the resources reach the API. The key is kept out of the repr."""

    api_key: str | None = field(repr=False)
    base_url: str | None
    page_size: int
    concurrency: int
    wait_timeout: float
    given: AudienceLab | None = None  # the caller's client: used as is, never closed here

    @contextlib.contextmanager
    def client(self) -> Iterator[AudienceLab]:
        if self.given is not None:
            yield self.given
            return
        with AudienceLab(api_key=self.api_key, base_url=self.base_url) as client:
            yield client


def _ids(value: str | Sequence[str] | None, name: str) -> list[str] | None:
    """A list of IDs (one ID alone is accepted as is), or None for all."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    bad = [item for item in items if not isinstance(item, str) or not item.strip()]
    if bad:
        raise InputValidationError(
            [InputProblem(name, f"expected IDs (non-empty strings), got {bad[0]!r}")]
        )
    return [item.strip() for item in items]


def _versions(value: str | Sequence[str]) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    unknown = [v for v in items if v not in PIXEL_VERSIONS]
    if unknown or not items:
        raise InputValidationError(
            [
                InputProblem(
                    "pixel_versions",
                    f"expected 'v3' and/or 'v4', got {unknown[0] if unknown else items!r}",
                )
            ]
        )
    return list(dict.fromkeys(items))


def _check_settings(settings: _Settings) -> None:
    """A missing key or a bad address fails here, when the source is made, not mid-run."""
    try:
        with settings.client():
            pass
    except ConfigurationError as exc:
        if exc.setting != "api_key" or settings.api_key is not None or os.environ.get(API_KEY_ENV):
            raise
        raise ConfigurationError(
            "No API key for the AudienceLab dlt source: set sources.audiencelab.api_key in "
            f".dlt/secrets.toml (or the environment variable {_KEY_SECRET_ENV}), or "
            f"{API_KEY_ENV}, or pass api_key=... . Keys are created in the AudienceLab dashboard "
            "under Settings > API Keys.",
            setting="api_key",
        ) from None


def _chunks(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(items, size)):
        yield chunk


# The schema (named "audiencelab", as the source) carries our naming convention.
@dlt.source(section="audiencelab", schema=dlt.Schema("audiencelab", normalizers={"names": NAMING}))
def audiencelab_source(
    api_key: str | None = dlt.secrets.value,
    base_url: str | None = dlt.config.value,
    audience_ids: Sequence[str] | None = None,
    pixel_ids: Sequence[str] | None = None,
    pixel_versions: Sequence[str] = PIXEL_VERSIONS,
    page_size: int = 1000,
    concurrency: int = 8,
    wait_timeout: float = 600.0,
    client: AudienceLab | None = None,
    on_progress: OnRecordsProgress | None = None,
) -> list[DltResource]:
    """AudienceLab's audiences, audience records, enrichment jobs and results, and pixel events.

    ``audience_ids``: the audiences whose records to load (default: every audience that is
    ready); a selected audience still being built is waited for up to ``wait_timeout`` seconds.
    ``pixel_ids``: the pixels whose events to load (default: all); ``pixel_versions``: which
    event endpoints to read (default both). ``page_size`` and ``concurrency`` are those of an
    export. ``client``: your own :class:`AudienceLab` (its key and address then win over
    ``api_key`` and ``base_url``; it is not closed). ``on_progress``: called with a
    :class:`RecordsProgress` after each page of records (it then also asks each audience's size,
    one small request). Choose resources with ``.with_resources("audience_records", ...)``.
    """
    check_stream_options(page_size, concurrency, wait_timeout)
    settings = _Settings(api_key, base_url, page_size, concurrency, wait_timeout, client)
    selected = _ids(audience_ids, "audience_ids")
    pixels = _ids(pixel_ids, "pixel_ids")
    versions = _versions(pixel_versions)
    _check_settings(settings)

    def audiences() -> Iterator[dict[str, Any]]:
        with settings.client() as client:
            for audience in client.audiences.list(page_size=_LIST_PAGE_SIZE):
                yield audience.model_dump(mode="json")

    def audience_records() -> Iterator[Any]:
        pa = require_arrow()
        with settings.client() as client:
            audiences = dict.fromkeys(selected) if selected is not None else _every_audience(client)
            readers = _readers(client, settings, audiences, selected=selected is not None)
            for number, audience_id, reader in readers:
                total = (
                    client.audiences.get(audience_id, page=1, page_size=1).total_records
                    if on_progress is not None
                    else None
                )
                rows = pages = 0
                with reader:
                    for batch in reader:
                        rows, pages = rows + batch.num_rows, pages + 1
                        if on_progress is not None:
                            on_progress(
                                RecordsProgress(
                                    audience_id, number, len(audiences), rows, pages, total
                                )
                            )
                        yield records_table(pa, batch, audience_id)

    def enrichment_jobs() -> Iterator[dict[str, Any]]:
        with settings.client() as client:
            for job in client.enrichment.jobs(page_size=_LIST_PAGE_SIZE):
                yield job.model_dump(mode="json")

    def enrichment_results() -> Iterator[Any]:
        pa = require_arrow()
        loaded: list[str] = dlt.current.resource_state("enrichment_results").setdefault(
            "loaded_jobs", []
        )
        with settings.client() as client, tempfile.TemporaryDirectory() as folder:
            for job in client.enrichment.jobs(page_size=_LIST_PAGE_SIZE):
                if job.status.upper() != "COMPLETED" or not job.csv_url or job.id in loaded:
                    continue
                path = Path(folder) / "results.csv"
                client.enrichment.download(job, path, overwrite=True)
                yield from csv_tables(pa, path, "job_id", job.id)
                loaded.append(job.id)

    def pixel_events() -> Iterator[list[dict[str, Any]]]:
        cursors = PixelCursors(dlt.current.resource_state("pixel_events"))
        with settings.client() as client:
            ids = pixels if pixels is not None else [p.id for p in client.pixels.list()]
            for pixel_id in ids:
                for version in versions:
                    pager = (
                        client.pixels.events_v4(pixel_id, page_size=settings.page_size)
                        if version == "v4"
                        else client.pixels.events(pixel_id, page_size=settings.page_size)
                    )
                    events = (event.model_dump(mode="json") for event in pager)
                    try:
                        yield from _chunks(
                            cursors.new_events(pixel_id, version, events), _EVENTS_PER_ITEM
                        )
                    except NotFoundError as exc:
                        log(
                            logging.WARNING,
                            "pixel_events_skipped",
                            "pixel_events: skipped the %s events of pixel %s (%s)",
                            version,
                            pixel_id,
                            exc,
                        )

    return [
        dlt.resource(
            audiences,
            name="audiences",
            primary_key="id",
            write_disposition="merge",
            columns=_AUDIENCE_COLUMNS,
        ),
        dlt.resource(
            audience_records,
            name="audience_records",
            write_disposition=_replace_rows_of("audience_id"),
            primary_key=("audience_id", PERSON_KEY),
            columns=_key_added_later(PERSON_KEY, "audience_id"),
        ),
        dlt.resource(
            enrichment_jobs,
            name="enrichment_jobs",
            primary_key="id",
            write_disposition="merge",
            columns=_JOB_COLUMNS,
        ),
        dlt.resource(
            enrichment_results,
            name="enrichment_results",
            write_disposition=_replace_rows_of("job_id"),
            primary_key=("job_id", RESULT_ROW),
            columns=_key_added_later(RESULT_ROW, "job_id"),
        ),
        dlt.resource(
            pixel_events, name="pixel_events", primary_key="event_key", write_disposition="merge"
        ),
    ]


def webhook_events(events: Iterable[PixelEvent]) -> DltResource:
    """Pixel events received by a webhook, as the ``pixel_events`` resource: the same table,
    columns and key (``event_key``) as the polling source's, merged on the key, so an event
    pushed and polled, or delivered twice, is one row.

    >>> pipeline.run(webhook_events(received))  # doctest: +SKIP
    """
    rows = [
        {**event.model_dump(mode="json"), "api_version": event.api_version,
         "event_key": webhook_event_key(event)}
        for event in events
    ]  # fmt: skip
    return dlt.resource(
        rows, name="pixel_events", primary_key="event_key", write_disposition="merge"
    )


def _every_audience(client: AudienceLab) -> dict[str, str | None]:
    """The ID and name of every audience the key sees (read whole: the list is short)."""
    return {a.id: a.name for a in client.audiences.list(page_size=_LIST_PAGE_SIZE)}


def _readers(
    client: AudienceLab, settings: _Settings, audiences: dict[str, str | None], *, selected: bool
) -> Iterator[tuple[int, str, Any]]:
    """(number from 1, audience ID, record batch reader) of each audience: a selected one is
    waited for, up to ``wait_timeout``; of every audience, one still being built is skipped and
    logged."""
    for number, (audience_id, name) in enumerate(audiences.items(), 1):
        try:
            reader = client.audiences.record_batches(
                audience_id,
                page_size=settings.page_size,
                concurrency=settings.concurrency,
                wait_timeout=settings.wait_timeout if selected else 0,
            )
        except AudienceNotReadyError:
            if selected:
                raise
            log(
                logging.WARNING,
                "audience_skipped",
                "audience_records: skipped audience %s (%s): it is still being built, or empty",
                audience_id,
                name,
            )
            continue
        yield number, audience_id, reader

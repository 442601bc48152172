"""What the resource classes share: the client handle, page items, building an export job."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from audiencelab import _operations as ops
from audiencelab._exceptions import InputProblem, InputValidationError
from audiencelab._export import ExportSink, infer_format
from audiencelab._exporting import DEFAULT_EXPORT_RETRIES, ExportJob, ExportProgress
from audiencelab._models import Page
from audiencelab._validate import check_positive_int, check_seconds

if TYPE_CHECKING:
    from audiencelab._client import AsyncAudienceLab, AudienceLab

ItemT = TypeVar("ItemT")
MAX_CONCURRENCY = 64


class SyncResource:
    def __init__(self, client: AudienceLab) -> None:
        self._client = client


class AsyncResource:
    def __init__(self, client: AsyncAudienceLab) -> None:
        self._client = client


def page_items(page: Page[ItemT]) -> list[ItemT]:
    return page.data


def export_job(
    pages: ops.PagedSource,
    *,
    path: str | os.PathLike[str],
    format: str | None,
    page_size: int,
    concurrency: int,
    resume: bool,
    overwrite: bool,
    neutralize_formulas: bool,
    max_retries: int | None,
    on_progress: Callable[[ExportProgress], None] | None,
    wait_timeout: float = 0.0,
) -> ExportJob:
    """Check the export's arguments, open its file (or its checkpoint) and plan the pages."""
    problems: list[InputProblem] = []
    check_positive_int(page_size, problems, "page_size", maximum=ops.MAX_PAGE_SIZE)
    check_positive_int(concurrency, problems, "concurrency", maximum=MAX_CONCURRENCY)
    check_seconds(wait_timeout, problems, "wait_timeout")
    if max_retries is not None:
        check_positive_int(max_retries, problems, "max_retries", minimum=0)
    if problems:
        raise InputValidationError(problems)
    sink = ExportSink.open(
        path,
        infer_format(path, format),
        source=pages.source,
        page_size=page_size,
        neutralize_formulas=neutralize_formulas,
        resume=resume,
        overwrite=overwrite,
    )
    return ExportJob(
        sink,
        lambda n: pages.page_op(n, page_size),
        pages.read_page,
        concurrency=concurrency,
        max_retries=DEFAULT_EXPORT_RETRIES if max_retries is None else max_retries,
        on_progress=on_progress,
    )

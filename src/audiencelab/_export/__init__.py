"""Exports: every record of an audience or segment to CSV, JSON Lines or Parquet, once, in order,
fast, with flat memory, resumable.

* :mod:`.formats`: the file formats, and which one a file name asks for;
* :mod:`.checkpoint`: the state saved after every page, and resuming from it;
* :mod:`.sink`: writing pages in order to the partial file, and finishing it;
* :mod:`.scheduler`: which pages to fetch now (concurrency, order, rate limits);
* :mod:`.runner`: the options and the job; the runner that moves its pages is
  ``audiencelab._async.export`` (tasks), generated into ``audiencelab._sync.export`` (threads).
"""

from audiencelab._export.formats import FORMATS, ExportFormat, infer_format
from audiencelab._export.runner import (
    DEFAULT_CONCURRENCY,
    DEFAULT_EXPORT_RETRIES,
    ExportJob,
    ExportOptions,
    ExportProgress,
    export_job,
)
from audiencelab._export.scheduler import PageScheduler
from audiencelab._export.sink import ExportSink, ExportStateError, ExportSummary

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_EXPORT_RETRIES",
    "FORMATS",
    "ExportFormat",
    "ExportJob",
    "ExportOptions",
    "ExportProgress",
    "ExportSink",
    "ExportStateError",
    "ExportSummary",
    "PageScheduler",
    "export_job",
    "infer_format",
]

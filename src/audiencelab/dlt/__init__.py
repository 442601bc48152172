"""AudienceLab as a dlt source (extra ``dlt``): audiences, their records, enrichment jobs and
results, and pixel events, into DuckDB, Postgres, BigQuery, Snowflake and every other destination
dlt loads into.

>>> import dlt
>>> from audiencelab.dlt import audiencelab_source
>>> pipeline = dlt.pipeline("audiencelab", destination="duckdb", dataset_name="audiencelab")
>>> pipeline.run(audiencelab_source(audience_ids=["..."]))  # doctest: +SKIP

The API key comes from the ``api_key`` argument, dlt's secrets (``sources.audiencelab.api_key``,
or the environment variable ``SOURCES__AUDIENCELAB__API_KEY``), or ``AUDIENCELAB_API_KEY``.
"""

from __future__ import annotations

import importlib.util as _importlib_util

if _importlib_util.find_spec("dlt") is None or _importlib_util.find_spec("pyarrow") is None:
    raise ImportError(  # pragma: no cover - depends on the installed extras
        'the AudienceLab dlt source needs the "dlt" extra: pip install "audiencelab[dlt]"'
    )

from audiencelab.dlt._source import RESOURCES, RecordsProgress, audiencelab_source, webhook_events

__all__ = ["RESOURCES", "RecordsProgress", "audiencelab_source", "webhook_events"]

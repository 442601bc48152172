"""Build any request without sending it: check the input, get the exact method, path and bytes.

Every call of the clients goes through one of these pure functions first, so they refuse exactly
what the clients refuse, with the same :class:`~audiencelab.InputValidationError`, and nothing is
sent, no key is needed. Use them for dry runs, to log or sign requests, or to test your own
filters::

    >>> from audiencelab import operations
    >>> op = operations.create_audience("NYC", {"city": "New York", "state": ["New York"]})
    >>> op.method, op.path, op.content
    ('POST', '/audiences', b'{"name":"NYC","filters":{"city":["New York"],"state":["NY"]}}')

The values whose lists the API serves (industries, departments, seniority, SIC codes, segments)
are checked against the lists of ``client=`` (a sync client fetches them), or ``lists=`` (e.g.
``await async_client.audiences.value_lists(needed_lists(filters, segment))``); with neither, the
bundled lists alone are used and a :class:`~audiencelab.FilterValueWarning` says which values
were not checked. :func:`plan_create_audience` and :func:`plan_preview_audience` give the whole
:class:`Plan` (problems, body, warnings, the lists needed) instead of raising. :data:`FILTERS` is
the catalogue of filter keys everything is checked from; :data:`BUNDLED_LISTS` and
:func:`bundled_list` give the lists no endpoint serves (education, income_range...).

An :class:`Operation` is frozen: ``method``, ``path``, ``params`` (the query), ``body`` (the JSON
value), ``content`` (its exact bytes: compact UTF-8 JSON, keys in the official order) and
``safe_to_retry`` (False for the requests that create something).
"""

from audiencelab._catalogue import FILTERS, FILTERS_BY_PATH, SEGMENT, FilterSpec
from audiencelab._create_many import create_operations as create_many
from audiencelab._operations import (
    ATTRIBUTE_NAMES,
    ENRICH_FIELDS,
    ENRICH_MATCH_KEYS,
    JOB_COLUMNS,
    MAX_JOB_BODY_BYTES,
    MAX_PAGE_SIZE,
    NO_LISTS,
    PIXEL_EVENT_TYPES,
    PIXEL_VERSIONS,
    Plan,
    ValueLists,
    audience_attributes,
    audience_records,
    create_audience,
    create_custom_audience,
    create_enrichment_job,
    create_pixel,
    delete_audience,
    delete_pixel,
    enrich_contact,
    job_bodies,
    job_body,
    list_audiences,
    list_enrichment_jobs,
    list_pixels,
    needed_lists,
    pixel_events,
    preview_audience,
    segment_records,
)
from audiencelab._operations import plan_create as plan_create_audience
from audiencelab._operations import plan_preview as plan_preview_audience
from audiencelab._sansio import Operation, encode_json
from audiencelab._vocabularies import BUNDLED_LISTS, bundled_list

__all__ = [
    "ATTRIBUTE_NAMES",
    "BUNDLED_LISTS",
    "ENRICH_FIELDS",
    "ENRICH_MATCH_KEYS",
    "FILTERS",
    "FILTERS_BY_PATH",
    "JOB_COLUMNS",
    "MAX_JOB_BODY_BYTES",
    "MAX_PAGE_SIZE",
    "NO_LISTS",
    "PIXEL_EVENT_TYPES",
    "PIXEL_VERSIONS",
    "SEGMENT",
    "FilterSpec",
    "Operation",
    "Plan",
    "ValueLists",
    "audience_attributes",
    "audience_records",
    "bundled_list",
    "create_audience",
    "create_custom_audience",
    "create_enrichment_job",
    "create_many",
    "create_pixel",
    "delete_audience",
    "delete_pixel",
    "encode_json",
    "enrich_contact",
    "job_bodies",
    "job_body",
    "list_audiences",
    "list_enrichment_jobs",
    "list_pixels",
    "needed_lists",
    "pixel_events",
    "plan_create_audience",
    "plan_preview_audience",
    "preview_audience",
    "segment_records",
]

"""Enrichment operations: one contact (``POST /enrich``) and bulk jobs (``/enrichments``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audiencelab._exceptions import (
    AudienceLabError,
    CallMethod,
    EnrichmentJobFailedError,
    InputProblem,
    InputValidationError,
    NotFoundError,
    WaitTimeoutError,
)
from audiencelab._models import EnrichmentJob, EnrichmentJobCreated, EnrichResult, Page
from audiencelab._operations._common import model, not_found_among, paging_params, raise_if
from audiencelab._sansio import Operation, encode_json, path_param
from audiencelab._validate import check_bool, check_name, check_positive_int, closest, describe

ENRICH_MATCH_KEYS = (
    "email", "first_name", "last_name", "company", "phone", "address", "city", "state", "zip",
    "linkedin_url",
)  # fmt: skip
ENRICH_FIELDS = (
    "company", "job_title", "first_name", "last_name", "b2b_email", "personal_email", "b2b_phone",
    "personal_phone", "sha256", "linkedin_url", "address", "city", "state", "zip", "industry",
    "company_domain",
)  # fmt: skip
# The 16 columns documented for enrichment jobs, plus JOB_TITLE, which the newest source (Sep 2026)
# lists as supported. PHONE_NUMBER is not one of them: the API wants PHONE.
JOB_COLUMNS = (
    "EMAIL", "PERSONAL_EMAIL", "BUSINESS_EMAIL", "FIRST_NAME", "LAST_NAME", "PHONE",
    "PERSONAL_ADDRESS", "PERSONAL_CITY", "PERSONAL_STATE", "PERSONAL_ZIP", "COMPANY_NAME",
    "COMPANY_DOMAIN", "COMPANY_INDUSTRY", "SHA256_PERSONAL_EMAIL", "LINKEDIN_URL", "UP_ID",
    "JOB_TITLE",
)  # fmt: skip
JOB_OPERATORS = ("AND", "OR")
# The backend runs on Cloud Run, whose request bodies are limited to 32 MiB: stay well under.
MAX_JOB_BODY_BYTES = 30 * 1024 * 1024
_PHONE_SPELLINGS = ("phone_number", "phonenumber", "mobile")


def enrich_contact(
    filter: Mapping[str, str],
    fields: Sequence[str] | None = None,
    is_or_match: bool = False,
    request_id: str | None = None,
) -> Operation[EnrichResult]:
    """``POST /enrich``: known match keys with non-empty values, documented fields."""
    problems: list[InputProblem] = []
    body: dict[str, Any] = {}
    if not isinstance(filter, Mapping) or not filter:
        problems.append(
            InputProblem(
                "filter", f"expected at least one match key ({', '.join(ENRICH_MATCH_KEYS)})"
            )
        )
    else:
        clean: dict[str, str] = {}
        for key, value in filter.items():
            if key not in ENRICH_MATCH_KEYS:
                guess = closest(str(key), ENRICH_MATCH_KEYS)
                message = "unknown match key"
                if guess is None:
                    message += f"; use {', '.join(ENRICH_MATCH_KEYS)}"
                problems.append(InputProblem.at(("filter", str(key)), message, guess))
            elif not isinstance(value, str) or not value.strip():
                problems.append(
                    InputProblem.at(
                        ("filter", key), f"expected a non-empty string, got {describe(value)}"
                    )
                )
            else:
                clean[key] = value
        body["filter"] = clean
    if fields is not None:
        if isinstance(fields, str):
            fields = [fields]
        for i, field in enumerate(fields):
            if field not in ENRICH_FIELDS:
                problems.append(
                    InputProblem.at(
                        ("fields", i),
                        f"{field!r} is not a documented field",
                        closest(str(field), ENRICH_FIELDS),
                    )
                )
        body["fields"] = list(fields)
    if request_id is not None:
        check_name(request_id, problems, "request_id")
        body["request_id"] = request_id
    check_bool(is_or_match, problems, "is_or_match")
    if is_or_match is True:
        body["is_or_match"] = True
    raise_if(problems)
    return Operation("POST", "/enrich", parse=model(EnrichResult), body=body)


def job_body(
    name: str,
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    operator: str = "OR",
) -> dict[str, Any]:
    """The body of ``POST /enrichments``, checked: known columns, lowercase record keys."""
    problems: list[InputProblem] = []
    check_name(name, problems)
    op = operator.upper() if isinstance(operator, str) else operator
    if op not in JOB_OPERATORS:
        problems.append(InputProblem("operator", f"expected 'AND' or 'OR', got {operator!r}"))
    allowed_keys = {c.lower(): c for c in JOB_COLUMNS}
    seen: dict[str, None] = {}
    clean_records: list[dict[str, str]] = []
    given: object = records  # checked at run time: callers without a type checker pass anything
    items: Sequence[object] = []
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
        problems.append(
            InputProblem("records", f"expected a list of objects, got {describe(given)}")
        )
    elif not given:
        problems.append(InputProblem("records", "must contain at least one record"))
    else:
        items = given
    for i, record in enumerate(items):
        if not isinstance(record, Mapping):
            problems.append(
                InputProblem.at(("records", i), f"expected an object, got {describe(record)}")
            )
            continue
        clean: dict[str, str] = {}
        for key, value in record.items():
            if key not in allowed_keys:
                problems.append(_unknown_record_key(i, str(key)))
            elif value is None or value == "":
                continue  # missing values are left out rather than sent empty
            elif not isinstance(value, str):
                problems.append(
                    InputProblem.at(
                        ("records", i, key), f"expected a string, got {describe(value)}"
                    )
                )
            else:
                clean[key] = value
                seen.setdefault(key)
        clean_records.append(clean)
    if columns is None:
        column_list = [allowed_keys[k] for k in seen]
    else:
        column_list = [columns] if isinstance(columns, str) else list(columns)
        for i, column in enumerate(column_list):
            if column not in JOB_COLUMNS:
                problems.append(_unknown_column(i, str(column)))
        missing = [k for k in seen if allowed_keys[k] not in column_list]
        if missing:
            problems.append(
                InputProblem(
                    "columns",
                    f"records have {', '.join(missing)} but columns do not list {', '.join(allowed_keys[k] for k in missing)}",
                )
            )
    raise_if(problems)
    return {"name": name, "records": clean_records, "operator": op, "columns": column_list}


def _unknown_record_key(index: int, key: str) -> InputProblem:
    loc = ("records", index, key)
    if key.upper() in JOB_COLUMNS:
        return InputProblem.at(loc, "record keys are lowercase", key.lower())
    if key.lower() in _PHONE_SPELLINGS:
        return InputProblem.at(loc, "unknown record key", "phone")
    guess = closest(key, [c.lower() for c in JOB_COLUMNS])
    if guess is None:
        known = ", ".join(c.lower() for c in JOB_COLUMNS)
        return InputProblem.at(loc, f"unknown record key; the columns a job takes are: {known}")
    return InputProblem.at(loc, "unknown record key", guess)


def _unknown_column(index: int, column: str) -> InputProblem:
    loc = ("columns", index)
    if column.upper() == "PHONE_NUMBER":
        return InputProblem.at(loc, "'PHONE_NUMBER' is not accepted by the API", "PHONE")
    if column.upper() in JOB_COLUMNS:
        return InputProblem.at(loc, "columns are UPPER_SNAKE", column.upper())
    return InputProblem.at(
        loc, f"{column!r} is not an enrichment column", closest(column, JOB_COLUMNS)
    )


def create_enrichment_job(body: dict[str, Any]) -> Operation[EnrichmentJobCreated]:
    """``body`` from :func:`job_body`. Refuses (never truncates) a body over the request limit."""
    size = len(encode_json(body))
    if size > MAX_JOB_BODY_BYTES:
        raise InputValidationError(
            [
                InputProblem(
                    "records",
                    f"{len(body['records']):,} records make a {size / 2**20:.1f} MiB request, over "
                    f"the {MAX_JOB_BODY_BYTES / 2**20:.0f} MiB limit of one job",
                    remedy=CallMethod(
                        "enrichment.create_jobs", purpose="to split them into several jobs"
                    ),
                )
            ]
        )
    return Operation(
        "POST",
        "/enrichments",
        parse=model(EnrichmentJobCreated),
        body=body,
        safe_to_retry=False,
        check_outcome=CallMethod(
            "enrichment.jobs",
            purpose=f"to see whether a job named {body['name']!r} exists before creating it again",
        ),
    )


def split_records(records: Sequence[Any], records_per_job: int) -> list[Sequence[Any]]:
    problems: list[InputProblem] = []
    check_positive_int(records_per_job, problems, "records_per_job")
    raise_if(problems)
    return [records[i : i + records_per_job] for i in range(0, len(records), records_per_job)]


def job_bodies(
    name: str,
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None,
    operator: str,
    records_per_job: int,
) -> list[dict[str, Any]]:
    """The bodies of ``create_jobs``: every record checked (with its index in ``records``) and
    every part's size checked, before anything is sent. Parts are named "NAME (part i of n)"."""
    whole = job_body(name, records, columns, operator)
    chunks = split_records(whole["records"], records_per_job)
    bodies = [
        {
            **whole,
            "name": name if len(chunks) == 1 else f"{name} (part {i} of {len(chunks)})",
            "records": chunk,
        }
        for i, chunk in enumerate(chunks, start=1)
    ]
    for body in bodies:
        create_enrichment_job(body)  # the size limit, for every part
    return bodies


def list_enrichment_jobs(page: int, page_size: int) -> Operation[Page[EnrichmentJob]]:
    return Operation(
        "GET",
        "/enrichments",
        params=paging_params(page, page_size),
        parse=model(Page[EnrichmentJob]),
    )


def job_id_of(job: str | EnrichmentJob | EnrichmentJobCreated) -> str:
    if isinstance(job, EnrichmentJob):
        return job.id
    if isinstance(job, EnrichmentJobCreated):
        return job.job_id
    path_param(job, "job_id")  # checks it is a non-empty string
    return job


def job_not_found(job_id: str) -> NotFoundError:
    """``get_job`` looked through every job of the key (``GET /enrichments``) without finding it."""
    return not_found_among("enrichment job", job_id, "/enrichments", "enrichment.jobs")


def job_wait_timeout(job_id: str, waited: float) -> WaitTimeoutError:
    return WaitTimeoutError(
        f"enrichment job {job_id} was not finished after {waited:.0f} s",
        remedy=CallMethod("enrichment.wait", (job_id,), "again later"),
    )


def finished(job: EnrichmentJob) -> EnrichmentJob | None:
    """What ``wait`` returns: the job once it is COMPLETED or NO_DATA, None while it runs; a
    FAILED job raises."""
    status = job.status.upper()
    if status == "FAILED":
        raise EnrichmentJobFailedError(job)
    return job if job.done else None


def downloadable(job: EnrichmentJob) -> str:
    """The result URL of a finished job, or the reason there is none."""
    status = job.status.upper()
    if status == "NO_DATA":
        raise AudienceLabError(
            f"enrichment job {job.id} ended NO_DATA: none of its records matched anyone, so "
            "there is nothing to download"
        )
    if status == "FAILED":
        raise EnrichmentJobFailedError(job)
    if not job.done:
        raise AudienceLabError(
            f"enrichment job {job.id} is {job.status}: it has no results yet",
            remedy=CallMethod("enrichment.wait", (job.id,), "first"),
        )
    if not job.csv_url:
        raise AudienceLabError(
            f"enrichment job {job.id} ({job.status}) has no result file (csv_url)"
        )
    return job.csv_url

"""Deterministic synthetic enrichment: one contact (``POST /enrich``) or a bulk job's CSV."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Sequence

from audiencelab.sandbox._columns import CSV_COLUMNS
from audiencelab.sandbox._criteria import STATE_BY_NAME, Criteria
from audiencelab.sandbox._generate import plan_for
from audiencelab.sandbox._sampling import email_domain, slug, stable_int

__all__ = [
    "JOB_COLUMN_KEYS",
    "any_record_matches",
    "csv_chunks",
    "enrich_contact",
    "enrich_record",
]

#: Share of well-formed lookups that find no one (per cent), by operator (chosen: match rates of
#: contact-data vendors are commonly quoted at 60-80 %; OR matches more than AND).
MISS_PERCENT = {"AND": 30, "OR": 18}

#: ``columns`` of a bulk job -> the lowercase record key(s) holding that value.
JOB_COLUMN_KEYS: dict[str, tuple[str, ...]] = {
    "EMAIL": ("email",),
    "PERSONAL_EMAIL": ("personal_email",),
    "BUSINESS_EMAIL": ("business_email",),
    "FIRST_NAME": ("first_name",),
    "LAST_NAME": ("last_name",),
    "PHONE": ("phone",),
    "PERSONAL_ADDRESS": ("personal_address", "address"),
    "PERSONAL_CITY": ("personal_city", "city"),
    "PERSONAL_STATE": ("personal_state", "state"),
    "PERSONAL_ZIP": ("personal_zip", "zip"),
    "COMPANY_NAME": ("company_name", "company"),
    "COMPANY_DOMAIN": ("company_domain",),
    "COMPANY_INDUSTRY": ("company_industry", "industry"),
    "SHA256_PERSONAL_EMAIL": ("sha256_personal_email", "sha256"),
    "LINKEDIN_URL": ("linkedin_url",),
    "UP_ID": ("up_id",),
    "JOB_TITLE": ("job_title",),
}

_EMPLOYED = Criteria(not_nulls=("COMPANY_NAME", "PERSONAL_EMAILS", "MOBILE_PHONE"))
_ANYONE = Criteria(not_nulls=("PERSONAL_EMAILS",))


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def _identifiable(m: dict[str, str], is_or: bool) -> bool:
    strong = any(k in m for k in ("email", "phone", "linkedin_url", "sha256", "up_id"))
    named = "first_name" in m and "last_name" in m
    if is_or:
        return strong or named
    return strong or (named and any(k in m for k in ("address", "zip", "company", "city")))


def _lookup(match: dict[str, str], is_or: bool) -> tuple[dict[str, str], int] | None:
    """The cleaned match keys and their hash, or ``None`` when the lookup finds no one."""
    m = {k: v.strip() for k, v in match.items() if v and v.strip()}
    if not m or not _identifiable(m, is_or):
        return None
    h = stable_int("enrich", *sorted((k, _norm(v)) for k, v in m.items()))
    if h % 100 < MISS_PERCENT["OR" if is_or else "AND"]:
        return None
    return m, h


def enrich_record(match: dict[str, str], *, is_or: bool) -> dict[str, str] | None:
    """The person a set of match keys resolves to, or ``None`` for a miss. Deterministic."""
    found = _lookup(match, is_or)
    if found is None:
        return None
    m, h = found
    plan = plan_for(_EMPLOYED if ("company" in m or h & 256) else _ANYONE)
    row = plan.rows(h >> 24, (h >> 24) + 1)[0]
    return _apply(row, m)


def _apply(row: dict[str, str], m: dict[str, str]) -> dict[str, str]:
    """Make a generated person agree with what the caller already knows about them."""
    first = m.get("first_name", row["FIRST_NAME"])
    last = m.get("last_name", row["LAST_NAME"])
    row["FIRST_NAME"], row["LAST_NAME"] = first, last
    fs, ls = slug(first) or "contact", slug(last) or "person"
    if "company" in m:
        row["COMPANY_NAME"] = m["company"]
        row["HEADLINE"] = f"{row['JOB_TITLE']} at {m['company']}" if row["JOB_TITLE"] else ""
    if "company_domain" in m:
        row["COMPANY_DOMAIN"] = m["company_domain"].lower()
    elif "company" in m:
        row["COMPANY_DOMAIN"] = f"{slug(m['company']) or 'company'}.example.com"
    if "industry" in m:
        row["COMPANY_INDUSTRY"] = m["industry"]
    if "job_title" in m:
        row["JOB_TITLE"] = m["job_title"]
    email = m.get("email")
    if email is None:
        email = f"{fs}.{ls}{stable_int(fs, ls) % 90 + 10}@example.com"
    row["PERSONAL_EMAILS"] = row["PERSONAL_VERIFIED_EMAILS"] = email
    row["SHA256_PERSONAL_EMAIL"] = (
        m.get("sha256") or hashlib.sha256(email.lower().encode()).hexdigest()
    )
    if row["BUSINESS_EMAIL"]:
        row["BUSINESS_EMAIL"] = f"{fs}.{ls}@{email_domain(row['COMPANY_DOMAIN'] or 'example.com')}"
        row["SHA256_BUSINESS_EMAIL"] = hashlib.sha256(row["BUSINESS_EMAIL"].encode()).hexdigest()
        if row["BUSINESS_VERIFIED_EMAILS"]:
            row["BUSINESS_VERIFIED_EMAILS"] = row["BUSINESS_EMAIL"]
    if "phone" in m:
        row["MOBILE_PHONE"] = m["phone"]
        row["MOBILE_PHONE_DNC"] = row["MOBILE_PHONE_DNC"] or "N"
        row["VALID_PHONES"] = ", ".join(p for p in (m["phone"], row["PERSONAL_PHONE"]) if p)
    if "linkedin_url" in m:
        row["LINKEDIN_URL"] = m["linkedin_url"]
    for key, col in (
        ("address", "PERSONAL_ADDRESS"),
        ("city", "PERSONAL_CITY"),
        ("zip", "PERSONAL_ZIP"),
    ):
        if key in m:
            row[col] = m[key]
    if "state" in m:
        row["PERSONAL_STATE"] = STATE_BY_NAME.get(m["state"].casefold(), m["state"])
    if row["SKIPTRACE_NAME"]:
        row["SKIPTRACE_NAME"] = f"{first} {last}".upper()
        row["SKIPTRACE_ADDRESS"] = row["PERSONAL_ADDRESS"].upper()
        row["SKIPTRACE_CITY"] = row["PERSONAL_CITY"].upper()
        row["SKIPTRACE_STATE"] = row["PERSONAL_STATE"]
        row["SKIPTRACE_ZIP"] = row["PERSONAL_ZIP"]
    return row


def enrich_contact(
    match: dict[str, str], fields: Sequence[str] | None, *, is_or: bool
) -> list[dict[str, str]]:
    """``POST /enrich``: zero or one matching profile with UPPER_SNAKE keys."""
    row = enrich_record(match, is_or=is_or)
    if row is None:
        return []
    if fields is not None:
        row = {col: row.get(col, "") for col in fields}
    return [row]


def _record_match(record: dict[str, str], columns: Sequence[str]) -> dict[str, str]:
    """Turn one bulk-job record (lowercase keys) into ``enrich_record`` match keys."""
    use = columns or tuple(JOB_COLUMN_KEYS)
    values: dict[str, str] = {}
    for col in use:
        for key in JOB_COLUMN_KEYS[col]:
            if record.get(key):
                values[col] = record[key]
                break
    m: dict[str, str] = {}
    for col, key in (
        ("EMAIL", "email"), ("PERSONAL_EMAIL", "email"), ("BUSINESS_EMAIL", "email"),
        ("FIRST_NAME", "first_name"), ("LAST_NAME", "last_name"), ("PHONE", "phone"),
        ("PERSONAL_ADDRESS", "address"), ("PERSONAL_CITY", "city"), ("PERSONAL_STATE", "state"),
        ("PERSONAL_ZIP", "zip"), ("COMPANY_NAME", "company"), ("COMPANY_DOMAIN", "company_domain"),
        ("COMPANY_INDUSTRY", "industry"), ("SHA256_PERSONAL_EMAIL", "sha256"),
        ("LINKEDIN_URL", "linkedin_url"), ("UP_ID", "up_id"), ("JOB_TITLE", "job_title"),
    ):  # fmt: skip
        if col in values and key not in m:
            m[key] = values[col]
    return m


def _miss_row(m: dict[str, str]) -> dict[str, str]:
    row = dict.fromkeys(CSV_COLUMNS, "")
    for key, col in (
        ("first_name", "FIRST_NAME"), ("last_name", "LAST_NAME"), ("email", "PERSONAL_EMAILS"),
        ("phone", "MOBILE_PHONE"), ("address", "PERSONAL_ADDRESS"), ("city", "PERSONAL_CITY"),
        ("state", "PERSONAL_STATE"), ("zip", "PERSONAL_ZIP"), ("company", "COMPANY_NAME"),
        ("company_domain", "COMPANY_DOMAIN"), ("industry", "COMPANY_INDUSTRY"),
        ("sha256", "SHA256_PERSONAL_EMAIL"), ("linkedin_url", "LINKEDIN_URL"),
        ("job_title", "JOB_TITLE"),
    ):  # fmt: skip
        if key in m:
            row[col] = m[key]
    return row


def any_record_matches(
    records: Sequence[dict[str, str]], columns: Sequence[str], operator: str
) -> bool:
    """Whether a bulk job finds anyone (cheap: no profile is built; stops at the first match)."""
    for record in records:
        m = _record_match(record, columns)
        if m and _lookup(m, operator == "OR") is not None:
            return True
    return False


def csv_chunks(
    records: Sequence[dict[str, str]], columns: Sequence[str], operator: str, chunk: int = 500
) -> Iterator[str]:
    """The result CSV of a bulk job: the 74 columns of reference §8, one row per input record."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, record in enumerate(records, 1):
        m = _record_match(record, columns)
        row = enrich_record(m, is_or=operator == "OR") if m else None
        if row is None:
            row = _miss_row(m)
        writer.writerow([row.get(col, "") for col in CSV_COLUMNS])
        if n % chunk == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()

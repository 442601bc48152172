"""The columns of a plan's people, and their JSON written from the columns.

A plan (``_generate``) holds the lookup tables; a row is some random bytes read through them.
:func:`columns` reads one or two bytes of every row at once per column (a list comprehension over
a stride of the bytes), which costs a fraction of a loop over the rows and a dict per person;
:func:`rows_json` writes orjson's bytes for those rows without making the dicts. The rows are
the same as before the columns (``tests/sandbox/test_rows_snapshot.py`` pins their bytes).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

import orjson

from audiencelab.sandbox import _workforce
from audiencelab.sandbox._columns import RECORD_COLUMNS
from audiencelab.sandbox._persons import (
    AGE_RANGES,
    AGE_STRINGS,
    EDUCATION_STRINGS,
    FIRST_F,
    FIRST_M,
    FIRST_U,
    INTEREST_STRINGS,
    LAST_NAMES,
    STREETS,
    TWO_DIGITS,
    ZIP4,
)
from audiencelab.sandbox._sampling import PERSONAL_DOMAINS, TEST_NETS

if TYPE_CHECKING:
    from audiencelab.sandbox._generate import Plan

__all__ = ["PLAIN_TABLES", "ROW_BYTES", "columns", "pause", "plain", "rows_json"]

#: Random bytes per person: each byte (or pair) of a row picks one attribute from a table; 80 is
#: enough for every column with a few to spare.
ROW_BYTES = 80


def pause() -> None:
    """Let other threads have the interpreter lock for a moment: a page is generated in a worker
    thread, and without this the event loop would wait for the lock up to the switch interval
    (5 ms) each time it wakes, many times per answer, while a page is made. Called between groups
    of columns, 11 times per page.

    It hashes 4 KB: hashlib lets go of the lock while it hashes 2 KB or more, and a waiting
    thread takes it then, without a system call (``time.sleep(0)`` did the same with one, and
    on this 2-core machine under a load of 10 each cost 156 us against 2.6 us for the hash,
    the system call giving the CPU away to other processes). Measured with a thread doing 100 us
    pieces of work: the delay of another thread's 1 ms sleep, median 7.0 ms without a pause,
    0.13 ms with this one (docs/benchmarks.md)."""
    _hash(_GIL_BUFFER)


_hash = hashlib.sha256
#: What :func:`pause` hashes: more than hashlib's 2 KB threshold for letting go of the lock.
_GIL_BUFFER = bytes(4096)


def rows_json(plan: Plan, start: int, stop: int) -> bytes:
    """The JSON of ``plan.rows(start, stop)``, without the array's brackets: ``{...},{...}`` (``b""`` for
    none). The same bytes as ``orjson.dumps(rows)[1:-1]``, written from the columns without
    making a dict per person: a page's rows cost about half then (``bench/sandbox_page.py``)."""
    if plan.population == 0 or stop <= start:
        return b""
    cols = plan.columns(start, stop)
    if not plan.plain:
        # some text needs JSON escapes (a city or company name as a filter gave it): orjson
        return orjson.dumps(
            [dict(zip(RECORD_COLUMNS, row, strict=True)) for row in zip(*cols, strict=True)]
        )[1:-1]
    for k in _JSON_TEXT_COLUMNS:  # values that hold JSON strings: their quotes escaped
        cols[k] = [v.replace("\\", "\\\\").replace('"', '\\"') if v else v for v in cols[k]]
    n = stop - start
    width = 2 * len(RECORD_COLUMNS) + 1
    flat: list[str] = [""] * (width * n)
    for k, col in enumerate(cols):
        flat[2 * k :: width] = [_JSON_KEYS[k]] * n
        flat[2 * k + 1 :: width] = col
        if k % 16 == 15:
            pause()
    flat[width - 1 :: width] = ['"},'] * n
    flat[-1] = '"}'
    pause()
    return "".join(flat).encode()


def columns(plan: Plan, start: int, stop: int) -> list[list[str]]:
    """Rows ``start`` to ``stop`` as columns, in the order of ``RECORD_COLUMNS``: each a list
    of one value per row (``start < stop``). Each column is one pass over one or
    two bytes of every row's random bytes, which costs a fraction of a loop over the rows."""
    d, base = plan.random_bytes(start, stop)
    lo, hi = (start - base) * ROW_BYTES, (stop - base) * ROW_BYTES

    def at(k: int) -> bytes:
        """Byte ``k`` of every row's random bytes."""
        return d[lo + k : hi : ROW_BYTES]

    gender_t, age_t, loc_t = plan.gender_t, plan.age_t, plan.loc_t
    job_t, company_t = plan.job_t, plan.company_t
    thr = plan.thr
    t_employed = thr["employed"] if job_t else 0
    two, age_str, nets = TWO_DIGITS, AGE_STRINGS, TEST_NETS
    sha256 = hashlib.sha256
    b49 = at(49)

    # who and where
    gender = [gender_t[x] for x in at(0)]
    age = [age_t[(x << 8 | y) & 1023] for x, y in zip(at(1), at(2), strict=True)]
    names = [
        (FIRST_M if g == "M" else FIRST_F if g == "F" else FIRST_U)[x]
        for g, x in zip(gender, at(3), strict=True)
    ]
    first = [t[0] for t in names]
    fs = [t[1] for t in names]
    lasts = [LAST_NAMES[(x << 8 | y) & 1023] for x, y in zip(at(4), at(5), strict=True)]
    last = [t[0] for t in lasts]
    ls = [t[1] for t in lasts]
    locs = [loc_t[x << 8 | y] for x, y in zip(at(6), at(7), strict=True)]
    city = [t[0] for t in locs]
    state = [t[1] for t in locs]
    zip_ = [t[2][x % len(t[2])] for t, x in zip(locs, at(8), strict=True)]
    hn = [x << 8 | y for x, y in zip(at(10), at(11), strict=True)]
    address = [f"{h % 9900 + 100} {STREETS[x]}" for h, x in zip(hn, at(12), strict=True)]
    d13, d14 = at(13), at(14)
    area = [t[3][x % len(t[3])] for t, x in zip(locs, d13, strict=True)]
    zip4_t = plan.zip4_t
    zip4 = [ZIP4[h] if zip4_t[x] else "" for h, x in zip(hn, at(9), strict=True)]

    pause()
    # phones
    t = thr["mobile"]
    mobile = [
        f"+1{a}55501{two[x % 100]}" if p < t else ""
        for a, x, p in zip(area, d13, at(32), strict=True)
    ]
    mobile_dnc = [
        ("Y" if x & 3 == 0 else "N") if m else "" for m, x in zip(mobile, b49, strict=True)
    ]
    t = thr["pphone"]
    pphone = [
        f"+1{w[3][x % len(w[3])]}55501{two[x % 100]}" if p < t else ""
        for w, x, p in zip(locs, d14, at(33), strict=True)
    ]
    pphone_dnc = [
        ("Y" if x & 12 == 0 else "N") if m else "" for m, x in zip(pphone, b49, strict=True)
    ]
    valid = [f"{m}, {p}" if m and p else m or p for m, p in zip(mobile, pphone, strict=True)]

    pause()
    # personal emails
    t = thr["pemail"]
    d16 = at(16)
    e1 = [
        f"{f}.{s}{x % 90 + 10}@{PERSONAL_DOMAINS[x & 3]}" if p < t else ""
        for f, s, x, p in zip(fs, ls, d16, at(28), strict=True)
    ]
    pemails = [
        (f"{e}, {f[0]}{s}{x % 7}@example.org" if x & 16 else e) if e else ""
        for e, f, s, x in zip(e1, fs, ls, d16, strict=True)
    ]
    psha = [sha256(e.encode()).hexdigest() if e else "" for e in e1]
    t = thr["pemail_v"]
    pverified = [e if e and p < t else "" for e, p in zip(e1, at(29), strict=True)]

    pause()
    # job and company
    employed = [x < t_employed for x in at(17)]
    d19, d21 = at(19), at(21)
    job = [job_t[x] if e else _NO_JOB for e, x in zip(employed, at(20), strict=True)]
    comp = [
        company_t[(x << 8 | y) & 1023] if e else _NO_COMPANY
        for e, x, y in zip(employed, at(18), d19, strict=True)
    ]
    prev = [
        company_t[(x << 2 | y) & 1023] if e else _NO_COMPANY
        for e, x, y in zip(employed, at(47), d19, strict=True)
    ]
    prev_title = [job_t[x][4] if e else "" for e, x in zip(employed, d21, strict=True)]
    title = [j[0] for j in job]
    years: list[str] = []
    for e, a, x in zip(employed, age, d21, strict=True):
        if e:
            y = a - 22 - (x & 7)  # careers start at 22, give or take 7 years
            years.append(age_str[y] if y > 0 else "1")
        else:
            years.append("")
    headline = [
        f"{j} at {c[0]}" if e else "" for e, j, c in zip(employed, title, comp, strict=True)
    ]
    cname_hist = [
        ("" if not e else f"[{c[1]}]" if p[0] == c[0] else f"[{c[1]}, {p[1]}]")
        for e, c, p in zip(employed, comp, prev, strict=True)
    ]
    title_hist = [
        ("" if not e else f"[{j[4]}]" if pt == j[4] else f"[{j[4]}, {pt}]")
        for e, j, pt in zip(employed, job, prev_title, strict=True)
    ]
    pause()
    t = thr["bemail"]
    bemail = [
        (f"{f}.{s}@{c[15]}" if x & 64 else f"{f[0]}{s}@{c[15]}") if e and p < t else ""
        for e, f, s, c, x, p in zip(employed, fs, ls, comp, b49, at(30), strict=True)
    ]
    bsha = [sha256(e.encode()).hexdigest() if e else "" for e in bemail]
    t = thr["bemail_v"]
    bverified = [e if e and p < t else "" for e, p in zip(bemail, at(31), strict=True)]
    t = thr["direct"]
    direct = [
        f"{c[7][:-2]}{two[x % 100]}" if e and p < t else ""
        for e, c, x, p in zip(employed, comp, at(15), at(34), strict=True)
    ]
    direct_dnc = [
        ("Y" if x & 48 == 0 else "N") if m else "" for m, x in zip(direct, b49, strict=True)
    ]
    t = thr["skills"]
    skills = [
        j[3][x & 7] if e and x < t else "" for e, j, x in zip(employed, job, at(38), strict=True)
    ]

    pause()
    # social
    t = thr["linkedin"]
    linkedin = [
        f"https://www.linkedin.com/in/{f}-{s}-{x:02x}{y:02x}" if p < t else ""
        for f, s, x, y, p in zip(fs, ls, at(51), at(52), at(35), strict=True)
    ]
    t = thr["twitter"]
    twitter = [
        f"https://x.com/{f}{s}{x % 100}" if p < t else ""
        for f, s, x, p in zip(fs, ls, at(53), at(36), strict=True)
    ]
    t = thr["facebook"]
    facebook = [
        f"https://www.facebook.com/{f}.{s}.{x}" if p < t else ""
        for f, s, x, p in zip(fs, ls, at(54), at(37), strict=True)
    ]
    social = [
        str(x * 2 + y % 37) if li else "" for li, x, y in zip(linkedin, at(59), at(60), strict=True)
    ]

    pause()
    # skiptrace: present or not for the whole row
    t = thr["skiptrace"]
    st = [x < t for x in at(40)]
    st_score = [
        (str(x % 6 + 5 if b & 128 else x % 10 + 1) if s else "")
        for s, x, b in zip(st, at(50), b49, strict=True)
    ]
    st_name = [f"{f} {s}".upper() if k else "" for k, f, s in zip(st, first, last, strict=True)]
    st_address = [a.upper() if k else "" for k, a in zip(st, address, strict=True)]
    st_city = [c.upper() if k else "" for k, c in zip(st, city, strict=True)]
    st_state = [c if k else "" for k, c in zip(st, state, strict=True)]
    st_zip = [c if k else "" for k, c in zip(st, zip_, strict=True)]
    pause()
    t = thr["st_landline"]
    st_landline = [
        f"+1{a}55501{two[x % 100]}" if k and p < t else ""
        for k, a, x, p in zip(st, area, at(55), at(42), strict=True)
    ]
    t = thr["st_wireless"]
    st_wireless = [
        (m or f"+1{a}55501{two[x % 100]}") if k and p < t else ""
        for k, m, a, x, p in zip(st, mobile, area, at(56), at(41), strict=True)
    ]
    credit_t, language_t, ethnic_t = plan.credit_t, plan.language_t, plan.ethnic_t
    st_credit = [credit_t[x] if k else "" for k, x in zip(st, at(43), strict=True)]
    st_dnc = [
        (m or ("Y" if x < 40 else "N")) if k else ""
        for k, m, x in zip(st, mobile_dnc, at(57), strict=True)
    ]
    st_age = [age_str[a] if k else "" for k, a in zip(st, age, strict=True)]
    st_ethnic = [ethnic_t[x] if k else "" for k, x in zip(st, at(45), strict=True)]
    st_language = [language_t[x] if k else "" for k, x in zip(st, at(44), strict=True)]
    st_ip = [
        f"{nets[x & 3]}.{y % 254 + 1}" if k else ""
        for k, x, y in zip(st, at(46), at(58), strict=True)
    ]
    t = thr["st_b2b"]
    b2b = [k and e and p < t for k, e, p in zip(st, employed, at(39), strict=True)]
    st_b2b_address = [c[2] if b else "" for b, c in zip(b2b, comp, strict=True)]
    st_b2b_phone = [c[7] if b else "" for b, c in zip(b2b, comp, strict=True)]
    st_b2b_source = ["B2B Graph" if b else "" for b in b2b]
    st_b2b_website = [c[16] if b else "" for b, c in zip(b2b, comp, strict=True)]

    pause()
    education_t, edu_str = plan.education_t, EDUCATION_STRINGS
    education = [
        edu_str[v][y & 63] if v >= 0 else ""
        for v, y in zip((education_t[x] for x in at(22)), at(48), strict=True)
    ]
    h = d[lo:hi].hex()
    step = 2 * ROW_BYTES
    uuid = [
        f"{h[p : p + 8]}-{h[p + 8 : p + 12]}-4{h[p + 13 : p + 16]}-{_VARIANT[v & 3]}"
        f"{h[p + 17 : p + 20]}-{h[p + 20 : p + 32]}"
        for p, v in zip(range(128, 2 * (hi - lo), step), at(72), strict=True)
    ]
    return [
        uuid, first, last, address, city, state, zip_, zip4,
        [AGE_RANGES[a] for a in age], [age_str[a] for a in age],
        [plan.children_t[x] for x in at(27)], gender,
        [plan.homeowner_t[x] for x in at(25)], [plan.married_t[x] for x in at(26)],
        [plan.net_worth_t[x] for x in at(24)], [plan.income_t[x] for x in at(23)],
        direct, direct_dnc, mobile, mobile_dnc, pphone, pphone_dnc, valid,
        bemail, pemails, pverified, bverified, psha, bsha,
        title, headline, [j[1] for j in job], [j[2] for j in job], years, cname_hist, title_hist,
        education,
        *([c[k] for c in comp] for k in _COMPANY_FIELDS),
        linkedin, twitter, facebook, social, skills,
        [plan.interests_t[x] for x in at(61)],
        st_score, st_name, st_address, st_city, st_state, st_zip, st_landline, st_wireless,
        st_credit, st_dnc, st_age, st_ethnic, st_language, st_ip,
        st_b2b_address, st_b2b_phone, st_b2b_source, st_b2b_website,
    ]  # fmt: skip


_VARIANT = ("8", "9", "a", "b")
_NO_COMPANY: _workforce.Company = ("",) * 17
_NO_B2B = ("", "", "", "")
_NO_JOB: _workforce.Job = ("", "", "", (), "")
#: The company fields of a record, in the order of its columns (COMPANY_NAME ... COMPANY_INDUSTRY).
_COMPANY_FIELDS = (0, *range(2, 15))
#: What comes before each column's value in a row's JSON (all values are strings), and after the
#: last one: ``{"UUID":"`` value ``","FIRST_NAME":"`` value ... ``"}``.
_JSON_KEYS = ['{"UUID":"', *(f'","{name}":"' for name in RECORD_COLUMNS[1:])]
#: Columns whose values hold JSON text (``["Acme"]``, written by ``json.dumps``: ASCII, no
#: control characters): their quotes and backslashes need escapes.
_JSON_TEXT_COLUMNS = tuple(
    RECORD_COLUMNS.index(name)
    for name in ("COMPANY_NAME_HISTORY", "JOB_TITLE_HISTORY", "EDUCATION_HISTORY")
)
#: A character that JSON escapes inside a string (orjson escapes exactly these).
ESCAPED = re.compile(r'[\x00-\x1f"\\]')


def plain(value: object) -> bool:
    """True when no text in ``value`` (a string, or tuples and lists of them) needs a JSON escape."""
    if isinstance(value, str):
        return ESCAPED.search(value) is None
    if isinstance(value, (tuple, list)):
        return all(plain(v) for v in value)
    return True


#: The module's own tables (names, streets...) need no escapes; a plan's may (a filter's text).
#: (EDUCATION_STRINGS are JSON text: a column of ``_JSON_TEXT_COLUMNS``.)
PLAIN_TABLES = plain(
    [
        *(FIRST_M, FIRST_F, FIRST_U, LAST_NAMES, STREETS, ZIP4, TWO_DIGITS, AGE_STRINGS),
        *(AGE_RANGES, INTEREST_STRINGS, PERSONAL_DOMAINS, TEST_NETS),
    ]
)

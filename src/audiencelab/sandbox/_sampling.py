"""Deterministic sampling helpers shared by the generators: stable hashes and weighted lookup tables.

A *lookup table* (:func:`slots`) has a fixed number of entries, each item filling a share
proportional to its weight; a uniform random index into it then picks items with the right
probability. Table sizes are powers of two so that an index is a few bits of a random byte
string.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TypeVar

__all__ = [
    "BYTE_SLOTS",
    "PERSONAL_DOMAINS",
    "SAFE_SUFFIXES",
    "TEN_BIT_SLOTS",
    "TEST_NETS",
    "TWO_BYTE_SLOTS",
    "email_domain",
    "slots",
    "slug",
    "stable_int",
    "with_absent",
]

T = TypeVar("T")

#: Entries of a table indexed by one random byte (the usual case: 1/256 resolution is enough for
#: shares such as gender or income bucket).
BYTE_SLOTS = 256
#: Entries of a table indexed by 10 bits of two bytes: ages and last names need finer shares.
TEN_BIT_SLOTS = 1024
#: Entries of a table indexed by two bytes: places, where one city can be 1/20,000 of a state.
TWO_BYTE_SLOTS = 65536

#: Reserved example domains (RFC 2606), so that no generated email can reach a real mailbox.
PERSONAL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
SAFE_SUFFIXES = (".example", ".test", ".invalid", "example.com", "example.net", "example.org")
#: The IPv4 documentation ranges (RFC 5737); the fourth entry repeats the first so that two bits
#: pick one of them.
TEST_NETS = ("192.0.2", "198.51.100", "203.0.113", "192.0.2")


def stable_int(*parts: object, bits: int = 64) -> int:
    """A process-independent hash (Python's ``hash`` of a str changes between runs)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[: bits // 8], "big")


def slug(text: str) -> str:
    """Lowercase letters and digits only: safe in an email address or a URL."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def email_domain(domain: str) -> str:
    """A mail domain for a company domain that can never receive mail (``acme.com`` ->
    ``acme-com.example.com``); reserved domains stay as they are."""
    if domain.endswith(SAFE_SUFFIXES):
        return domain
    return domain.replace(".", "-") + ".example.com"


def slots(items: Sequence[T], weights: Sequence[float], size: int) -> list[T]:
    """A lookup table of ``size`` entries where each item fills a share proportional to its weight
    (largest remainder), so a uniform random index picks items with the right probability."""
    total = float(sum(weights))
    if not items or total <= 0:
        raise ValueError("no items to choose from")
    raw = [w * size / total for w in weights]
    counts = [int(r) for r in raw]
    remainder = size - sum(counts)
    order = sorted(range(len(items)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[:remainder]:
        counts[i] += 1
    table: list[T] = []
    for item, n in zip(items, counts, strict=True):
        table.extend([item] * n)
    return table


def with_absent(
    items: Sequence[T],
    weights: Sequence[float],
    present: float,
    absent: T,
    size: int = BYTE_SLOTS,
) -> list[T]:
    """A lookup table where a share ``1 - present`` of the entries is ``absent`` (an empty value)."""
    n_absent = round(size * (1.0 - present))
    if n_absent >= size:
        return [absent] * size
    return [absent] * n_absent + slots(items, weights, size - n_absent)

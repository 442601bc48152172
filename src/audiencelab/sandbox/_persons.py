"""Static tables of a person's attributes for the row generator: names, streets, ages, education.

Built once at import from ``_data`` with fixed seeds, so every process has the same tables.
"""

from __future__ import annotations

import json
import random

from audiencelab.sandbox import _data
from audiencelab.sandbox._filters import AGE_MAX, AGE_MIN
from audiencelab.sandbox._sampling import BYTE_SLOTS, TEN_BIT_SLOTS, TWO_BYTE_SLOTS, slots, slug

__all__ = [
    "AGE_RANGES",
    "AGE_STRINGS",
    "EDUCATION_STRINGS",
    "EDUCATION_VARIANTS",
    "FIRST_F",
    "FIRST_M",
    "FIRST_U",
    "INTEREST_STRINGS",
    "LAST_NAMES",
    "STREETS",
    "TWO_DIGITS",
    "ZIP4",
    "age_range",
    "age_weight",
]

#: Age weight: flat to 64, then 3.5 % fewer people per year of age, never below a quarter
#: (chosen to follow the shape of the Census age pyramid of adults).
AGE_FLAT_UNTIL = 64
AGE_DECLINE_PER_YEAR = 0.035
AGE_MIN_WEIGHT = 0.25


def age_range(age: int) -> str:
    """The ``AGE_RANGE`` bucket of an age (the dashboard's buckets)."""
    if age < 25:
        return "18-24"
    if age < 35:
        return "25-34"
    if age < 45:
        return "35-44"
    if age < 55:
        return "45-54"
    if age < 65:
        return "55-64"
    return "65 and older"


Name = tuple[str, str]  # name, email-safe lowercase slug

FIRST_M: list[Name] = slots(
    [(n, slug(n)) for n in _data.FIRST_NAMES_M], [1.0] * len(_data.FIRST_NAMES_M), BYTE_SLOTS
)
FIRST_F: list[Name] = slots(
    [(n, slug(n)) for n in _data.FIRST_NAMES_F], [1.0] * len(_data.FIRST_NAMES_F), BYTE_SLOTS
)
FIRST_U: list[Name] = [n for pair in zip(FIRST_M[::2], FIRST_F[::2], strict=True) for n in pair]
LAST_NAMES: list[Name] = slots(
    [(n, slug(n)) for n in _data.LAST_NAMES], [1.0] * len(_data.LAST_NAMES), TEN_BIT_SLOTS
)
AGE_RANGES = [age_range(a) if a >= AGE_MIN else "" for a in range(AGE_MAX + 1)]
AGE_STRINGS = [str(a) for a in range(AGE_MAX + 1)]
TWO_DIGITS = [f"{i:02d}" for i in range(100)]
# ZIP+4 suffixes by two random bytes: 7919 (a prime) spreads them over 0000-9999.
ZIP4 = [f"{(i * 7919) % 10000:04d}" for i in range(TWO_BYTE_SLOTS)]
STREETS: list[str] = slots(list(_data.STREETS), [1.0] * len(_data.STREETS), BYTE_SLOTS)


def age_weight(age: int) -> float:
    if age <= AGE_FLAT_UNTIL:
        return 1.0
    return max(AGE_MIN_WEIGHT, 1.0 - (age - AGE_FLAT_UNTIL) * AGE_DECLINE_PER_YEAR)


#: Variants of the education history per level (chosen: 6 bits of a row's byte pick one).
EDUCATION_VARIANTS = 64


def _education_strings() -> list[list[str]]:
    rng = random.Random(20240601)  # any fixed seed: the tables must be the same in every process
    out: list[list[str]] = []
    for level in range(len(_data.EDUCATION_LEVELS)):
        variants = []
        for _ in range(EDUCATION_VARIANTS):
            if level == 0:
                items = [("High School Diploma", rng.choice(_data.HIGH_SCHOOLS))]
            else:
                schools = rng.sample(_data.SCHOOLS, 3)
                items = [
                    (_data.EDUCATION_LEVELS[lv][2], schools[i])
                    for i, lv in enumerate(range(level, 0, -1))
                ]
            variants.append(json.dumps([{"degree": d, "school": s} for d, s in items]))
        out.append(variants)
    return out


EDUCATION_STRINGS = _education_strings()


def _interest_strings() -> list[str]:
    rng = random.Random(7)  # any fixed seed
    return [", ".join(rng.sample(_data.INTERESTS, rng.randint(2, 4))) for _ in range(BYTE_SLOTS)]


INTEREST_STRINGS = _interest_strings()

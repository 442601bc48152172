"""Which state a ZIP code is in, from its first three digits (the USPS prefix assignment).

The public ZIP prefix matrix, compressed to ranges. Prefixes of military mail (AA, AE, AP) and of
no state are absent: nothing is checked for them. A few ZIP codes are delivered across a state
line; they are listed with both states, so that they are never refused.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["states_of_zip"]

# (first prefix, last prefix, state), in order. Sources: USPS ZIP code prefix assignments
# (Publication 65 / the National Five-Digit ZIP Code and Post Office Directory).
_RANGES: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NY"), (6, 7, "PR"), (8, 8, "VI"), (9, 9, "PR"),
    (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"), (39, 49, "ME"), (50, 54, "VT"),
    (55, 55, "MA"), (56, 59, "VT"), (60, 69, "CT"), (70, 89, "NJ"),
    (100, 149, "NY"), (150, 196, "PA"), (197, 199, "DE"), (200, 200, "DC"), (201, 201, "VA"),
    (202, 205, "DC"), (206, 219, "MD"), (220, 246, "VA"), (247, 268, "WV"), (270, 289, "NC"),
    (290, 299, "SC"), (300, 319, "GA"), (320, 339, "FL"), (341, 349, "FL"), (350, 369, "AL"),
    (370, 385, "TN"), (386, 397, "MS"), (398, 399, "GA"), (400, 427, "KY"), (430, 459, "OH"),
    (460, 479, "IN"), (480, 499, "MI"), (500, 528, "IA"), (530, 549, "WI"), (550, 567, "MN"),
    (569, 569, "DC"), (570, 577, "SD"), (580, 588, "ND"), (590, 599, "MT"), (600, 629, "IL"),
    (630, 658, "MO"), (660, 679, "KS"), (680, 693, "NE"), (700, 714, "LA"), (716, 729, "AR"),
    (730, 732, "OK"), (733, 733, "TX"), (734, 749, "OK"), (750, 799, "TX"), (800, 816, "CO"),
    (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"), (850, 865, "AZ"), (870, 884, "NM"),
    (885, 885, "TX"), (889, 898, "NV"), (900, 961, "CA"), (967, 968, "HI"), (969, 969, "GU"),
    (970, 979, "OR"), (980, 994, "WA"), (995, 999, "AK"),
)  # fmt: skip

# Prefixes shared by more than one state or territory (American Samoa's 96799 is in Hawaii's
# 967; Guam's 969 also serves the Northern Mariana Islands).
_SHARED: Mapping[int, frozenset[str]] = {
    967: frozenset({"HI", "AS"}),
    969: frozenset({"GU", "MP"}),
}

# ZIP codes delivered on both sides of a state line.
_STRADDLING: Mapping[str, frozenset[str]] = {
    "20135": frozenset({"VA", "WV"}),  # Bluemont
    "42223": frozenset({"KY", "TN"}),  # Fort Campbell
    "59221": frozenset({"MT", "ND"}),  # Fairview
    "71749": frozenset({"AR", "LA"}),  # Junction City
    "73949": frozenset({"OK", "TX"}),  # Texhoma
    "84536": frozenset({"UT", "AZ"}),  # Monument Valley
    "89439": frozenset({"NV", "CA"}),  # Verdi
    "97635": frozenset({"OR", "CA"}),  # New Pine Creek
}

_BY_PREFIX: dict[int, frozenset[str]] = {
    prefix: frozenset({state}) for low, high, state in _RANGES for prefix in range(low, high + 1)
}
_BY_PREFIX.update(_SHARED)


def states_of_zip(zip_code: str) -> frozenset[str]:
    """The states a 5-digit ZIP code can be in; empty when the prefix names no state."""
    if zip_code in _STRADDLING:
        return _STRADDLING[zip_code]
    if len(zip_code) != 5 or not zip_code.isdigit():
        return frozenset()
    return _BY_PREFIX.get(int(zip_code[:3]), frozenset())

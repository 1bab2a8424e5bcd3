"""Vehicle identification numbers (ISO 3779): 17 characters, no I/O/Q; the check digit at position 9 where the market requires it.

North America (49 CFR 565) and China (GB 16735) require the check digit; Europe and Japan do not, and their VINs often carry
another character there (e.g. WVWZZZ1KZAW000123), so a site says whether its market does.
"""

from __future__ import annotations

_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(vin: str) -> str:
    """The check digit a 17-character VIN should carry at position 9."""
    remainder = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_vin(raw: str) -> str:
    """Upper-case, surrounding spaces removed."""
    return raw.strip().upper()


def vin_problem(raw: str, check_digit_required: bool = True) -> str | None:
    """What is wrong with a VIN, in words, or None when it is valid (the check digit only when required)."""
    vin = normalise_vin(raw)
    if len(vin) != 17:
        return f"VIN must be 17 characters, got {len(vin)}"
    for position, char in enumerate(vin, start=1):
        if char in "IOQ":
            return f"VIN must not contain I, O or Q (found {char!r} at position {position})"
        if char not in _VALUES:
            return f"VIN may hold only digits and letters (found {char!r} at position {position})"
    expected = check_digit(vin)
    if check_digit_required and vin[8] != expected:
        return f"VIN check digit (position 9) is {vin[8]!r} but the other characters give {expected!r}"
    return None


def validate_vin(raw: str) -> str:
    """The normalised VIN, 17 characters of the VIN alphabet; ValueError naming the problem otherwise (check digit aside)."""
    problem = vin_problem(raw, check_digit_required=False)
    if problem is not None:
        raise ValueError(problem)
    return normalise_vin(raw)

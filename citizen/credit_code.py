"""The unified social credit code of a business or organisation (统一社会信用代码, GB 32100-2015) [PUB-4].

18 characters from the 31 of ``0-9 A-H J-N P-R T U W-Y`` (no I, O, S, V, Z): the registering
authority, the kind of organisation, the 6-digit division code (GB/T 2260), the 9-character
organisation code, and a check character: the weighted sum of the first 17 (weights 3^i mod 31)
plus the check is a multiple of 31.
"""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, …


def normalize(code: str) -> str:
    return "".join((code or "").split()).upper()


def check_char(first17: str) -> str:
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True when `code` (spaces and case ignored) is 18 characters of the charset with the right check."""
    code = normalize(code)
    if len(code) != 18 or any(c not in VALUE for c in code):
        return False
    if not code[2:8].isdigit():  # the division code is digits
        return False
    return check_char(code[:17]) == code[17]

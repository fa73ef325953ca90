"""Three-valued (Kleene) logic on small integers, the same for one record and for a column.

A truth value is ``NEG`` (0), ``UNK`` (1, "insufficient") or ``POS`` (2). With that order,
Kleene AND is ``min``, OR is ``max`` and NOT is ``2 - x``; numpy does the same element-wise on
``int8`` columns, which is what makes batch results identical to single-record ones.

Indicator columns carry one more code, ``ABSENT_KEY`` (-1): the record does not carry the key
at all. Whether that counts as unknown or as absent is the caller's ``--missing`` choice.
"""

from __future__ import annotations

from typing import Final

NEG: Final = 0
UNK: Final = 1
POS: Final = 2
ABSENT_KEY: Final = -1

STATE_NAMES: Final = ("negative", "insufficient", "positive")

GRADE_RANK: Final = {"S": 0, "M": 1, "W": 2}


def state_name(value: int) -> str:
    """The word for a truth value: ``negative``, ``insufficient`` or ``positive``."""
    return STATE_NAMES[value]


def from_bool(value: bool | None) -> int:
    """``True`` → POS, ``False`` → NEG, ``None`` → UNK."""
    if value is None:
        return UNK
    return POS if value else NEG

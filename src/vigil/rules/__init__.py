"""The standards as versioned data, and one evaluator for a record or a million.

    >>> from vigil.rules import load_ruleset, assess
    >>> rs = load_ruleset("ilo-2012-forced-labour")
    >>> assess(rs, {"id": "r1", "indicators": {"UR05": True, "D1.PN02": True}}).outcome
    'positive'
"""

from vigil.rules.engine import (
    Determination,
    assess,
    assess_columns,
    assess_many,
    outcome_codes,
    outcome_names,
    to_json,
)
from vigil.rules.loader import available, load_file, load_ruleset
from vigil.rules.model import Indicator, RuleSet

__all__ = [
    "Determination",
    "Indicator",
    "RuleSet",
    "assess",
    "assess_columns",
    "assess_many",
    "available",
    "columns_from_frame",
    "load_file",
    "load_ruleset",
    "outcome_codes",
    "outcome_names",
    "to_json",
]


def __getattr__(name: str) -> object:
    # polars is imported only by code that screens data frames, not by every user of the rules
    if name == "columns_from_frame":
        from vigil.rules.columnar import columns_from_frame

        return columns_from_frame
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

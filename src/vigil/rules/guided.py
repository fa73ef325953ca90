"""The guided interview's choice of questions, from a determination's ``ask_next``.

``ask_next`` names the unknowns that could change the outcome, strongest first. A guided interview
asks the first of them that is a question and that was not answered or left unanswered already
("not known", "refused": never asked twice). A staged indicator's key (``D1.PN01``) is asked as the
stage-less question (``PN01``) the screening page has, or per stage when ``staged`` is true (an
interview that records stages). When nothing is left to ask, the determination cannot change
through the interview: it is fixed (not ``insufficient``), or every question that could change it
was left unanswered.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from vigil.rules.model import RuleSet


def question_key(rs: RuleSet, name: str, staged: bool = False) -> str | None:
    """The key under which ``name`` of ``ask_next`` is asked, or None when it is no question
    (a fact, the age)."""
    ind = rs.by_id.get(name)
    if ind is not None:
        return name if ind.question else None
    scope, _dot, base = name.partition(".")
    ind = rs.by_id.get(base)
    if ind is None or not ind.question or scope not in ind.scopes:
        return None
    return name if staged else base


def open_questions(
    rs: RuleSet, determination: Mapping[str, Any], done: Collection[str], staged: bool = False
) -> list[str]:
    """The questions that could still change ``determination``, in the order to ask them."""
    out: list[str] = []
    for name in determination.get("ask_next", []):
        key = question_key(rs, str(name), staged)
        if key is not None and key not in done and key not in out:
            out.append(key)
    return out


def next_question(
    rs: RuleSet, determination: Mapping[str, Any], done: Collection[str], staged: bool = False
) -> str | None:
    """The key of the question to ask next, or None: stop here."""
    keys = open_questions(rs, determination, done, staged)
    return keys[0] if keys else None

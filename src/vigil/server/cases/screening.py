"""Screening: the server side. The rule sets and the decision live in ``vigil.rules``; this module
only turns stored answers into a record, calls ``assess`` and keeps the determination."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from vigil.errors import VigilError
from vigil.forms import export as form_export
from vigil.forms import questions
from vigil.rules import RuleSet, assess, available, explain_text, guided, load_ruleset
from vigil.rules import i18n as rule_i18n
from vigil.rules.records import fact_specs
from vigil.server.cases.models import Screening
from vigil.server.versioning import lock

DEFAULT_RULESET = "ilo-ec-2009-adult-labour"

# Outcomes in a word, for lists (the determination itself says more, in the rule set's words).
OUTCOME_WORDS = {
    "positive": _("Positive"),
    "negative": _("Negative"),
    "insufficient": _("Insufficient evidence"),
    "risk": _("Risk"),
}

# Rule sets whose positive outcome is about trafficking (act, means, purpose): a positive screening
# with one of them prompts the case's trafficking status. Forced labour without movement, a
# recruitment-fee breach or a child-labour finding are not trafficking and prompt nothing.
TRAFFICKING_RULESETS = frozenset({"ilo-ec-2009-adult-labour", "ilo-ec-2009-child-labour", "palermo-2000"})


def outcome_words(outcome: str | None) -> str:
    return str(OUTCOME_WORDS.get(outcome or "", outcome or ""))


def about_trafficking(ruleset_id: str) -> bool:
    """True for a trafficking rule set, or a national variant that extends one."""
    current: str | None = ruleset_id
    for _depth in range(8):
        if current is None:
            return False
        if current in TRAFFICKING_RULESETS:
            return True
        try:
            current = load_ruleset(current).extends
        except VigilError:
            return False
    return False


def ruleset_title(ruleset_id: str) -> str:
    """The title of a rule set in the user's language (the id when it is not installed)."""
    try:
        rs = load_ruleset(ruleset_id)
    except VigilError:
        return ruleset_id
    return str(rule_i18n.translate(rs, translation.get_language()).title)


class ScreeningError(Exception):
    """An answer or rule set the engine refuses; the message names the key, never a value."""


@cache
def screenable() -> tuple[tuple[str, str, str], ...]:
    """(id, version, title) of the rule sets that have interview questions."""
    out = []
    for rid in available():
        rs = load_ruleset(rid)
        if any(i.question for i in rs.indicators):
            out.append((rs.id, rs.version, rs.title))
    return tuple(out)


def picker() -> list[tuple[str, str, str, bool]]:
    """(id, version, title in the user's language, verified) for the rule-set menu of a case."""
    lang = translation.get_language()
    return [
        (rid, version, str(rule_i18n.translate(load_ruleset(rid), lang).title), load_ruleset(rid).verified)
        for rid, version, _title in screenable()
    ]


def ruleset_for(screening: Screening) -> RuleSet:
    rs = load_ruleset(screening.ruleset)
    return rs


def why_text(screening: Screening, lang: str | None) -> str:
    """What decided the screening, in ``lang``: the stored explanation tree is language-neutral
    and rendered per request; a screening stored before trees shows its English text."""
    det = screening.determination or {}
    try:
        rs: RuleSet | None = ruleset_for(screening)
    except VigilError:
        rs = None
    return explain_text.decided_by(det, lang, rs)


def is_current(screening: Screening) -> bool:
    """False when the installed rule set has a newer version than the one this screening used:
    the screening is then kept as it was decided and cannot be changed."""
    return ruleset_for(screening).version == screening.ruleset_version


@dataclass(frozen=True)
class Question:
    """One question of the page: ``key`` is the record key the answer is stored under (``DR01``,
    or ``D1.PN04`` for a penalty asked per stage), ``ind`` the indicator (its id and grade)."""

    key: str
    ind: Any
    text: str
    worker_text: str = ""


@dataclass(frozen=True)
class Group:
    name: str
    label: str
    questions: list[Question]
    worker_label: str = ""


#: the group of stage-less answers to staged indicators: an earlier guided interview asked
#: ``PN04`` without its stage (the rule counts it for every stage). The guided interview now asks
#: per stage (``D1.PN04``), so the group is shown only for those older answers.
UNSTAGED = "g_unstaged"
UNSTAGED_LABEL = _("Penalties, stage not asked (an earlier guided interview)")


@dataclass(frozen=True)
class FactQuestion:
    """One fact of the questionnaire's facts group (``act``, ``worst_form``...), worded as the
    XLSForm words it: ``kind`` is bool, list or number; ``choices`` (value, label, worker's
    label) for a list; ``when`` the condition it is asked under (empty: always)."""

    key: str
    kind: str
    text: str
    hint: str
    worker_text: str = ""
    worker_hint: str = ""
    choices: tuple[tuple[str, str, str], ...] = ()
    none: str = ""
    worker_none: str = ""
    when: str = ""
    worker_when: str = ""
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class FactGroup:
    name: str
    label: str
    questions: list[FactQuestion]
    worker_label: str = ""


def _when(guards: Any, asked: frozenset[str], lang: str) -> str:
    """The condition of a follow-up fact in words (the XLSForm's ``relevant``)."""
    parts = []
    with translation.override(lang):
        bounds = [g.adult_from for g in guards if g.adult_from is not None]
        if bounds and "age" in asked:
            parts.append(str(_("Asked when the person is younger than %(age)s or the age is not known."))
                         % {"age": f"{min(bounds):g}"})
        keys = [k for g in guards for k in g.keys if k in asked]
        if keys:
            parts.append(str(_("Asked when one of %(keys)s was answered yes or not known."))
                         % {"keys": ", ".join(dict.fromkeys(keys))})
    return " ".join(parts)


def fact_groups(rs: RuleSet, lang: str | None = None, worker: str = "") -> list[FactGroup]:
    """The page's fact questions: the facts group of the rule set's questionnaire
    (``vigil.forms.questions.plan``, the group ``g_about``) as ``vigil forms export`` writes it:
    same keys, order, labels and choices, in ``lang`` and, when given, the worker's language.
    The age has its own field on the page and is not repeated here."""
    lang = rule_i18n.normalise(lang or translation.get_language())
    worker = rule_i18n.normalise(worker) if worker else ""
    if worker == lang:
        worker = ""
    full = questions.plan(rs)
    asked = frozenset(i.key for g in full for i in g.items)
    facts = [g for g in full if g.kind == "facts" and any(i.kind != "age" for i in g.items)]
    labels = form_export.group_labels(rs, facts, lang)
    worker_labels = form_export.group_labels(rs, facts, worker) if worker else [""] * len(facts)
    specs = fact_specs()
    out = []
    for g, label, worker_label in zip(facts, labels, worker_labels, strict=True):
        asked_here = []
        for item in g.items:
            if item.kind == "age":
                continue
            words = form_export.fact_wording(rs, item.key, lang)
            w_words = form_export.fact_wording(rs, item.key, worker) if worker else None
            spec = specs[item.key]
            asked_here.append(
                FactQuestion(
                    key=item.key,
                    kind=item.kind,
                    text=words.question,
                    hint=words.hint,
                    worker_text=w_words.question if w_words else "",
                    worker_hint=w_words.hint if w_words else "",
                    choices=tuple(
                        (v, words.values[v], w_words.values[v] if w_words else "") for v in spec.values
                    ),
                    none=words.none,
                    worker_none=w_words.none if w_words else "",
                    when=_when(item.guards, asked, lang),
                    worker_when=_when(item.guards, asked, worker) if worker else "",
                    min=spec.min,
                    max=spec.max,
                )
            )
        out.append(FactGroup(g.name, label, asked_here, worker_label))
    return out


def fact_keys(rs: RuleSet) -> list[str]:
    """The facts the questionnaire asks beside the indicators and the age, in form order."""
    cached = getattr(rs, "_vigil_fact_keys", None)
    if cached is None:
        cached = tuple(
            i.key for g in questions.plan(rs) if g.kind == "facts" for i in g.items if i.kind != "age"
        )
        rs._vigil_fact_keys = cached  # type: ignore[attr-defined]
    return list(cached)


class FactError(ScreeningError):
    """A fact value the questionnaire refuses; the message names the fact."""


def clean_fact(rs: RuleSet, name: str, value: Any) -> Any:
    """``value`` checked against the kind of fact ``name`` (``vigil.rules.records.fact_specs``):
    true / false for a yes-no fact, a list of allowed codes (each once; empty for "none of
    these") for a list fact, a number within the vocabulary's range; ``None`` is not known."""
    where = str(name)[:40]
    if name not in fact_keys(rs):
        raise FactError(f"fact {where!r}: not a question of {rs.id}")
    if value is None:
        return None
    spec = fact_specs()[name]
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise FactError(f"fact {where!r}: must be true, false or null")
        return value
    if spec.type == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FactError(f"fact {where!r}: must be a list of codes ({', '.join(spec.values)})")
        bad = [v for v in value if v not in spec.values]
        if bad:
            allowed = ", ".join(spec.values)
            raise FactError(f"fact {where!r}: unknown value {bad[0][:40]!r} (allowed: {allowed})")
        return [v for v in spec.values if v in value]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FactError(f"fact {where!r}: must be a number")
    lo, hi = spec.min, spec.max
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"{'' if lo is None else f'{lo:g}'}-{'' if hi is None else f'{hi:g}'}"
        raise FactError(f"fact {where!r}: {value:g} is outside {bounds}")
    return value


def groups(
    rs: RuleSet, lang: str | None = None, worker: str = "", answers: dict[str, Any] | None = None
) -> list[Group]:
    """The page's questions: the indicator groups of the rule set's questionnaire
    (``vigil.forms.questions.indicator_groups``), the very definition ``vigil forms export``
    writes as an XLSForm: same keys, order, group labels and question wording. ``rs`` is the
    installed rule set (not a translated copy); ``lang`` the page's language; ``worker``, when
    given and different, a second language shown beside it (the worker's)."""
    lang = rule_i18n.normalise(lang or translation.get_language())
    worker = rule_i18n.normalise(worker) if worker else ""
    if worker == lang:
        worker = ""
    plan = questions.indicator_groups(rs)
    labels = form_export.group_labels(rs, plan, lang)
    worker_labels = form_export.group_labels(rs, plan, worker) if worker else [""] * len(plan)
    out = []
    for g, label, worker_label in zip(plan, labels, worker_labels, strict=True):
        asked = []
        for item in g.items:
            assert item.indicator is not None
            ind_label, text = rule_i18n.indicator_text(rs, item.indicator, lang)
            worker_text = ""
            if worker:
                w_label, w_text = rule_i18n.indicator_text(rs, item.indicator, worker)
                worker_text = w_text or w_label
            asked.append(Question(item.key, rs.by_id[item.indicator], text or ind_label, worker_text))
        out.append(Group(g.name, label, asked, worker_label))
    unstaged = _unstaged(rs, answers)
    if unstaged:
        asked = []
        for iid in unstaged:
            ind_label, text = rule_i18n.indicator_text(rs, iid, lang)
            worker_text = ""
            if worker:
                w_label, w_text = rule_i18n.indicator_text(rs, iid, worker)
                worker_text = w_text or w_label
            asked.append(Question(iid, rs.by_id[iid], text or ind_label, worker_text))
        with translation.override(lang):
            label = str(UNSTAGED_LABEL)
        worker_label = ""
        if worker:
            with translation.override(worker):
                worker_label = str(UNSTAGED_LABEL)
        out.append(Group(UNSTAGED, label, asked, worker_label))
    return out


def _unstaged(rs: RuleSet, answers: dict[str, Any] | None) -> list[str]:
    """Staged indicators answered without a stage (``PN04``), in rule-set order."""
    return [i.id for i in rs.indicators if i.scopes and i.question and i.id in (answers or {})]


def _asked(rs: RuleSet) -> frozenset[str]:
    """The questionnaire's keys, kept on the rule-set object (as the engine keeps its root)."""
    cached = getattr(rs, "_vigil_asked", None)
    if cached is None:
        cached = questions.asked_keys(rs)
        rs._vigil_asked = cached  # type: ignore[attr-defined]
    return frozenset(cached)


def question_keys(rs: RuleSet, answers: dict[str, Any] | None = None) -> list[str]:
    """The record keys the page asks, in order (``DR01``, ``D1.PN04``...), and the stage-less
    answers already given (``PN04``, from the guided interview)."""
    return [i.key for g in questions.indicator_groups(rs) for i in g.items] + _unstaged(rs, answers)


def record_of(screening: Screening) -> dict[str, Any]:
    rec: dict[str, Any] = {"id": f"screening-{screening.pk}", "indicators": dict(screening.answers)}
    if screening.age is not None:
        rec["age"] = float(screening.age)
    if screening.facts:
        rec["facts"] = dict(screening.facts)
    return rec


def evaluate(screening: Screening) -> dict[str, Any]:
    """Recompute and store the determination (the caller saves)."""
    rs = ruleset_for(screening)
    try:
        det = assess(rs, record_of(screening), why=True).to_dict()
    except VigilError as exc:
        raise ScreeningError(str(exc)) from None
    screening.determination = det
    screening.outcome = str(det.get("outcome", ""))
    return det


def new(case: Any, ruleset_id: str, user: Any, age: float | None = None) -> Screening:
    """An unsaved screening on the installed version of ``ruleset_id``."""
    try:
        rs = load_ruleset(ruleset_id)
    except VigilError as exc:
        raise ScreeningError(str(exc)) from None
    return Screening(case=case, ruleset=rs.id, ruleset_version=rs.version, created_by=user, age=age)


def save_new(screening: Screening) -> Screening:
    """Evaluate a new screening once and write it once.

    The determination names its record (``screening-<id>``), so the id is taken from the table's
    sequence first on PostgreSQL (a read, no lock); elsewhere the row is inserted, then updated.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Screening._meta.db_table])
            screening.pk = cur.fetchone()[0]
        evaluate(screening)
        screening.save(force_insert=True)
    else:
        screening.save()
        evaluate(screening)
        screening.save(update_fields=["determination", "outcome"])
    return screening


def start(case: Any, ruleset_id: str, user: Any, age: float | None = None) -> Screening:
    return save_new(new(case, ruleset_id, user, age=age))


def create(
    case: Any,
    ruleset_id: str,
    user: Any,
    age: float | None = None,
    answers: dict[str, bool | None] | None = None,
    facts: dict[str, Any] | None = None,
) -> Screening:
    """A new screening with its first answers and facts: evaluated once, after all of them, and
    written once."""
    s = new(case, ruleset_id, user, age=age)
    for indicator, value in (answers or {}).items():
        apply_answer(s, indicator, value)
    for name, fact in (facts or {}).items():
        apply_fact(s, name, fact)
    return save_new(s)


def apply_answer(screening: Screening, indicator: str, value: bool | None) -> None:
    """Set (or, with None, clear) one answer without evaluating; call ``evaluate`` after the last."""
    rs = ruleset_for(screening)
    if indicator not in rs.by_id and indicator not in _asked(rs):
        raise ScreeningError(f"unknown indicator {indicator[:20]!r} for {rs.id}")
    answers = dict(screening.answers)
    if value is None:
        answers.pop(indicator, None)
    else:
        answers[indicator] = bool(value)
    screening.answers = answers


def apply_fact(screening: Screening, name: str, value: Any) -> None:
    """Set (or, with None, clear) one fact, checked against its kind (``FactError`` names it)."""
    clean = clean_fact(ruleset_for(screening), name, value)
    facts = dict(screening.facts or {})
    if clean is None:
        facts.pop(name, None)
    else:
        facts[name] = clean
    screening.facts = facts


def set_answer(screening: Screening, indicator: str, value: bool | None) -> dict[str, Any]:
    apply_answer(screening, indicator, value)
    return evaluate(screening)


def ask_next_questions(rs: RuleSet, det: dict[str, Any], limit: int = 5) -> list[Any]:
    return [rs.by_id[i] for i in det.get("ask_next", [])[:limit] if i in rs.by_id]


_UNSET: Any = object()


def update(
    screening: Screening,
    expected_version: int,
    *,
    answers: dict[str, bool | None] | None = None,
    age: Any = _UNSET,
    facts: dict[str, Any] | None = None,
) -> Screening:
    """Merge ``answers`` (and ``facts``) into the *stored* ones and re-evaluate, if the screening is still at
    ``expected_version``: the row is re-read under a lock (``versioning.lock``) and written with
    one conditional UPDATE, so concurrent answers are never merged into a stale copy and lost.
    Raises ``StaleEdit`` (409) or ``ScreeningError``."""
    with transaction.atomic():
        lock(screening, expected_version=expected_version)
        if age is not _UNSET:
            screening.age = age
        for indicator, value in (answers or {}).items():
            apply_answer(screening, indicator, value)
        for name, fact in (facts or {}).items():
            apply_fact(screening, name, fact)
        evaluate(screening)
        screening.save_versioned(
            expected_version,
            {
                "age": screening.age,
                "answers": screening.answers,
                "facts": screening.facts,
                "determination": screening.determination,
                "outcome": screening.outcome,
            },
        )
    return screening


# --- guided interview ------------------------------------------------------------------------------
# The guided mode asks one question at a time: the first of the rule set's ``ask_next`` that has a
# question and that the worker has not already left unanswered ("not known" or "refused"). A
# penalty is asked per stage (``D1.PN04``, ``guided`` with ``staged``), as the full form asks it.
# It stores answers exactly as the full form does (yes / no, or nothing), so both modes give one
# determination.
MARKS = {"y": "yes", "n": "no", "k": "unknown", "r": "refused"}
ANSWER_MARK = {"yes": "y", "no": "n", "unknown": "k", "refused": "r"}


def guided_keys(rs: RuleSet) -> frozenset[str]:
    """The keys a guided interview may carry: the page's questions (``DR01``, ``D1.PN04``) and the
    stage-less keys of staged indicators (``PN04``), which older interviews asked."""
    return frozenset(question_keys(rs)) | frozenset(i.id for i in rs.indicators if i.question)


def parse_trail(raw: str, rs: RuleSet) -> list[tuple[str, str]]:
    """The questions asked so far in a guided interview, in order: ``KEY:mark,KEY:mark`` (mark is
    one of y n k r; a key is ``DR01`` or ``D1.PN04``). Unknown keys and marks are dropped; each
    key is kept once."""
    keys = guided_keys(rs)
    out: dict[str, str] = {}
    for item in (raw or "").split(",")[:500]:
        key, _sep, mark = item.strip().partition(":")
        if key in keys and mark in MARKS:
            out[key] = mark
    return list(out.items())


def format_trail(trail: list[tuple[str, str]]) -> str:
    return ",".join(f"{ind}:{mark}" for ind, mark in trail)


def with_answer(trail: list[tuple[str, str]], indicator: str, mark: str) -> list[tuple[str, str]]:
    """The trail after answering ``indicator``: a changed answer keeps its place."""
    if any(ind == indicator for ind, _m in trail):
        return [(ind, mark if ind == indicator else m) for ind, m in trail]
    return [*trail, (indicator, mark)]


def left_unanswered(screening: Screening, trail: list[tuple[str, str]]) -> set[str]:
    """Questions the worker could not or would not answer, not to be asked again."""
    return {ind for ind, mark in trail if mark in "kr" and ind not in screening.answers}


def open_questions(rs: RuleSet, det: dict[str, Any], screening: Screening, skip: set[str]) -> list[str]:
    """The keys of the questions whose answer could still change the determination, in the order
    the guided mode asks them (``vigil.rules.guided``, per stage): neither answered nor left
    unanswered."""
    return guided.open_questions(rs, det, skip | set(screening.answers), staged=True)


def next_question(rs: RuleSet, det: dict[str, Any], screening: Screening, skip: set[str]) -> str | None:
    """The key of the question the guided mode asks next (``DR01``, ``D1.PN04``), or None when
    no question can change the outcome (the determination is fixed, or every question that could
    change it was left unanswered)."""
    return guided.next_question(rs, det, skip | set(screening.answers), staged=True)


def stage_labels(rs: RuleSet, lang: str | None) -> dict[str, str]:
    """{stage: the label of its penalty group} in ``lang`` (``Unfree recruitment: menace of
    penalty``), the stage groups' labels of the form."""
    scoped = [g for g in questions.indicator_groups(rs) if g.kind == "scope"]
    labels = form_export.group_labels(rs, scoped, lang)
    return {str(g.ref): label for g, label in zip(scoped, labels, strict=True)}

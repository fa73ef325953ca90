"""Screen a job offer for warning signs of deceptive or coercive recruitment.

    >>> from vigil.recruitment import screen_offer
    >>> r = screen_offer("Pay the 300 EUR registration fee today, we keep your passport.")
    >>> list(r.signs)
    ['documents_held', 'fee_charged']
    >>> screen_offer("No fee. We never keep your passport.").signs
    ()

The signs, their patterns and the word lists are data (``signs/offer-signs.yaml``); this
module applies them. Each sign is found in one or more of three ways:

- **patterns**: affirmative phrases; cancelled when a negator governs the phrase (a negator
  inside the matched words, or before them in the same clause: a short scope of three words
  for "no", "aucun", "sans"..., eight words for "not", "never", "ne... pas"...), or when one
  of the sign's ``except`` phrases is in the same clause ("paid by the employer").
- **statements**: phrases carrying their own negation ("no written contract", "cannot change
  employer"); only a negator before them cancels them.
- **absence rules** for four signs, documented on each function below: ``employer_unnamed``,
  ``location_vague``, ``messaging_only`` and ``pay_unrealistic`` (the text lacks what a genuine
  offer gives: an employer's name, a town, a formal contact; or pay is out of proportion).

A clause ends at ``. ; : ! ?``, a line break, a contrast word ("but", "mais"...) and a comma,
unless the comma separates the items of a list ("no placement, registration or visa fee").
No sign found is said in words and never presented as a clean bill of health.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vigil.recruitment.signs_model import LANGUAGES, SignSet, load_signs

__all__ = ["NO_SIGN_MESSAGE", "OfferScreen", "detect_language", "screen_offer"]

NO_SIGN_MESSAGE = (
    "No warning sign found in this offer. The screen only reads the words of the offer, and a "
    "deceptive offer can read well: check the agency's licence and ask the worker what was "
    "promised."
)

_HARD = re.compile(r"[.;:!?\n\r]+(?:\s|$)|[;!?\n\r]|\s[-–—]\s|\(|\)")
_CLAUSE_END = re.compile(r"[.;!?\n\r](?:\s|$)")
_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
_LIST_CONJ = re.compile(r"^\s*(?:\w+\s+)?(?:or|and|ou|et|&|/)\s+(?:\w+\s*)?$|^\s*/\s*\w*\s*$", re.IGNORECASE)
_LIST_NEXT = re.compile(r"^\s*(?:,|/|or\b|and\b|ou\b|et\b|&)", re.IGNORECASE)
NARROW_WORDS = 3
WIDE_WORDS = 8

_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "you",
        "your",
        "for",
        "with",
        "will",
        "are",
        "is",
        "to",
        "of",
        "in",
        "we",
        "our",
        "be",
        "this",
        "have",
        "can",
        "no",
        "not",
        "must",
        "pay",
        "work",
        "job",
        "salary",
        "contact",
        "apply",
        "per",
        "month",
        "week",
    ]
)
_FR_WORDS = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "et",
        "vous",
        "votre",
        "vos",
        "pour",
        "avec",
        "est",
        "une",
        "du",
        "au",
        "aux",
        "nous",
        "notre",
        "sont",
        "sera",
        "être",
        "pas",
        "ne",
        "travail",
        "emploi",
        "salaire",
        "mois",
        "par",
        "sur",
        "dans",
        "qui",
    ]
)


def detect_language(text: str) -> str:
    """``"fr"`` when French function words (and accented letters) outnumber English ones,
    else ``"en"``: a count of about thirty common words of each language."""
    words = [w.lower() for w in _WORD.findall(text)]
    en = sum(w in _EN_WORDS for w in words)
    fr = sum(w in _FR_WORDS for w in words) + sum(ch in "éèêàçùâîôû" for ch in text.lower()) / 4
    return "fr" if fr > en else "en"


@dataclass(frozen=True)
class OfferScreen:
    """The signs found in one offer, with the words that triggered each."""

    id: Any
    lang: str
    signs: tuple[str, ...]
    evidence: dict[str, tuple[str, ...]]
    version: str
    descriptions: dict[str, str] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The line of ``vigil recruiters check-offer --format jsonl``."""
        return {
            "id": self.id,
            "signs": list(self.signs),
            "evidence": {s: list(self.evidence[s]) for s in self.signs},
            "version": self.version,
        }


# --- clauses and negation -------------------------------------------------------------------


class _Text:
    """The offer with its clause boundaries, computed once."""

    def __init__(self, text: str, signset: SignSet, lang: str) -> None:
        # same length as the original, so spans point into it
        self.raw = text
        self.text = text.replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ")
        self.lang = lang
        self.signset = signset
        hard = [m.end() for m in _HARD.finditer(self.text)]
        hard += [m.start() for m in signset.boundary[lang].finditer(self.text)]
        self.hard = sorted(set(hard))
        self.commas = [m.start() for m in re.finditer(",", self.text)]

    def hard_start(self, pos: int) -> int:
        start = 0
        for b in self.hard:
            if b <= pos:
                start = b
            else:
                break
        return start

    def hard_end(self, pos: int) -> int:
        for b in self.hard:
            if b > pos:
                return b
        return len(self.text)

    def clause_start(self, start: int, end: int) -> int:
        """Start of the clause a match at [start, end) belongs to, for the negation scope."""
        left = self.hard_start(start)
        edge = start
        for c in reversed(self.commas):
            if c >= edge or c < left:
                continue
            segment = self.text[c + 1 : edge]
            in_list = (
                bool(_LIST_CONJ.match(segment))
                or (not segment.strip() and bool(_LIST_NEXT.match(self.text[end : end + 6])))
                or (len(_WORD.findall(segment)) <= 1 and bool(_LIST_NEXT.match(self.text[end : end + 6])))
            )
            if not in_list:
                return c + 1
            edge = c
        return left

    def negated_before(self, start: int, end: int) -> bool:
        window = self.text[self.clause_start(start, end) : start]
        words = list(_WORD.finditer(window))
        lang = self.lang
        scopes = ((NARROW_WORDS, self.signset.narrow[lang]), (WIDE_WORDS, self.signset.wide[lang]))
        for limit, pattern in scopes:
            if not words:
                break
            first = words[max(0, len(words) - limit)].start()
            if pattern.search(window[first:]):
                return True
            # elided French negation ("n'", "d'"...) glued to the next word
            wide = pattern is self.signset.wide[lang]
            if lang == "fr" and wide and re.search(r"\bn'", window[first:], re.IGNORECASE):
                return True
        return False

    def negated_inside(self, start: int, end: int) -> bool:
        span = self.text[start:end]
        lang = self.lang
        return bool(self.signset.narrow[lang].search(span) or self.signset.wide[lang].search(span))

    def clause(self, pos: int) -> tuple[int, int]:
        return self.hard_start(pos), self.hard_end(pos)


Span = tuple[int, int]


def _clean(phrase: str) -> str:
    return " ".join(phrase.split()).strip(" ,;:-–")


def _phrases(raw: str, spans: Iterable[Span]) -> list[str]:
    """The words of the text under ``spans``, overlapping spans merged, in text order."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    for start, end in merged:
        p = _clean(raw[start:end])
        if p and p not in out:
            out.append(p)
    return out


def _find(
    doc: _Text, patterns: Iterable[re.Pattern[str]], *, inside: bool, excepts: Iterable[re.Pattern[str]] = ()
) -> list[Span]:
    """The spans matched by ``patterns`` that no negation or exception cancels."""
    out: list[Span] = []
    excepts = tuple(excepts)
    for pattern in patterns:
        for m in pattern.finditer(doc.text):
            if m.end() == m.start():
                continue
            if doc.negated_before(m.start(), m.end()):
                continue
            if inside and doc.negated_inside(m.start(), m.end()):
                continue
            if excepts:
                lo, _ = doc.clause(m.start())
                stop = _CLAUSE_END.search(doc.text, m.end())
                clause = doc.text[lo : stop.start() if stop else len(doc.text)]
                if any(e.search(clause) for e in excepts):
                    continue
            out.append((m.start(), m.end()))
    return out


def _plain(doc: _Text, patterns: Iterable[re.Pattern[str]]) -> list[Span]:
    return [(m.start(), m.end()) for p in patterns for m in p.finditer(doc.text) if m.end() > m.start()]


# --- absence rules ---------------------------------------------------------------------------

_CAP = r"[A-ZÀ-ÖØ-Þ][\w'&-]*"
_NAME_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "our",
        "your",
        "this",
        "we",
        "you",
        "i",
        "un",
        "une",
        "le",
        "la",
        "les",
        "notre",
        "votre",
        "nous",
        "vous",
        "des",
        "de",
        "du",
        "in",
        "at",
        "for",
        "with",
        "to",
        "and",
        "or",
        "et",
        "ou",
        "à",
        "au",
        "aux",
        "en",
        "pour",
        "chez",
        "avec",
        "job",
        "jobs",
        "work",
        "wanted",
        "urgent",
        "hiring",
        "new",
        "offre",
        "emploi",
        "recrute",
        "recherche",
    ]
)
_AGENT_WORDS = frozenset(
    [
        "agency",
        "agencies",
        "agence",
        "agences",
        "recruitment",
        "recrutement",
        "staffing",
        "manpower",
        "placement",
        "intérim",
        "interim",
        "recruiters",
        "recruiter",
        "recruteur",
        "headhunters",
        "consultancy",
        "consulting",
        "overseas",
        "employment",
        "emploi",
        "jobs",
        "careers",
        "talent",
    ]
)


def _is_place_word(word: str, signset: SignSet) -> bool:
    w = word.lower().strip(".,'-")
    return w in signset.words("countries") or w in signset.words("cities") or w in signset.words("not_places")


def _employer_named(doc: _Text) -> bool:
    """Whether the offer names an employer (not the agent): a company with a legal suffix, an
    ``Employer: X`` label, a noun such as "Hotel"/"Ferme" followed by a capitalised name, a
    capitalised name that hires ("Nordfrucht is hiring"), or "for/at/chez <Name>"."""
    text, ss, lang = doc.text, doc.signset, doc.lang
    names: list[str] = []
    suffix = ss.pattern("legal_suffix").pattern
    for m in re.finditer(rf"((?:{_CAP}\s+){{0,4}}{_CAP})\s*,?\s+(?i:{suffix})(?=[\s,.;:)!?]|$)", text):
        names.append(m.group(1))
    label = ss.pattern("employer_label", lang)
    for m in label.finditer(text):
        rest = text[m.end() : m.end() + 60]
        got = re.match(rf"(?:the |le |la |l')?({_CAP}(?:\s+{_CAP}){{0,3}})", rest)
        unnamed = {"confidential", "confidentiel", "confidentielle", "tbc", "n/a"}
        if got and got.group(1).lower() not in unnamed:
            names.append(got.group(1))
    nouns = ss.lexicon["employer_nouns"][lang]
    for m in nouns.finditer(text):
        rest = text[m.end() : m.end() + 60]
        article = r"(?:(?:Le|La|Les|L'|The|De|Du|Des|Di|Da|Van|Von|El|Al)\s*)?"
        got = re.match(rf"\s+({article}{_CAP}(?:\s+{_CAP}){{0,3}})", rest)
        if got:
            names.append(got.group(1))
    family = re.finditer(rf"\b(?i:the)\s+({_CAP})\s+(?i:family|household)\b|\b(?i:famille)\s+({_CAP})", text)
    names += [m.group(1) or m.group(2) for m in family]
    hires = (
        r"(?:is hiring|is recruiting|recruits|seeks|is seeking|is looking for|are hiring|"
        r"are looking for|needs|recrute|recherche|cherche|embauche|engage)"
    )
    for m in re.finditer(rf"((?:{_CAP}\s+){{0,3}}{_CAP})\s+{hires}\b", text):
        names.append(m.group(1))
    preps = r"(?i:for|at|with|by|chez|pour|auprès de|employed by|work for)"
    for m in re.finditer(rf"\b{preps}\s+((?:{_CAP}\s+){{0,3}}{_CAP})", text):
        names.append(m.group(1))
    for name in names:
        words = [w for w in re.split(r"\s+", name) if w]
        content = [w for w in words if w.lower().strip(".,") not in _NAME_STOP]
        if not content:
            continue
        if all(_is_place_word(w, ss) for w in content):
            continue
        if any(w.lower().strip(".,") in _AGENT_WORDS for w in content):
            continue
        return True
    return False


def employer_unnamed(doc: _Text) -> list[Span]:
    """Explicit: the employer is "confidential", or its name comes later. Absence: an
    intermediary speaks ("our agency", "our client", "on behalf of") or the employer is
    described without a name ("a leading hotel", "une grande entreprise"), and no employer
    name is found (see ``_employer_named``). An employer that writes its own offer without
    giving its name is not flagged."""
    sign = doc.signset.signs["employer_unnamed"]
    explicit = _find(doc, sign.statements[doc.lang], inside=False)
    if explicit:
        return explicit
    anonymous = _find(doc, doc.signset.pattern_list("anonymous_employer", doc.lang), inside=True)
    agent = _plain(doc, doc.signset.pattern_list("agent_cues", doc.lang))
    if (anonymous or agent) and not _employer_named(doc):
        return anonymous or agent
    return []


_OFFICE = re.compile(
    r"\b(?:agency|agence|agent|office|bureau|recruiter|recruteur|siège|cabinet|head office|headquarters)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[.!?\n]+(?:\s|$)")


def _after_office(text: str, pos: int) -> bool:
    """Whether ``pos`` follows a mention of the agent or its office in the same sentence (the
    agency's own address is not the workplace)."""
    start = 0
    for m in _SENTENCE.finditer(text, 0, pos):
        start = m.end()
    return bool(_OFFICE.search(text, start, pos))


def _place_like(name: str, ss: SignSet) -> bool:
    words = [w for w in re.split(r"[\s]+", name) if w]
    content = [w for w in words if w.lower() not in _NAME_STOP]
    suffix = ss.pattern("legal_suffix")
    return (
        bool(content)
        and not _is_multiword_country(name, ss)
        and not any(
            (_is_place_word(w, ss) and w.lower() not in ss.words("cities"))
            or suffix.fullmatch(w)
            or w.lower().strip(".,") in _AGENT_WORDS
            for w in content
        )
    )


def _precise_place(doc: _Text) -> list[Span]:
    """Places more precise than a country: a city of the list, a street address or postal
    code, a capitalised name after "in/at/near/à/près de" that is not a country or region, or a
    capitalised name after a comma ("Orchard Fresh Ltd, Hastings, New Zealand"). Places that
    follow a mention of the agency or its office in the same sentence are the agency's, not
    the workplace, and do not count."""
    text, ss = doc.text, doc.signset
    found: list[Span] = []
    found += [m.span() for m in ss.pattern("cities_re").finditer(text)]
    for p in ss.lexicon["address"]:
        found += [(m.start(), m.end()) for m in p.finditer(text)]
    preps = r"(?:in|at|near|outside|based in|located in|à|près de|proche de|dans la ville de|région de)"
    name = rf"({_CAP}(?:[\s-]+{_CAP}){{0,2}})"
    for m in re.finditer(rf"\b(?i:{preps})\s+{name}", text):
        if _place_like(m.group(1), ss):
            found.append(m.span(1))
    for m in re.finditer(rf",\s*{name}(?=\s*(?:[,.;:!?()]|$))", text):
        if _place_like(m.group(1), ss):
            found.append(m.span(1))
    nouns = ss.lexicon["employer_nouns"][doc.lang]
    for m in re.finditer(rf"{name}\s*,\s*({_CAP}(?:\s+{_CAP}){{0,2}})", text):
        last = m.group(1).split()[-1]
        if (
            _is_multiword_country(m.group(2), ss)
            and _place_like(m.group(1), ss)
            and not nouns.fullmatch(last)
        ):
            found.append(m.span(1))
    return [span for span in found if not _after_office(text, span[0])]


def _is_multiword_country(name: str, ss: SignSet) -> bool:
    return name.lower().strip(" .,") in ss.words("countries")


_ORIGIN = re.compile(
    r"(?:\bfrom|originaires? d[eu']|\bnationals? of|\bcitizens? of|\bvenant d[eu']|\bissu[es]* d[eu'])"
    r"\s*(?:the\s+|la\s+|l')?$",
    re.IGNORECASE,
)


def _countries(doc: _Text) -> list[Span]:
    """Mentions of a country or region as a place of work: not an origin ("workers from
    Nepal") and not part of a name ("Bouygues UK", "France Travail", "Serres de Bretagne SARL")."""
    text, ss = doc.text, doc.signset
    out: list[Span] = []
    for m in ss.pattern("countries_re").finditer(text):
        word = text[m.start() : m.end()]
        if _ORIGIN.search(text[max(0, m.start() - 25) : m.start()]):
            continue
        if word.lower() in {"us", "uk", "eu"} and word != word.upper():
            continue
        nxt = re.match(r"\s+([A-ZÀ-Þ][\w-]*)", text[m.end() :])
        if nxt and nxt.group(1).lower() not in _NAME_STOP and not _is_place_word(nxt.group(1), ss):
            continue
        prv = re.search(r"([A-ZÀ-Þ][\w-]*|\bde|\bdu|\bof)\s+$", text[: m.start()])
        if (
            prv
            and prv.group(1).lower() not in _NAME_STOP | {"de", "du", "of"}
            and not re.search(r"[.!?]\s*\S+\s+$", text[: m.start()])
            and m.start() > len(prv.group(0))
        ):
            continue
        out.append(m.span())
    return out


def location_vague(doc: _Text) -> list[Span]:
    """Explicit: the place of work is given "on arrival" or "later". Absence: the offer names a
    vague place ("abroad", "in Europe", "à l'étranger") or only countries and regions, and no
    place more precise (see ``_precise_place``). An offer that names no place at all is not
    flagged (a local advertisement often does not)."""
    sign = doc.signset.signs["location_vague"]
    explicit = _find(doc, sign.statements[doc.lang], inside=False)
    if explicit:
        return explicit
    vague = _plain(doc, doc.signset.pattern_list("vague_places", doc.lang))
    countries = _countries(doc)
    if (vague or countries) and not _precise_place(doc):
        return vague + countries
    return []


def messaging_only(doc: _Text) -> list[Span]:
    """Explicit: "WhatsApp only", "uniquement par SMS". Absence: a phone number or messaging
    app is the contact, and the offer gives no e-mail, website, street address, postal box,
    office, or registration or licence number."""
    sign = doc.signset.signs["messaging_only"]
    explicit = _find(doc, sign.statements[doc.lang], inside=False)
    formal = [
        m
        for key in ("formal_contact", "address")
        for p in doc.signset.lexicon[key]
        for m in p.finditer(doc.text)
    ]
    if explicit and not formal:
        return explicit
    if formal:
        return []
    phones = [(m.start(), m.end()) for m in doc.signset.pattern("phone").finditer(doc.text)]
    apps = _plain(doc, doc.signset.pattern_list("apps", doc.lang))
    return explicit + apps + phones if (phones or apps) else []


_AMOUNT = re.compile(
    r"(?P<pre>[$€£]|\b(?:usd|eur|gbp|chf)\s?)?"
    r"(?P<num>\d{1,3}(?:[ ,.  ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
    r"\s?(?P<k>k\b)?\s?(?P<post>[$€£]|(?:usd|eur|euros?|gbp|chf|dollars?|pounds?|francs? suisses)\b)?",
    re.IGNORECASE,
)
_PERIOD = re.compile(
    r"^\s*(?:gross|net|brut|nets?|before tax)?\s*(?:a|an|per|/|each|every|par|le|la|by the|the)\s*"
    r"(?P<p>hours?|hr|h\b|heures?|days?|jours?|journée|weeks?|semaines?|months?|mois|years?|ans?|année)",
    re.IGNORECASE,
)
_YEARLY = re.compile(r"(?:annual|yearly|per year|a year|par an|annuel|/an\b|/year|p\.a\.)", re.IGNORECASE)


def _amounts(text: str) -> list[tuple[float, str, Span]]:
    """(amount, period, span) for the sums of money in EUR, USD, GBP or CHF."""
    out: list[tuple[float, str, Span]] = []
    for m in _AMOUNT.finditer(text):
        if not (m.group("pre") or m.group("post")):
            continue
        num = m.group("num")
        if re.fullmatch(r"\d{1,3}(?:[ ,.  ]\d{3})+(?:[.,]\d{1,2})?", num):
            cents = re.search(r"[.,]\d{1,2}$", num) and len(num) > 4
            head = re.sub(r"[.,]\d{1,2}$", "", num) if cents else num
            value = float(re.sub(r"[ ,.  ]", "", head))
        else:
            value = float(num.replace(",", "."))
        if m.group("k"):
            value *= 1000
        after = text[m.end() : m.end() + 30]
        before = text[max(0, m.start() - 30) : m.start()]
        period = "month"
        pm = _PERIOD.match(after)
        if pm:
            p = pm.group("p").lower()
            period = (
                "hour"
                if p.startswith(("h", "heure"))
                else "day"
                if p.startswith(("d", "j"))
                else "week"
                if p.startswith(("w", "s"))
                else "year"
                if p.startswith(("y", "an", "année"))
                else "month"
            )
        elif _YEARLY.search(after[:15]) or _YEARLY.search(before):
            period = "year"
        out.append((value, period, (m.start(), m.end() + (pm.end() if pm else 0))))
    return out


def pay_unrealistic(doc: _Text) -> list[Span]:
    """Explicit: "easy money", "argent facile". Otherwise, any of: a high-pay claim ("huge
    salary", "très bien payé") or a wage at or above ``pay_thresholds_no_requirement`` (per
    day, week, month; EUR, USD, GBP, CHF) together with a statement that no experience,
    language or qualification is needed; or a wage at or above ``pay_thresholds`` for work
    that is nowhere paid so (waiting,
    cleaning, domestic, farm and factory work...; the list is in the file). The occupation is
    never a sign by itself: only the pay out of proportion to it."""
    sign = doc.signset.signs["pay_unrealistic"]
    explicit = _find(doc, sign.patterns[doc.lang], inside=True)
    if explicit:
        return explicit
    thresholds = doc.signset.lexicon["pay_thresholds"]
    lower = doc.signset.lexicon.get("pay_thresholds_no_requirement", thresholds)
    amounts = _amounts(doc.text)
    high_amounts = [
        span for value, period, span in amounts if period in thresholds and value >= thresholds[period]
    ]
    fair_high = [span for value, period, span in amounts if period in lower and value >= lower[period]]
    claims = _find(doc, doc.signset.pattern_list("high_pay", doc.lang), inside=False)
    easy = _plain(doc, doc.signset.pattern_list("no_requirement", doc.lang))
    if (claims or fair_high) and easy:
        return claims + fair_high + easy
    modest_work = doc.signset.lexicon["modest_pay_work"][doc.lang]
    modest = [m.span() for m in modest_work.finditer(doc.text)]
    if high_amounts and modest:
        return high_amounts + modest
    return []


_ABSENCE = {
    "employer_unnamed": employer_unnamed,
    "location_vague": location_vague,
    "messaging_only": messaging_only,
    "pay_unrealistic": pay_unrealistic,
}


def screen_offer(
    text: str, *, lang: str = "auto", signs: SignSet | None = None, offer_id: Any = None
) -> OfferScreen:
    """The warning signs in one offer (``lang``: ``en``, ``fr`` or ``auto``)."""
    signset = signs or load_signs()
    if lang == "auto":
        lang = detect_language(text)
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (known: en, fr, auto)")
    doc = _Text(text, signset, lang)
    found: dict[str, list[str]] = {}
    for sid, sign in signset.signs.items():
        if sid in _ABSENCE:
            spans = _ABSENCE[sid](doc)
        else:
            spans = _find(doc, sign.patterns[lang], inside=True, excepts=sign.excepts[lang])
            spans += _find(doc, sign.statements[lang], inside=False, excepts=sign.excepts[lang])
        found[sid] = _phrases(doc.raw, spans)
    fired = tuple(sorted(s for s, phrases in found.items() if phrases))
    return OfferScreen(
        id=offer_id,
        lang=lang,
        signs=fired,
        evidence={s: tuple(found[s]) for s in fired},
        version=signset.version,
        descriptions={s: signset.signs[s].description for s in fired},
    )

"""Classify one payment a worker made under the Employer Pays principle (``fair-recruitment-2019``).

    >>> from vigil.recruitment.fees import Payment, classify_payment
    >>> d = classify_payment(Payment(amount=1200, currency="USD", purpose="flight ticket",
    ...                              payee="recruiter", channel="wage_deduction"))
    >>> d.category, d.outcome, d.debt_lead
    ('RC6', 'positive', True)

The payment's purpose gives the ILO cost category (RF recruitment fees, RC1-RC7 related costs,
IC illegitimate costs); the rule set decides (a breach unless the jurisdiction excepts the
category); a breach repaid by wage deduction or by a loan is a debt-bondage lead (UR04/CR04,
to be confirmed in interview). A fee breach alone is not forced labour.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vigil.rules import assess, load_ruleset
from vigil.rules.model import RuleSet

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "PAYEES",
    "FeeDetermination",
    "Payment",
    "category_of",
    "classify_payment",
]

RULESET = "fair-recruitment-2019"
CHANNELS = ("upfront", "wage_deduction", "loan", "family", "in_kind")
PAYEES = ("recruiter", "employer", "agent", "official", "other")
DEBT_CHANNELS = frozenset({"wage_deduction", "loan"})

#: Category code -> words of a purpose that name it (checked in this order: IC first, so a
#: "deposit for the visa" is a bond, RF last, so "agency fee for training" is training).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "IC": (
        "bribe",
        "tribute",
        "extortion",
        "kickback",
        "bond",
        "deposit",
        "collateral",
        "guarantee",
        "pot-de-vin",
        "caution",
        "gift to",
        "tip to",
    ),
    "RC1": ("medical", "health", "vaccin", "x-ray", "test médical", "visite médicale", "examen médical"),
    "RC2": ("insurance", "welfare fund", "assurance"),
    "RC3": (
        "skills test",
        "trade test",
        "language test",
        "test",
        "certification",
        "certificate",
        "qualification",
        "examen",
        "diplôme",
    ),
    "RC4": ("training", "orientation", "course", "formation", "briefing", "pre-departure"),
    "RC5": ("equipment", "tools", "uniform", "safety", "ppe", "outils", "équipement", "tenue"),
    "RC6": (
        "travel",
        "flight",
        "ticket",
        "airfare",
        "transport",
        "bus",
        "lodging",
        "housing",
        "accommodation",
        "hotel",
        "return",
        "voyage",
        "billet",
        "logement",
        "hébergement",
    ),
    "RC7": (
        "passport",
        "visa",
        "permit",
        "contract",
        "clearance",
        "bank",
        "document",
        "police",
        "notar",
        "translation",
        "embassy",
        "passeport",
        "permis",
        "contrat",
        "banque",
        "papiers",
    ),
    "RF": (
        "recruitment",
        "placement",
        "registration",
        "agency",
        "job",
        "service",
        "processing",
        "commission",
        "application",
        "recrutement",
        "inscription",
        "dossier",
        "agence",
        "fee",
        "frais",
    ),
}


def category_of(purpose: str) -> str | None:
    """The ILO category code a purpose names (a code itself, or words), or ``None``."""
    text = purpose.strip()
    if text.upper() in CATEGORIES:
        return text.upper()
    low = text.lower()
    for code, words in CATEGORIES.items():
        if any(re.search(rf"(?<!\w){re.escape(w)}", low) for w in words):
            return code
    return None


@dataclass(frozen=True)
class Payment:
    """One payment by a worker (or the family) for the job."""

    amount: float
    currency: str
    purpose: str
    payee: str = "recruiter"
    channel: str = "upfront"
    id: str | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        if self.payee not in PAYEES:
            raise ValueError(f"payee must be one of {', '.join(PAYEES)}")
        if not self.amount >= 0:
            raise ValueError("amount must be a number >= 0")
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError("currency must be an ISO 4217 code such as USD")


@dataclass(frozen=True)
class FeeDetermination:
    """The rule set's determination on one payment, with the category and the debt lead."""

    id: str | None
    category: str | None
    category_label: str
    outcome: str
    label: str
    decided_by: str
    fired: tuple[str, ...]
    ruleset: str
    version: str
    channel: str
    debt_lead: bool
    confirm: tuple[str, ...]
    amount: float
    currency: str
    #: the language-neutral tree of ``decided_by`` (``vigil.rules.explain_text.render``)
    why: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "category_label": self.category_label,
            "outcome": self.outcome,
            "label": self.label,
            "decided_by": self.decided_by,
            "fired": list(self.fired),
            "ruleset": self.ruleset,
            "version": self.version,
            "channel": self.channel,
            "debt_lead": self.debt_lead,
            "confirm": list(self.confirm),
            "amount": self.amount,
            "currency": self.currency,
            "why": self.why,
        }


def classify_payment(payment: Payment, ruleset: RuleSet | None = None) -> FeeDetermination:
    """Classify ``payment`` with ``fair-recruitment-2019`` (or a national variant of it)."""
    rs = ruleset or load_ruleset(RULESET)
    code = category_of(payment.purpose)
    labels = {i.id: i.label for i in rs.indicators}
    # the rule set's vocabulary has no "in kind" repayment: such a payment is not a debt
    facts: dict[str, Any] = {} if payment.channel == "in_kind" else {"fee_repayment": [payment.channel]}
    if code is not None:
        facts["fees_charged"] = [code] if payment.amount > 0 else []
    det = assess(rs, {"id": payment.id or "payment", "facts": facts}, why=True).to_dict()
    breach = det["outcome"] == "positive"
    return FeeDetermination(
        id=payment.id,
        category=code,
        category_label=labels.get(code, "unknown: the purpose names no ILO category")
        if code
        else "unknown: the purpose names no ILO category",
        outcome=det["outcome"],
        label=det["label"],
        decided_by=det["decided_by"],
        fired=tuple(det["fired"]),
        ruleset=det["ruleset"],
        version=det["version"],
        channel=payment.channel,
        debt_lead=breach and payment.channel in DEBT_CHANNELS,
        confirm=tuple(det["route"]["confirm"]),
        amount=payment.amount,
        currency=payment.currency,
        why=det["why"],
    )

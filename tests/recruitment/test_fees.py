"""Fee classification with fair-recruitment-2019: every category and every payment channel."""

from __future__ import annotations

import pytest

from vigil.recruitment.fees import CHANNELS, Payment, category_of, classify_payment
from vigil.rules import load_ruleset

PURPOSES = {
    "RF": "placement fee to the agency",
    "RC1": "medical examination",
    "RC2": "insurance",
    "RC3": "language test",
    "RC4": "pre-departure orientation",
    "RC5": "uniform and tools",
    "RC6": "flight ticket",
    "RC7": "visa and work permit",
    "IC": "bribe to an official",
}


@pytest.mark.parametrize(("code", "purpose"), sorted(PURPOSES.items()))
def test_every_category_is_a_breach(code: str, purpose: str) -> None:
    d = classify_payment(Payment(100, "USD", purpose, "recruiter", "upfront"))
    assert d.category == code
    assert d.outcome == "positive" and f"facts.fees_charged={code}" in d.fired
    assert d.ruleset == "fair-recruitment-2019" and d.version == load_ruleset("fair-recruitment-2019").version
    assert code in d.decided_by and not d.debt_lead


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_and_the_debt_lead(channel: str) -> None:
    d = classify_payment(Payment(500, "EUR", "recruitment fee", "agent", channel))
    assert d.outcome == "positive" and d.channel == channel
    assert d.debt_lead is (channel in {"wage_deduction", "loan"})
    assert d.confirm == (("UR04", "CR04") if d.debt_lead else ())


def test_codes_french_words_and_unknown_purposes() -> None:
    assert category_of("rc4") == "RC4"
    assert category_of("frais de dossier") == "RF"
    assert category_of("caution") == "IC"
    assert category_of("billet d'avion") == "RC6"
    assert category_of("a deposit for the visa") == "IC"
    assert category_of("something else") is None
    unknown = classify_payment(Payment(10, "USD", "something else"))
    assert unknown.category is None and unknown.outcome == "insufficient"


def test_national_exception_and_zero_amount() -> None:
    national = load_ruleset("fair-recruitment-2019", {"exceptions": ["RC1"]})
    assert classify_payment(Payment(80, "USD", "medical"), national).outcome == "negative"
    assert classify_payment(Payment(80, "USD", "bribe"), national).outcome == "positive"
    assert classify_payment(Payment(0, "USD", "placement fee")).outcome == "negative"


def test_payment_refuses_bad_values() -> None:
    with pytest.raises(ValueError):
        Payment(10, "USD", "fee", channel="cash")
    with pytest.raises(ValueError):
        Payment(-1, "USD", "fee")
    with pytest.raises(ValueError):
        Payment(1, "dollars", "fee")

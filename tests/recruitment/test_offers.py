"""The offer screen: per-sign precision and recall on the labelled set, negations, languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigil.recruitment import SIGN_IDS, detect_language, load_signs, screen_offer
from vigil.recruitment.evaluation import sign_scores

DATA = Path(__file__).parent / "data" / "offers-labelled.jsonl"
FLOOR = 0.9


def _labelled() -> list[dict[str, object]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_labelled_set_shape() -> None:
    rows = _labelled()
    assert len(rows) >= 150
    assert {r["lang"] for r in rows} == {"en", "fr"}
    clean = sum(1 for r in rows if not r["signs"])
    assert clean * 2 >= len(rows) - 2  # about half with no sign at all
    for r in rows:
        assert set(r["signs"]) <= set(SIGN_IDS), r["id"]  # type: ignore[arg-type]
    for sign in SIGN_IDS:  # every sign has examples in both languages
        for lang in ("en", "fr"):
            assert any(sign in r["signs"] and r["lang"] == lang for r in rows), (sign, lang)  # type: ignore[operator]


def test_precision_and_recall_per_sign_above_floor() -> None:
    rows = _labelled()
    found = [screen_offer(str(r["text"])).signs for r in rows]
    scores = sign_scores(SIGN_IDS, [r["signs"] for r in rows], found)  # type: ignore[misc]
    low = {
        s: (round(v.precision, 2), round(v.recall, 2))
        for s, v in scores.items()
        if v.precision < FLOOR or v.recall < FLOOR
    }
    assert not low, low


def test_auto_language_matches_the_labels() -> None:
    rows = _labelled()
    wrong = [r["id"] for r in rows if detect_language(str(r["text"])) != r["lang"]]
    assert not wrong


def test_evidence_is_words_of_the_offer() -> None:
    for r in _labelled():
        res = screen_offer(str(r["text"]))
        squashed = " ".join(str(r["text"]).split())
        for sign in res.signs:
            assert res.evidence[sign], (r["id"], sign)
            for phrase in res.evidence[sign]:
                assert phrase in squashed, (r["id"], sign, phrase)


@pytest.mark.parametrize(
    "text",
    [
        "No fee.",
        "no fee",
        "We never keep your passport.",
        "The employer pays all travel costs.",
        "Written contract signed before departure.",
        "There is no placement fee, no registration fee and no deposit.",
        "We do not charge placement, registration or visa fees.",
        "You will not be asked to pay anything for this job, not even for the medical test.",
        "Nobody will take your passport; you keep your passport at all times.",
        "Recruitment fees and the visa are paid by the employer.",
        "Placement fee: none. Deposit: 0.",
        "Food and housing are provided free, nothing is deducted from your wages.",
        "The flight is paid by the employer and never deducted from your wages.",
        "You can change employer at any time and you are free to leave the farm on your days off.",
        "Accommodation is on site and you are free to come and go.",
        "Send a copy of your passport with your application.",
        "We do not ask for photos, age or marital status.",
        "You will never work without a contract.",
        "Nous ne demandons aucun frais.",
        "Aucun frais de dossier, aucune caution.",
        "Votre passeport ne sera jamais confisqué.",
        "Le contrat de travail est signé avant le départ.",
        "L'employeur paie tous les frais de voyage.",
        "Le logement est gratuit, rien n'est retenu sur votre salaire.",
        "Frais de formation pris en charge par l'employeur.",
    ],
)
def test_negations_do_not_fire(text: str) -> None:
    assert screen_offer(text).signs == ()


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("No fee, but a deposit of 200 EUR is required.", "fee_charged"),
        ("No experience needed, pay a 300 EUR registration fee to start.", "fee_charged"),
        ("We don't charge fees but your passport will be kept by the employer.", "documents_held"),
        ("There is no written contract.", "no_contract"),
        ("Contract on arrival.", "no_contract"),
        ("You cannot change employers for two years.", "restricted_movement"),
        ("Pas de contrat, paiement en liquide.", "no_contract"),
        ("Frais d'inscription de 100 €, payables avant le départ.", "fee_charged"),
    ],
)
def test_signs_survive_a_negation_elsewhere(text: str, sign: str) -> None:
    assert sign in screen_offer(text).signs


def test_mobility_and_occupation_alone_are_not_signs() -> None:
    offers = [
        "Domestic worker for the Lefebvre family, 12 rue de Rivoli, Paris. 14 EUR an hour. "
        "Contact lefebvre@gmail.com.",
        "Entertainment job: singers for the Crystal Lounge, Hilton Tokyo. Flights paid by the "
        "employer. Apply at hilton.com/careers.",
        "Danseuses pour le Lido, 116 avenue des Champs-Élysées, Paris. Candidature sur lido.fr.",
        "Work permit and relocation to Berlin for nurses at Charité, paid by the employer. "
        "Apply at charite.de/jobs.",
    ]
    for text in offers:
        assert screen_offer(text).signs == (), text


def test_explicit_and_absence_rules_of_the_absence_type_signs() -> None:
    assert screen_offer("The name of the employer is confidential.").signs == ("employer_unnamed",)
    assert "employer_unnamed" in screen_offer("Our agency recruits for a leading hotel in Doha.").signs
    assert (
        "employer_unnamed"
        not in screen_offer("Our agency recruits for Hotel Sheraton Doha, Al Corniche Street.").signs
    )
    assert screen_offer("Jobs abroad, good salary.").signs == ("location_vague",)
    assert "location_vague" not in screen_offer("Jobs in Germany at Klinikum Stuttgart.").signs
    assert screen_offer("Exact location will be given on arrival.").signs == ("location_vague",)
    assert screen_offer("Drivers needed. Call 07700 900123.").signs == ("messaging_only",)
    assert screen_offer("Drivers needed. Call 07700 900123 or email jobs@drive.co.uk.").signs == ()
    assert screen_offer("Waitresses, 6,000 EUR per month.").signs == ("pay_unrealistic",)
    assert screen_offer("Waitresses, 1,900 EUR per month.").signs == ()
    assert screen_offer("Very high salary, no experience needed.").signs == ("pay_unrealistic",)
    assert screen_offer("No experience needed, 1,700 EUR per month, Lidl Nantes.").signs == ()


def test_result_shape_and_version() -> None:
    res = screen_offer("Pay the 300 EUR registration fee today.", offer_id="o1")
    d = res.to_dict()
    assert list(d) == ["id", "signs", "evidence", "version"]
    assert d["id"] == "o1" and d["signs"] == ["fee_charged"] and d["version"] == load_signs().version
    assert d["evidence"] == {"fee_charged": ["300 EUR registration fee"]}


def test_sign_file_lists_exactly_the_contract_signs() -> None:
    ss = load_signs()
    assert tuple(ss.signs) == SIGN_IDS
    assert ss.id == "offer-signs" and ss.version
    for sign in ss.signs.values():
        assert sign.description
        for lang in ("en", "fr"):
            assert sign.patterns[lang] or sign.statements[lang] or sign.kind == "heuristic"


def test_forced_language_and_detection() -> None:
    assert detect_language("Nous recrutons des serveurs pour notre restaurant à Lyon.") == "fr"
    assert detect_language("We are hiring waiters for our restaurant in Lyon.") == "en"
    assert screen_offer("Frais de dossier : 200 €.", lang="en").signs == ()
    assert screen_offer("Frais de dossier : 200 €.", lang="fr").signs == ("fee_charged",)
    with pytest.raises(ValueError):
        screen_offer("x", lang="de")

"""Offer screen quality: precision and recall per warning sign on the labelled offers.

The labelled set (tests/recruitment/data/offers-labelled.jsonl: English and French offers,
about half with no sign) is screened by ``vigil.recruitment.screen_offer``. The baseline,
measured in the same run on the same offers, is a naive keyword match: a sign fires when one
of a few words for it appears anywhere ("fee", "passport", "contract"...), with no negation,
no clause and no absence rule.

Prints per-sign P/R/F1 for both, the micro-averaged precision and recall over all signs, and
BENCH offer_signs_macro_f1 value=<macro F1> unit=ratio baseline=<keyword macro F1> ratio=<x>

    .venv/bin/python bench/offer_signs.py [FILE.jsonl]

FILE is another labelled set in the same format, e.g. tests/recruitment/data/offers-fresh.jsonl
(48 offers written after the patterns, never used to correct them); its BENCH line is named
``offer_signs_<file stem>_macro_f1``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from vigil.recruitment import SIGN_IDS, screen_offer
from vigil.recruitment.evaluation import macro_f1, sign_scores

DATA = Path(__file__).resolve().parent.parent / "tests" / "recruitment" / "data" / "offers-labelled.jsonl"

KEYWORDS = {
    "fee_charged": ["fee", "fees", "deposit", "bond", "frais", "caution"],
    "travel_on_credit": ["loan", "advance", "repay", "prêt", "avance", "rembours"],
    "documents_held": ["passport", "passeport", "papers", "papiers"],
    "employer_unnamed": ["confidential", "confidentiel", "our client", "notre client"],
    "location_vague": ["abroad", "overseas", "europe", "étranger"],
    "pay_unrealistic": ["high salary", "easy money", "no experience", "sans expérience", "argent facile"],
    "appearance_demand": ["photo", "age", "young", "jeune", "âge"],
    "pressure": ["urgent", "places left", "hurry", "places limitées", "dépêchez"],
    "no_contract": ["contract", "contrat"],
    "messaging_only": ["whatsapp", "telegram", "viber"],
    "wage_deductions": ["deducted", "deduction", "retenu", "déduit"],
    "restricted_movement": ["leave", "employer", "sortir", "quitter"],
}


def keyword_signs(text: str) -> list[str]:
    low = text.lower()
    return [s for s, words in KEYWORDS.items() if any(re.search(rf"\b{re.escape(w)}", low) for w in words)]


def micro(scores: dict) -> tuple[float, float]:
    tp = sum(s.true_positives for s in scores.values())
    fp = sum(s.false_positives for s in scores.values())
    fn = sum(s.false_negatives for s in scores.values())
    return tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA
    name = "offer_signs" if data == DATA else f"offer_signs_{data.stem.replace('-', '_')}"
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = [r["signs"] for r in rows]
    t0 = time.perf_counter()
    ours = [screen_offer(r["text"]).signs for r in rows]
    elapsed = time.perf_counter() - t0
    base = [keyword_signs(r["text"]) for r in rows]
    s_ours = sign_scores(SIGN_IDS, expected, ours)
    s_base = sign_scores(SIGN_IDS, expected, base)
    n_clean = sum(1 for e in expected if not e)
    print(
        f"{len(rows)} offers ({sum(r['lang'] == 'en' for r in rows)} en, "
        f"{sum(r['lang'] == 'fr' for r in rows)} fr; {n_clean} with no sign), "
        f"screened in {elapsed:.2f} s ({len(rows) / elapsed:.0f} offers/s)"
    )
    print(f"{'sign':22} {'n':>3}  {'P':>5} {'R':>5} {'F1':>5}   keyword: {'P':>5} {'R':>5} {'F1':>5}")
    for s in SIGN_IDS:
        a, b = s_ours[s], s_base[s]
        n = a.true_positives + a.false_negatives
        print(
            f"{s:22} {n:>3}  {a.precision:5.2f} {a.recall:5.2f} {a.f1:5.2f}            "
            f"{b.precision:5.2f} {b.recall:5.2f} {b.f1:5.2f}"
        )
    clean_flagged = sum(1 for e, o in zip(expected, ours, strict=True) if not e and o)
    print(f"offers with no sign that were flagged: {clean_flagged} of {n_clean}")
    (mp, mr), (bp, br) = micro(s_ours), micro(s_base)
    print(f"all signs (micro): precision {mp:.2f}, recall {mr:.2f}; keyword: {bp:.2f}, {br:.2f}")
    ours_f1, base_f1 = macro_f1(s_ours), macro_f1(s_base)
    print(
        f"BENCH {name}_macro_f1 value={ours_f1:.3f} unit=ratio baseline={base_f1:.3f} "
        f"ratio={ours_f1 / base_f1 if base_f1 else float('inf'):.2f}"
    )


if __name__ == "__main__":
    main()

"""Duplicate suppliers and facilities in a network: names normalised as for recruitment agencies
(``vigil.recruitment.names.normalise_name``: case, accents, Cyrillic/Greek, legal suffixes,
punctuation, word order), compared with rapidfuzz within blocks of the same country (and kind
group: recruiters apart from suppliers and facilities); when both have an address, the score is
0.7 x name + 0.3 x address. Pairs at or above ``match_at`` are *match*, above ``review_at``
*review* (for a person to decide), the others are not returned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from vigil.recruitment.names import normalise_name
from vigil.supply.network import Node

NAME_WEIGHT = 0.7


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    score: float
    name_score: float
    address_score: float | None
    decision: str
    country: str


def _address(text: str) -> str:
    return " ".join(sorted(normalise_name(text.replace(",", " ")).split())) if text else ""


def duplicates(nodes: Sequence[Node], *, match_at: float = 90.0, review_at: float = 75.0) -> list[Pair]:
    """Candidate duplicate pairs (a before b in ``nodes``), best first."""
    if not 0 <= review_at <= match_at <= 100:
        raise ValueError("thresholds must satisfy 0 <= review_at <= match_at <= 100")
    blocks: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for i, n in enumerate(nodes):
        if n.kind != "company":
            blocks[(n.country, n.kind == "recruiter")].append(i)
    names = [normalise_name(n.name) for n in nodes]
    addrs = [_address(n.address) for n in nodes]
    pairs: list[Pair] = []
    for (country, _), idx in blocks.items():
        if len(idx) < 2:
            continue
        block_names = [names[i] for i in idx]
        sim = process.cdist(block_names, block_names, scorer=fuzz.ratio, dtype=np.float64, workers=1)
        rows, cols = np.nonzero(np.triu(sim >= review_at * NAME_WEIGHT, k=1))
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            i, j = idx[r], idx[c]
            name_s = float(sim[r, c])
            addr_s = float(fuzz.ratio(addrs[i], addrs[j])) if addrs[i] and addrs[j] else None
            score = name_s if addr_s is None else NAME_WEIGHT * name_s + (1 - NAME_WEIGHT) * addr_s
            if score < review_at:
                continue
            decision = "match" if score >= match_at else "review"
            pairs.append(Pair(nodes[i].id, nodes[j].id, round(score, 2), round(name_s, 2),
                              None if addr_s is None else round(addr_s, 2), decision, country))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs

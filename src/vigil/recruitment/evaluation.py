"""Precision and recall per sign of the offer screen on a labelled set."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["SignScore", "macro_f1", "sign_scores"]


@dataclass(frozen=True)
class SignScore:
    sign: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def sign_scores(
    signs: Sequence[str], expected: Iterable[Iterable[str]], found: Iterable[Iterable[str]]
) -> dict[str, SignScore]:
    """Per-sign counts over offers: ``expected[i]`` and ``found[i]`` are the signs of offer i."""
    tp = dict.fromkeys(signs, 0)
    fp = dict.fromkeys(signs, 0)
    fn = dict.fromkeys(signs, 0)
    for exp_i, got_i in zip(expected, found, strict=True):
        exp, got = set(exp_i), set(got_i)
        for s in signs:
            tp[s] += s in exp and s in got
            fp[s] += s in got and s not in exp
            fn[s] += s in exp and s not in got
    return {s: SignScore(s, tp[s], fp[s], fn[s]) for s in signs}


def macro_f1(scores: dict[str, SignScore]) -> float:
    """The mean of the per-sign F1 scores."""
    return sum(s.f1 for s in scores.values()) / len(scores) if scores else 0.0

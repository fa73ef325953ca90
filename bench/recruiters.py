"""Agency name matching: 100,000 names against a 20,000-name registry, against a plain loop.

Synthetic names with known duplicates under moderate noise (vigil.recruitment.names:
case, accents, legal-suffix spelling or omission, punctuation, word order, one typo).
Ours: ``vigil.recruitment.names.match`` (normalisation, blocking by country, rapidfuzz cdist on
all cores). Baseline, in the same run: a plain ``rapidfuzz.process.extractOne`` loop of each
raw name over the whole registry (default scorer WRatio, default processor); it is timed on a
sample and its time extrapolated to all names (printed as such).

Prints time, throughput, peak memory (resident set size) and quality, and
BENCH recruiters_match_100k value=<names/s> unit=names/s baseline=<names/s> ratio=<x>
BENCH recruiters_match_recall value=<recall> unit=ratio baseline=<baseline recall on the sample> ratio=<x>

    .venv/bin/python bench/recruiters.py [NAMES] [REGISTRY]
"""

from __future__ import annotations

import resource
import sys
import time

from rapidfuzz import process

from vigil.recruitment.names import match, synthetic_agencies

N_NAMES = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
N_REG = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
SAMPLE = 500


def main() -> None:
    registry, names, truth = synthetic_agencies(N_REG, N_NAMES, seed=7)
    print(f"{len(names):,} names ({len(truth):,} true duplicates) against {len(registry):,} registry names")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    results = match(names, registry)
    ours = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    grew = max(peak - before * 1024, 0)
    tp = sum(1 for r in results if r.decision == "match" and truth.get(r.id) == r.match_id)
    fp = sum(1 for r in results if r.decision == "match" and truth.get(r.id) != r.match_id)
    review = sum(1 for r in results if r.decision == "review")
    review_true = sum(1 for r in results if r.decision == "review" and truth.get(r.id) == r.match_id)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(truth)
    print(
        f"ours: {ours:.2f} s, {len(names) / ours:,.0f} names/s, peak RSS {peak / 2**20:.0f} MiB "
        f"(+{grew / 2**20:.0f} MiB during matching)"
    )
    print(
        f"ours: precision {precision:.4f}, recall {recall:.4f} (decision 'match'); "
        f"{review:,} sent to review, {review_true:,} of them true"
    )
    reg_names = [r.name for r in registry]
    reg_ids = [r.id for r in registry]
    sample = names[:SAMPLE]
    t0 = time.perf_counter()
    hits = 0
    dup_in_sample = 0
    for p in sample:
        best = process.extractOne(p.name, reg_names, score_cutoff=0)
        if p.id in truth:
            dup_in_sample += 1
            hits += best is not None and best[1] >= 90 and reg_ids[best[2]] == truth[p.id]
    base = (time.perf_counter() - t0) / len(sample) * len(names)
    base_recall = hits / dup_in_sample if dup_in_sample else 0.0
    print(
        f"baseline (extractOne loop, timed on {SAMPLE} names and extrapolated to {len(names):,}): "
        f"{base:.0f} s, {len(names) / base:,.0f} names/s; recall on the sample {base_recall:.4f}"
    )
    print(
        f"BENCH recruiters_match_{len(names) // 1000}k value={len(names) / ours:.0f} unit=names/s "
        f"baseline={len(names) / base:.0f} ratio={base / ours:.1f}"
    )
    print(
        f"BENCH recruiters_match_recall value={recall:.4f} unit=ratio baseline={base_recall:.4f} "
        f"ratio={recall / base_recall if base_recall else float('inf'):.2f}"
    )


if __name__ == "__main__":
    main()

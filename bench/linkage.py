"""Record linkage speed and quality on synthetic agency lists with a known truth.

Generates a hidden population (default 3,000 people, 4 lists, moderate noise), links the lists
with ``vigil.stats.linkage`` (Splink on DuckDB: blocking, u sampling, EM, prediction,
clustering, capture histories) and measures records per second over the whole run.

Baseline, timed in the same run: exhaustive pairwise comparison in plain Python (no rapidfuzz,
no jellyfish): a hand-written Jaro-Winkler on folded given and family names plus the date of
birth, for every pair of a 600-record sample; its time per pair is scaled to all
n(n-1)/2 pairs of the full data (exhaustive comparison is quadratic).

Prints
BENCH linkage_<records> value=<records/s> unit=records/s baseline=<records/s> ratio=<x>
BENCH linkage_<records>_f1 value=<pairwise F1> unit=F1 baseline=<baseline F1 on the sample> ...
and the precision, recall and cluster-level figures.

    .venv/bin/python bench/linkage.py [PEOPLE]
"""

from __future__ import annotations

import random
import sys
import time
from itertools import combinations

from vigil.stats.linkage import evaluate_linkage, link_records
from vigil.stats.linkage_normalize import fold_name
from vigil.stats.linkage_synth import generate

PEOPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
SAMPLE = 600


def jaro_winkler(a: str, b: str) -> float:
    """Jaro-Winkler similarity, plain Python."""
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    used_b = [False] * lb
    matched_a: list[str] = []
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(lb, i + window + 1)):
            if not used_b[j] and b[j] == ch:
                used_b[j] = True
                matched_a.append(ch)
                break
    m = len(matched_a)
    if not m:
        return 0.0
    matched_b = [b[j] for j in range(lb) if used_b[j]]
    transpositions = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) // 2
    jaro = (m / la + m / lb + (m - transpositions) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def baseline(records: list[tuple[str, str, str, int]]) -> tuple[float, list[int]]:
    """Compare every pair; link when names are close and dates of birth do not disagree.
    Returns the seconds taken and the cluster label of each record (union-find)."""
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    start = time.perf_counter()
    for i, j in combinations(range(len(records)), 2):
        gi, fi, di, _ = records[i]
        gj, fj, dj, _ = records[j]
        score = (jaro_winkler(gi, gj) + jaro_winkler(fi, fj)) / 2
        if score >= 0.9 and (not di or not dj or di == dj):
            parent[find(i)] = find(j)
    elapsed = time.perf_counter() - start
    return elapsed, [find(i) for i in range(len(records))]


def main() -> None:
    data = generate(PEOPLE, 4, seed=2026, noise="moderate")
    n = data.n_records
    start = time.perf_counter()
    result = link_records(data.rows, data.config())
    elapsed = time.perf_counter() - start
    quality = evaluate_linkage(result.record_clusters, data.true_labels(result))

    flat = [
        (fold_name(r.get("given_name")) or "", fold_name(r.get("family_name")) or "",
         r.get("date_of_birth", ""), person)
        for name in data.list_names
        for r, person in zip(data.rows[name], data.people[name], strict=True)
    ]  # fmt: skip
    sample = random.Random(1).sample(flat, min(SAMPLE, len(flat)))
    base_time, base_labels = baseline(sample)
    pairs_sample = len(sample) * (len(sample) - 1) / 2
    pairs_full = n * (n - 1) / 2
    base_full_time = base_time / pairs_sample * pairs_full
    base_quality = evaluate_linkage(base_labels, [r[3] for r in sample])

    value = n / elapsed
    base_value = n / base_full_time
    print(f"records {n} in {len(data.list_names)} lists, hidden population {PEOPLE}")
    print(f"vigil linkage: {elapsed:.2f} s ({value:,.0f} records/s); {quality.summary()}")
    print(f"true people observed {data.truth.n_observed}, linked {result.n_clusters}")
    print(
        f"baseline: {pairs_sample:,.0f} pairs in {base_time:.2f} s on a {len(sample)}-record sample,"
        f" {base_full_time:,.0f} s extrapolated to {pairs_full:,.0f} pairs; "
        f"sample {base_quality.summary()}"
    )
    print(
        f"BENCH linkage_{n} value={value:.1f} unit=records/s baseline={base_value:.2f} "
        f"ratio={value / base_value:.1f}"
    )
    print(
        f"BENCH linkage_{n}_f1 value={quality.f1:.4f} unit=F1 baseline={base_quality.f1:.4f} "
        f"ratio={quality.f1 / base_quality.f1 if base_quality.f1 else float('inf'):.2f}"
    )


if __name__ == "__main__":
    main()

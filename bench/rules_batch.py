"""Batch screening speed: 1,000,000 synthetic survey records per rule set, against the
single-record loop measured in the same run (on a sample).

Prints, per rule set:
BENCH rules_batch_<ruleset> value=<batch records/s> unit=records/s baseline=<loop records/s> ratio=<x>
and the peak memory of the batch run. Goals (issue 2): >= 5M records/s per core, >= 100x the loop,
< 2 GB for 1M records.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from vigil.rules import assess, load_ruleset, outcome_codes
from vigil.rules.logic import NEG, POS, UNK
from vigil.rules.records import Columns

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
SAMPLE = 2_000
RULESETS = ["ilo-2012-forced-labour", "ilo-ec-2009-adult-labour"]


def synthetic(keys: list[str], n: int, seed: int) -> Columns:
    """Survey-like answers: mostly no, some yes (varying by item), a few unknown, some not asked."""
    rng = np.random.default_rng(seed)
    cols = Columns(n=n, ids=range(n))
    for i, key in enumerate(keys):
        p_yes = 0.02 + 0.2 * ((i * 37) % 11) / 10
        u = rng.random(n, dtype=np.float32)
        col = np.full(n, NEG, dtype=np.int8)
        col[u < p_yes] = POS
        col[(u >= p_yes) & (u < p_yes + 0.05)] = UNK
        cols.codes[key] = col
    cols.nums["age"] = rng.integers(15, 70, n).astype(np.float64)
    return cols


def loop_rate(rs_id: str, cols: Columns) -> float:
    rs = load_ruleset(rs_id)
    rows = [cols.row(j) for j in range(min(SAMPLE, cols.n))]
    t0 = time.perf_counter()
    for enc in rows:
        assess(rs, enc)
    return len(rows) / (time.perf_counter() - t0)


def batch_rate(rs_id: str, cols: Columns) -> tuple[float, np.ndarray]:
    rs = load_ruleset(rs_id)
    outcome_codes(rs, Columns(n=1000, ids=range(1000),
                              codes={k: v[:1000] for k, v in cols.codes.items()},
                              nums={k: v[:1000] for k, v in cols.nums.items()}))  # warm up
    best = float("inf")
    out = np.empty(0, dtype=np.int8)
    for _ in range(3):
        t0 = time.perf_counter()
        out = outcome_codes(rs, cols)
        best = min(best, time.perf_counter() - t0)
    return cols.n / best, out


def main() -> None:
    for k, rs_id in enumerate(RULESETS):
        rs = load_ruleset(rs_id)
        keys = sorted(i.id for i in rs.indicators)
        cols = synthetic(keys, N, seed=k)
        baseline = loop_rate(rs_id, cols)
        value, out = batch_rate(rs_id, cols)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        shares = {name: float(np.mean(out == code)) for code, name in
                  ((POS, "positive"), (UNK, "insufficient"), (NEG, "negative"))}
        print(f"{rs_id}: {N:,} records, outcomes {', '.join(f'{k} {v:.1%}' for k, v in shares.items())}; "
              f"peak RSS {peak_mb:,.0f} MB")
        print(f"BENCH rules_batch_{rs_id} value={value:.0f} unit=records/s baseline={baseline:.0f} "
              f"ratio={value / baseline:.1f}")
        print(f"BENCH rules_batch_{rs_id}_peak_memory value={peak_mb:.0f} unit=MB baseline=2048 "
              f"ratio={2048 / peak_mb:.2f}")


if __name__ == "__main__":
    main()

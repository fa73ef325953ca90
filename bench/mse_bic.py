"""Benchmark: search of all hierarchical models up to order 4 on UK 2013 five lists by BIC,
against R MultipleSystemsEstimation's 12.4 s. The BENCH value is the median wall time of five
searches; the first (cold) one, which also enumerates the 6,893 models, and the process CPU
time are printed too (on a shared machine the wall time includes waiting for a core).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from vigil.stats.capture import read_capture_csv
from vigil.stats.mse import estimate_search

DATA = Path(__file__).resolve().parents[1].parent / "shared/reference/mse"
BASELINE = 12.4  # R MultipleSystemsEstimation 1.2.0 estimate_population_bic, maxorder = 4


def main() -> None:
    h = read_capture_csv(DATA / "UKdat_5.csv")
    t0 = time.perf_counter()
    res = estimate_search(h, max_order=4, criterion="bic")
    cold = time.perf_counter() - t0
    walls, cpus = [], []
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        estimate_search(h, max_order=4, criterion="bic")
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    value = statistics.median(walls)
    s = res.settings
    print(
        f"UKdat_5 BIC max order 4: {res.estimate:,.1f} model {s['model']} "
        f"(R: 25,311.3 [123,25,34]); {s['models_considered']} models, {s['models_fitted']} fitted, "
        f"{s['models_skipped_by_bound']} skipped by the likelihood bound"
    )
    t0 = time.perf_counter()
    estimate_search(h, max_order=4, criterion="bic", exhaustive=True)
    full = time.perf_counter() - t0
    print(
        f"cold first search {cold:.3f} s; median of 5: wall {value:.3f} s, "
        f"CPU {statistics.median(cpus):.3f} s"
    )
    print(f"fitting every model (exhaustive=True): {full:.3f} s")
    print(
        f"BENCH mse_bic_ukdat5_order4 value={value:.3f} unit=s baseline={BASELINE:g} "
        f"ratio={BASELINE / value:.0f}"
    )


if __name__ == "__main__":
    main()

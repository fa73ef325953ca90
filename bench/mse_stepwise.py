"""Benchmark: SparseMSE stepwise selection on UK 2013 (six lists), against R SparseMSE's 0.22 s.

Prints the estimate (to show it is the reference one) and a BENCH line with the median of
repeated runs; the first (cold) run, which builds the design, is printed too.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from vigil.stats.capture import read_capture_csv
from vigil.stats.mse import estimate_stepwise

DATA = Path(__file__).resolve().parents[1].parent / "shared/reference/mse"
BASELINE = 0.22  # R SparseMSE 2.0.1 estimatepopulation.0, reference/mse/README.md


def main() -> None:
    h = read_capture_csv(DATA / "UKdat.csv")
    t0 = time.perf_counter()
    res = estimate_stepwise(h)
    cold = time.perf_counter() - t0
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        estimate_stepwise(h)
        times.append(time.perf_counter() - t0)
    value = statistics.median(times)
    lo, hi = res.ci_model
    print(f"UKdat stepwise: {res.estimate:,.1f} ({lo:,.1f} - {hi:,.1f}); terms {' '.join(res.terms)}")
    print(f"cold first run {cold:.4f} s; median of {len(times)} runs {value:.4f} s")
    print(
        f"BENCH mse_stepwise_ukdat value={value:.4f} unit=s baseline={BASELINE} ratio={BASELINE / value:.1f}"
    )


if __name__ == "__main__":
    main()

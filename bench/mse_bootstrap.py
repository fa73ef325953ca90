"""Benchmark: 1,000-replicate BCa bootstrap of the stepwise estimate on UK 2013 (six lists),
the whole selection rerun on every replicate plus the jackknife, against R SparseMSE's 199 s.
The BENCH value is the median wall time of three runs (seeds 1234, 1, 2); process CPU time is
printed too (on a shared machine the wall time includes waiting for a core).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from vigil.stats.capture import read_capture_csv
from vigil.stats.mse import bootstrap

DATA = Path(__file__).resolve().parents[1].parent / "shared/reference/mse"
BASELINE = 199.0  # R SparseMSE 2.0.1 estimatepopulation(nboot = 1000), reference/mse/README.md


def main() -> None:
    h = read_capture_csv(DATA / "UKdat.csv")
    walls, cpus = [], []
    for seed in (1234, 1, 2):
        t0, c0 = time.perf_counter(), time.process_time()
        run = bootstrap(h, nboot=1000, seed=seed)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        if seed == 1234:
            b = run
    value = statistics.median(walls)
    print(f"wall times {', '.join(f'{w:.3f}' for w in walls)} s; median CPU {statistics.median(cpus):.3f} s")
    lo, hi = b.limits[0.025], b.limits[0.975]
    print(
        f"UKdat stepwise {b.estimate:,.1f}, BCa 95% {lo:,.1f} - {hi:,.1f} "
        f"(R: 9,267.0 - 14,306.8 with its own random stream); acceleration {b.acceleration:.4f}"
    )
    print(
        f"BENCH mse_bootstrap_ukdat value={value:.3f} unit=s baseline={BASELINE:g} "
        f"ratio={BASELINE / value:.0f}"
    )


if __name__ == "__main__":
    main()

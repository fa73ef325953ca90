"""Benchmark: 1,000-replicate BCa bootstrap of the stepwise estimate on UK 2013 (six lists),
the whole selection rerun on every replicate plus the jackknife, against R SparseMSE's 199 s.
"""

from __future__ import annotations

import time
from pathlib import Path

from vigil.stats.capture import read_capture_csv
from vigil.stats.mse import bootstrap

DATA = Path(__file__).resolve().parents[1].parent / "shared/reference/mse"
BASELINE = 199.0  # R SparseMSE 2.0.1 estimatepopulation(nboot = 1000), reference/mse/README.md


def main() -> None:
    h = read_capture_csv(DATA / "UKdat.csv")
    t0 = time.perf_counter()
    b = bootstrap(h, nboot=1000, seed=1234)
    value = time.perf_counter() - t0
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

"""Write series.csv: the weekly counts R's farringtonFlexible and vigil.stats.farrington both read.

Run once (python tests/stats/farrington_r/make_series.py); the CSV is committed so that R and
Python read exactly the same numbers. Six units over 313 weeks from Monday 2019-01-07 (six years,
so R's default b = 5 has its history), each with a shape the method treats differently.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

START = dt.date(2019, 1, 7)
WEEKS = 313


def main() -> None:
    rng = np.random.default_rng(20261204)
    t = np.arange(WEEKS)
    season = np.sin(2 * np.pi * t / 52.18)
    means = {
        "seasonal": 12.0 * np.exp(0.5 * season),
        "flat-low": np.full(WEEKS, 2.5),
        "trend": 4.0 * np.exp(0.006 * t),
        "past-outbreak": 8.0 * np.exp(0.3 * season),
        "overdispersed": 15.0 * np.exp(0.4 * season),
        "sparse": np.full(WEEKS, 0.6),
    }
    counts: dict[str, np.ndarray] = {}
    for unit, mu in means.items():
        y = rng.negative_binomial(3, 3 / (3 + mu)) if unit == "overdispersed" else rng.poisson(mu)
        counts[unit] = y.astype(int)
    counts["seasonal"][WEEKS - 3] += 25  # an outbreak in the evaluated weeks
    counts["past-outbreak"][WEEKS - 60:WEEKS - 55] += 30  # in the baseline: reweighting
    counts["trend"][WEEKS - 1] += 12
    out = Path(__file__).with_name("series.csv")
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["unit", "period", "count"])
        for unit, y in counts.items():
            for i in range(WEEKS):
                w.writerow([unit, (START + dt.timedelta(weeks=i)).isoformat(), int(y[i])])


if __name__ == "__main__":
    main()

"""Draw docs/img/mse_models.svg: UK 2013 estimates and 95% intervals under competing models.

Run from the repository root (the data sit in ../shared beside it)::

    .venv/bin/python docs/scripts/mse_plot.py

Five lists (UKdat_5): main effects only; the SparseMSE stepwise model with its model-conditional
and bootstrap BCa intervals (1,000 replicates, seed 1); the ten best hierarchical models by BIC
up to order 4 with their model-conditional intervals.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt

from vigil.stats.capture import read_capture_csv
from vigil.stats.mse import estimate, estimate_main, estimate_search

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared/reference/mse/UKdat_5.csv"
OUT = ROOT / "docs/img/mse_models.svg"


def rows() -> list[dict[str, object]]:
    h = read_capture_csv(DATA)
    out: list[dict[str, object]] = []
    main = estimate_main(h)
    out.append(
        {
            "model": "main effects only",
            "family": "main effects",
            "interval": "model-conditional",
            "estimate": main.estimate,
            "low": main.ci_model[0],
            "high": main.ci_model[1],
        }
    )
    step = estimate(h, method="stepwise", nboot=1000, seed=1)
    label = f"stepwise p < 0.02 ({len(step.terms)} pairs)"
    out.append(
        {
            "model": label,
            "family": "SparseMSE stepwise",
            "interval": "model-conditional",
            "estimate": step.estimate,
            "low": step.ci_model[0],
            "high": step.ci_model[1],
        }
    )
    assert step.ci_bootstrap is not None
    out.append(
        {
            "model": label + " (BCa bootstrap)",
            "family": "SparseMSE stepwise",
            "interval": "bootstrap BCa",
            "estimate": step.estimate,
            "low": step.ci_bootstrap[0],
            "high": step.ci_bootstrap[1],
        }
    )
    bic = estimate_search(h, max_order=4, criterion="bic", top=10)
    for rank, m in enumerate(bic.models, start=1):
        out.append(
            {
                "model": f"BIC #{rank}: {m.model}  (BIC {m.bic:.1f})",
                "family": "BIC, order <= 4",
                "interval": "model-conditional",
                "estimate": m.estimate,
                "low": m.ci_model[0],
                "high": m.ci_model[1],
            }
        )
    for i, r in enumerate(out):
        r["order"] = i
    return out


def chart(data: list[dict[str, object]]) -> alt.LayerChart:
    base = alt.Chart(alt.Data(values=data)).encode(
        y=alt.Y("model:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelLimit=420)),
        color=alt.Color("family:N", title="method", scale=alt.Scale(range=["#4c78a8", "#f58518", "#54a24b"])),
    )
    x = alt.X(
        "low:Q",
        title="estimated total population (log scale)",
        scale=alt.Scale(type="log", domain=[8000, 60000]),
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=x, x2="high:Q", strokeDash=alt.StrokeDash("interval:N", title="95% interval")
    )
    points = base.mark_point(filled=True, size=60).encode(
        x=alt.X("estimate:Q", scale=alt.Scale(type="log", domain=[8000, 60000])),
        tooltip=[
            "model:N",
            alt.Tooltip("estimate:Q", format=",.0f"),
            alt.Tooltip("low:Q", format=",.0f"),
            alt.Tooltip("high:Q", format=",.0f"),
        ],
    )
    return (bars + points).properties(
        width=460,
        height=alt.Step(22),
        title="UK 2013, five lists: 2,744 people observed; how many in all?",
    )


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    chart(rows()).save(str(OUT))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

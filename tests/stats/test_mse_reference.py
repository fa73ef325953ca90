"""Every row of ../shared/reference/mse/reference_values.csv, reproduced.

Point estimates and model-conditional interval ends within 0.5% of R SparseMSE 2.0.1 /
MultipleSystemsEstimation 1.2.0, chosen terms identical; BIC rows: estimate and model.
Bootstrap rows are in test_mse_bootstrap.py (they depend on the random stream).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from vigil.stats.capture import read_capture_csv
from vigil.stats.mse import estimate_main, estimate_search, estimate_stepwise

REF = Path(__file__).resolve().parents[3] / "shared/reference/mse"


def _rows(method: str, bootstrap: bool = False) -> list[dict[str, str]]:
    with (REF / "reference_values.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = [r for r in rows if r["method"] == method and ("nboot" in r["setting"]) == bootstrap]
    assert out, f"no reference rows for {method}"
    return out


def _stepwise_terms(text: str) -> set[str]:
    """'O:Z P:Z (empty overlaps K:R I:K)' -> {'O:Z', 'P:Z', 'K:R', 'I:K'}."""
    return set(re.findall(r"[A-Za-z]+:[A-Za-z]+", text))


def _close(ours: float, theirs: float, rel: float = 0.005) -> bool:
    return abs(ours - theirs) <= rel * abs(theirs)


@pytest.mark.parametrize("row", _rows("stepwise"), ids=lambda r: r["dataset"])
def test_stepwise_matches_sparsemse(row: dict[str, str]) -> None:
    h = read_capture_csv(REF / f"{row['dataset']}.csv")
    pthresh = float(row["setting"].split("=")[1])
    res = estimate_stepwise(h, pthresh)
    assert _close(res.estimate, float(row["estimate"])), res.estimate
    assert _close(res.ci_model[0], float(row["ci_low"])), res.ci_model
    assert _close(res.ci_model[1], float(row["ci_high"])), res.ci_model
    assert set(res.terms) == _stepwise_terms(row["terms"])
    # the pairs with no observed overlap are the ones R lists as empty overlaps
    m = re.search(r"\(empty overlaps? ([^)]*)\)", row["terms"])
    assert set(res.empty_overlaps) == (set(m.group(1).split()) if m else set())
    assert res.check == 0


@pytest.mark.parametrize("row", _rows("main"), ids=lambda r: r["dataset"])
def test_main_effects_match_sparsemse(row: dict[str, str]) -> None:
    h = read_capture_csv(REF / f"{row['dataset']}.csv")
    res = estimate_main(h)
    assert res.terms == []
    assert _close(res.estimate, float(row["estimate"])), res.estimate
    assert _close(res.ci_model[0], float(row["ci_low"])), res.ci_model
    assert _close(res.ci_model[1], float(row["ci_high"])), res.ci_model


def _bic_model(text: str) -> str:
    """'[12 13 23 25 34]' (reference notation) -> '[12,13,23,25,34]'."""
    return "[" + ",".join(text.strip("[]").split()) + "]"


def _canonical(model: str) -> set[str]:
    return set(model.strip("[]").split(","))


@pytest.mark.parametrize("row", _rows("bic"), ids=lambda r: f"{r['dataset']}-{r['setting'].replace('=', '')}")
def test_bic_search_matches_multiplesystemsestimation(row: dict[str, str]) -> None:
    h = read_capture_csv(REF / f"{row['dataset']}.csv")
    max_order = int(row["setting"].split("=")[1])
    res = estimate_search(h, max_order=max_order, criterion="bic")
    assert _close(res.estimate, float(row["estimate"])), res.estimate
    assert _canonical(res.settings["model"]) == _canonical(_bic_model(row["terms"]))
    # the model comparison is ordered by BIC and starts with the chosen model
    bics = [m.bic for m in res.models]
    assert bics == sorted(bics)
    assert res.models[0].model == res.settings["model"]
    assert res.models[0].estimate == pytest.approx(res.estimate)

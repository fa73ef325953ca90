"""The inspection plan: each component with its reason, the weights file, and the ranking
(the numpy columns give what the one-workplace reference gives)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from vigil.errors import InputError
from vigil.inspections.planning import (
    FINDING_KINDS,
    FindingColumns,
    PastFinding,
    Workplace,
    WorkplaceColumns,
    isic_section,
    load_weights,
    rank,
    score_workplace,
)

DAY = date(2026, 6, 1)
W = load_weights()


def comp(wp: Workplace, name: str, findings: list[PastFinding] | None = None) -> tuple[float, str]:
    c = next(c for c in score_workplace(wp, findings or [], W, DAY) if c.name == name)
    return c.points, c.reason


def test_shipped_weights_have_a_version() -> None:
    assert W.id == "inspection-risk"
    assert W.version == "2026.2"
    # forced-labour indicators weigh more than labour-law violations
    assert W.finding_points["indicator"] > W.finding_points["violation"]
    assert W.finding_points["forced_labour"] > W.finding_points["indicator"]


def test_isic_sections() -> None:
    assert isic_section("A") == "A"
    assert isic_section("0111") == "A"
    assert isic_section("14") == "C"
    assert isic_section("4100") == "F"
    assert isic_section("97") == "T"
    assert isic_section("00") is None
    assert isic_section("Z") is None
    assert isic_section("garments") is None


def test_sector_prior_by_division_then_section() -> None:
    assert comp(Workplace("w", sector="1410"), "sector")[0] == 18  # division 14 (apparel)
    assert comp(Workplace("w", sector="1010"), "sector")[0] == 12  # section C
    assert comp(Workplace("w", sector="A"), "sector")[0] == 20
    assert comp(Workplace("w", sector="J"), "sector")[0] == W.sector_default
    assert comp(Workplace("w", sector=""), "sector") == (W.sector_default, "sector unknown (prior 4)")


def test_findings_decay_and_weigh_by_kind() -> None:
    wp = Workplace("w")
    v_now = comp(wp, "findings", [PastFinding("w", "violation", DAY)])[0]
    i_now = comp(wp, "findings", [PastFinding("w", "indicator", DAY)])[0]
    assert (v_now, i_now) == (2, 8)
    half = DAY - timedelta(days=730)
    assert comp(wp, "findings", [PastFinding("w", "indicator", half)])[0] == pytest.approx(4)
    # a future date counts as today, never more
    assert comp(wp, "findings", [PastFinding("w", "indicator", DAY + timedelta(days=9))])[0] == 8
    many = [PastFinding("w", "forced_labour", DAY)] * 5
    pts, reason = comp(wp, "findings", many)
    assert pts == W.findings_cap
    assert reason.startswith("past findings: 5 forced-labour finding(s)")
    assert comp(wp, "findings") == (0, "no past finding")


def test_complaints_recruiters_supply_and_visits() -> None:
    assert comp(Workplace("w", open_complaints=2), "complaints") == (8, "2 open complaint(s)")
    assert comp(Workplace("w", open_complaints=20), "complaints")[0] == W.complaints_cap
    assert comp(Workplace("w", unlicensed_recruiters=1, breaching_recruiters=1), "recruiters") == (
        13,
        "recruiters: 1 unlicensed, 1 breaching",
    )
    assert comp(Workplace("w", unlicensed_recruiters=9), "recruiters")[0] == W.recruiters_cap
    assert comp(Workplace("w", supply_exposure=0.5), "supply_chain") == (7.5, "supply-chain exposure 0.50")
    assert comp(Workplace("w"), "supply_chain") == (0, "no supply-chain data")
    assert comp(Workplace("w"), "last_visit") == (W.never_visited, "never inspected")
    pts, reason = comp(Workplace("w", last_visit=DAY - timedelta(days=365)), "last_visit")
    assert pts == pytest.approx(4 * 365 / 365.25)
    assert "1.0 years ago" in reason


def _random(n: int, m: int, seed: int) -> tuple[list[Workplace], list[PastFinding]]:
    rng = random.Random(seed)
    sectors = ["A", "0111", "1410", "F", "J", "97", "", "5610"]
    wps = [
        Workplace(
            f"w{i:04d}",
            f"name {i}",
            rng.choice(sectors),
            rng.choice(["north", "south", ""]),
            rng.randint(0, 5),
            rng.randint(0, 3),
            rng.randint(0, 3),
            rng.choice([None, rng.random()]),
            rng.choice([None, DAY - timedelta(days=rng.randint(0, 3000))]),
        )
        for i in range(n)
    ]
    fs = [
        PastFinding(
            f"w{rng.randrange(n):04d}",
            rng.choice(FINDING_KINDS),
            DAY - timedelta(days=rng.randint(-5, 4000)),
            remediated=rng.random() < 0.2,
        )
        for _ in range(m)
    ]
    return wps, fs


def test_a_remediated_finding_counts_less_and_says_so() -> None:
    wp = Workplace("w")
    open_ = [PastFinding("w", "violation", DAY), PastFinding("w", "indicator", DAY)]
    fixed = [PastFinding("w", "violation", DAY, remediated=True), PastFinding("w", "indicator", DAY)]
    before, _r = comp(wp, "findings", open_)
    after, reason = comp(wp, "findings", fixed)
    assert before == 2 + 8
    assert after == pytest.approx(2 * W.remediated_factor + 8)
    assert "1 remediated, verified at follow-up" in reason
    plan = rank(WorkplaceColumns.from_records([wp]), FindingColumns.from_records(fixed, ["w"]), W, as_of=DAY)
    assert plan.components(0)[2].points == pytest.approx(after)
    assert plan.components(0)[2].reason == reason


def test_columns_equal_the_one_workplace_reference() -> None:
    wps, fs = _random(300, 2000, seed=3)
    cols = WorkplaceColumns.from_records(wps)
    plan = rank(cols, FindingColumns.from_records(fs, [w.id for w in wps]), W, as_of=DAY)
    by_wp: dict[str, list[PastFinding]] = {}
    for f in fs:
        by_wp.setdefault(f.workplace_id, []).append(f)
    for i, wp in enumerate(wps):
        ref = score_workplace(wp, by_wp.get(wp.id, []), W, DAY)
        got = plan.components(i)
        assert [c.name for c in got] == [c.name for c in ref]
        for a, b in zip(got, ref, strict=True):
            assert a.points == pytest.approx(b.points, abs=1e-9), (wp.id, a.name)
            assert a.reason == b.reason
    expect = sorted(
        wps, key=lambda w: (-sum(c.points for c in score_workplace(w, by_wp.get(w.id, []), W, DAY)), w.id)
    )
    assert [ln.workplace_id for ln in plan.lines()] == [w.id for w in expect]


def test_ranking_lines_carry_components_and_the_heaviest_as_reason() -> None:
    wps = [
        Workplace("quiet", sector="J", last_visit=DAY),
        Workplace("farm", sector="A", open_complaints=3, unlicensed_recruiters=1),
        Workplace("shop", sector="G", last_visit=DAY - timedelta(days=100)),
    ]
    fs = [PastFinding("shop", "forced_labour", DAY - timedelta(days=30))]
    plan = rank(
        WorkplaceColumns.from_records(wps), FindingColumns.from_records(fs, [w.id for w in wps]), W, as_of=DAY
    )
    lines = plan.lines()
    assert [ln.workplace_id for ln in lines] == ["farm", "shop", "quiet"]
    farm = lines[0]
    assert farm.rank == 1
    assert farm.score == pytest.approx(20 + 12 + 12 + 8)
    assert farm.reason.startswith(
        "sector A (prior 20) (+20.0); 3 open complaint(s) (+12.0); never inspected (+12.0)"
    )
    assert len(farm.components) == 7
    assert lines[2].score == pytest.approx(4)
    assert plan.lines(limit=1) == lines[:1]
    assert plan.lines()[0].to_dict()["components"][0] == {
        "component": "sector",
        "points": 20.0,
        "reason": "sector A (prior 20)",
    }


def test_ties_are_ranked_by_id_and_regions_filter() -> None:
    wps = [Workplace("b", region="north"), Workplace("a", region="north"), Workplace("c", region="south")]
    plan = rank(WorkplaceColumns.from_records(wps), None, W, as_of=DAY)
    assert [ln.workplace_id for ln in plan.lines()] == ["a", "b", "c"]
    team = rank(WorkplaceColumns.from_records(wps), None, W, as_of=DAY, regions=["south"])
    assert [ln.workplace_id for ln in team.lines()] == ["c"]


def test_bad_columns_are_refused_naming_the_workplace() -> None:
    with pytest.raises(InputError, match="workplace 'x', supply_exposure"):
        rank(WorkplaceColumns.from_records([Workplace("x", supply_exposure=1.5)]), None, W, as_of=DAY)
    with pytest.raises(InputError, match="workplace id given twice"):
        rank(WorkplaceColumns.from_records([Workplace("x"), Workplace("x")]), None, W, as_of=DAY)
    with pytest.raises(InputError, match="unknown workplace 'y'"):
        FindingColumns.from_records([PastFinding("y", "violation", DAY)], ["x"])
    with pytest.raises(InputError, match="kind must be one of"):
        FindingColumns.from_records([PastFinding("x", "rumour", DAY)], ["x"])


def _write(tmp_path: Path, data: object) -> Path:
    p = tmp_path / "w.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


def _shipped() -> dict:
    from importlib import resources

    path = Path(str(resources.files("vigil.inspections.data"))) / "inspection-risk.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("version"), "missing key 'version'"),
        (
            lambda d: d["components"]["findings"].pop("half_life_days"),
            "missing key 'components.findings.half_life_days'",
        ),
        (
            lambda d: d["components"]["findings"]["kinds"].pop("indicator"),
            "missing key 'components.findings.kinds.indicator'",
        ),
        (
            lambda d: d["components"]["complaints"].update(cap="lots"),
            "key 'components.complaints.cap': expected",
        ),
        (lambda d: d["components"]["complaints"].update(cap=-1), "key 'components.complaints.cap': expected"),
        (lambda d: d["components"]["sector"]["sections"].update(Z=3), "components.sector.sections.Z"),
        (
            lambda d: d["components"]["sector"]["divisions"].update({"00": 3}),
            "components.sector.divisions.00",
        ),
        (lambda d: d["components"].update(mood={}), "unknown component 'mood'"),
        (
            lambda d: d["components"]["findings"].update(half_life_days=0),
            "half_life_days': expected a number > 0",
        ),
        (
            lambda d: d["components"]["findings"].update(remediated_factor=2),
            "remediated_factor': expected a number in",
        ),
        (lambda d: d["components"]["supply_chain"].update(measure="gut"), "expected risk or exposure"),
        (
            lambda d: d["components"]["supply_chain"].pop("match_name_at"),
            "missing key 'components.supply_chain.match_name_at'",
        ),
    ],
)
def test_weights_file_errors_name_the_key(tmp_path: Path, change, message: str) -> None:
    data = _shipped()
    change(data)
    with pytest.raises(InputError, match=message) as err:
        load_weights(_write(tmp_path, data))
    assert err.value.place == "w.yaml"


def test_weights_file_is_read_as_given(tmp_path: Path) -> None:
    data = _shipped()
    data["version"] = "test.2"
    data["components"]["region"]["priors"] = {"north": 9}
    w = load_weights(_write(tmp_path, data))
    assert w.version == "test.2"
    plan = rank(WorkplaceColumns.from_records([Workplace("a", region="north")]), None, w, as_of=DAY)
    assert plan.version == "test.2"
    assert plan.lines()[0].components[1].points == 9


def test_totals_give_what_the_findings_give() -> None:
    from vigil.inspections.planning import FindingTotals

    wps, fs = _random(300, 2000, seed=5)
    fs = [f for f in fs if f.found_on <= DAY]  # totals serve plans dated on or after the findings
    cols = WorkplaceColumns.from_records(wps)
    fc = FindingColumns.from_records(fs, [w.id for w in wps])
    ref = rank(cols, fc, W, as_of=DAY)
    tot = FindingTotals.from_findings(fc, len(wps), W.half_life_days)
    assert tot.usable(W, DAY) and int(tot.counts.sum()) == len(fs)
    for later in (DAY, DAY + timedelta(days=400)):
        got = rank(cols, None, W, as_of=later, totals=tot)
        want = rank(cols, fc, W, as_of=later)
        assert got.scores == pytest.approx(want.scores, abs=1e-9)
        assert [got.components(i)[2].reason for i in range(len(wps))] == [
            want.components(i)[2].reason for i in range(len(wps))
        ]
    assert ref.scores == pytest.approx(rank(cols, None, W, as_of=DAY, totals=tot).scores, abs=1e-9)
    # a plan dated before a finding, or another half-life: the totals do not serve
    last = max(f.found_on for f in fs)
    assert tot.usable(W, last) and not tot.usable(W, last - timedelta(days=1))
    other = FindingTotals.from_findings(fc, len(wps), 365.0)
    assert not other.usable(W, DAY)
    with pytest.raises(InputError, match="totals"):
        rank(cols, None, W, as_of=DAY, totals=other)

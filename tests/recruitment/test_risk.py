"""Agency risk score: each component with its reason, and the ranking."""

from __future__ import annotations

from datetime import date

from vigil.recruitment.risk import Agency, Complaint, load_weights, rank, score_agency

DAY = date(2025, 6, 1)


def comp(agency: Agency, name: str) -> tuple[float, str]:
    r = score_agency(agency, as_of=DAY)
    c = next(c for c in r.components if c.name == name)
    return c.points, c.reason


def test_licence_status() -> None:
    w = load_weights()
    for status, points in w.components["licence"]["points"].items():
        assert comp(Agency("a", licence_status=status, last_inspection=DAY), "licence") == (
            float(points),
            f"licence status: {status}",
        )


def test_fee_breaches_capped() -> None:
    assert comp(Agency("a", fee_breaches=2), "fee_breaches")[0] == 20
    assert comp(Agency("a", fee_breaches=9), "fee_breaches")[0] == 30
    assert "no fee breach" in comp(Agency("a"), "fee_breaches")[1]


def test_complaints_by_severity_and_recency() -> None:
    recent = comp(Agency("a", complaints=(Complaint("high", DAY),)), "complaints")
    old = comp(Agency("a", complaints=(Complaint("high", date(2024, 6, 1)),)), "complaints")
    low = comp(Agency("a", complaints=(Complaint("low", DAY),)), "complaints")
    assert recent[0] == 10 and low[0] == 2
    assert abs(old[0] - 5) < 0.1  # one half-life later
    assert "1 high" in recent[1] and "1 in the last year" in recent[1]
    many = Agency("a", complaints=tuple(Complaint("high", DAY) for _ in range(10)))
    assert comp(many, "complaints")[0] == 30


def test_offers_cases_and_inspection() -> None:
    assert comp(Agency("a", deceptive_offers=3), "deceptive_offers")[0] == 15
    assert comp(Agency("a", trafficking_cases=1), "trafficking_cases") == (
        25,
        "linked to 1 trafficking case(s)",
    )
    assert comp(Agency("a", trafficking_cases=5), "trafficking_cases")[0] == 50
    assert comp(Agency("a"), "inspection") == (15.0, "never inspected")
    points, reason = comp(Agency("a", last_inspection=date(2023, 6, 1)), "inspection")
    assert abs(points - 10) < 0.1 and "2023-06-01" in reason
    assert comp(Agency("a", last_inspection=DAY), "inspection")[0] == 0


def test_score_is_the_sum_and_the_ranking() -> None:
    bad = Agency("b", licence_status="revoked", fee_breaches=1, trafficking_cases=1)
    ok = Agency("a", licence_status="valid", last_inspection=DAY)
    mid = Agency("c", licence_status="expired", last_inspection=DAY)
    tie = Agency("d", licence_status="expired", last_inspection=DAY)
    r = score_agency(bad, as_of=DAY)
    assert r.score == round(sum(c.points for c in r.components), 1)
    assert r.version == load_weights().version
    assert [x.agency_id for x in rank([ok, mid, bad, tie], as_of=DAY)] == ["b", "c", "d", "a"]

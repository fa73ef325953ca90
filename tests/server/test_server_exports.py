"""Analyst statistics: consented cases only, no identity, small groups and cells suppressed."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from tests.server.conftest import client_for, make_case

from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def stats_world(users):
    owner = users["caseworker"]
    made = []
    for i in range(30):
        case = make_case(
            owner,
            given=f"Given{i:02d}",
            family=f"Family{i:02d}",
            doc=f"STAT-{i:03d}",
            sector="A",
            trafficking_status="PossibleVictimOfTrafficking",
        )
        person = case.person
        person.gender, person.citizenship, person.birth_year = "Feminine", "NPL", 1990
        person.save()
        Consent.objects.create(
            case=case, purpose="statistics", given=True, method="verbal", recorded_by=owner
        )
        made.append(case)
    # one case that stands out (unique sector/citizenship), consented
    odd = make_case(owner, given="Unique", family="Outlier", doc="ODD-1", sector="T")
    odd.person.gender, odd.person.citizenship, odd.person.birth_year = "Masculine", "BOL", 1960
    odd.person.save()
    Consent.objects.create(case=odd, purpose="statistics", given=True, method="written", recorded_by=owner)
    # not consented, and withdrawn: never in statistics
    make_case(owner, given="NoConsent", family="Person", doc="NOC-1", sector="F")
    withdrawn = make_case(owner, given="Withdrawn", family="Person", doc="WDR-1", sector="F")
    Consent.objects.create(
        case=withdrawn,
        purpose="statistics",
        given=True,
        method="verbal",
        recorded_by=owner,
        withdrawn_on="2026-02-01",
    )
    return made, odd


def test_microdata_export(users, stats_world):
    r = client_for(users["analyst"]).get("/api/exports/cases/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    text = r.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 31  # 30 + the outlier; not the unconsented nor the withdrawn
    for secret in (
        "Given",
        "Family",
        "STAT-",
        "Unique",
        "Outlier",
        "NoConsent",
        "Withdrawn",
        "VG-",
        "Inspectorate",
    ):
        assert secret not in text
    outlier = [r for r in rows if r["prs_Gender"] == "suppressed"]
    assert len(outlier) == 1 and outlier[0]["prs_Citizenship"] == "suppressed"
    assert outlier[0]["vic_ForcedLabourIndustry"] == "suppressed"
    common = [r for r in rows if r["prs_Gender"] == "Feminine"]
    assert len(common) == 30 and common[0]["prs_AgeGroup"] in {"25-34", "35-49"}
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert (
        entry.detail["records"] == 31
        and entry.detail["suppressed"] == 1
        and "prs_Gender" in entry.detail["columns"]
    )


def test_count_table_suppresses_small_cells(users, stats_world):
    c = client_for(users["analyst"])
    r = c.get("/api/stats/cases/", {"rows": "sector", "cols": "gender"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["rows"] == ["A", "T", "total"] and body["cols"] == ["Feminine", "Masculine", "total"]
    cells = body["cells"]
    assert cells[0][0] is None or cells[0][0] >= 11
    assert cells[1][1] is None  # the single outlier is hidden
    flat = [v for row in cells for v in row if v is not None]
    assert all(v == 0 or v >= 11 for v in flat)
    assert c.get("/api/stats/cases/", {"rows": "sector", "cols": "gender", "k": 3}).status_code == 400
    assert c.get("/api/stats/cases/", {"rows": "name", "cols": "gender"}).status_code == 400


def test_only_analysts(users, stats_world):
    for role in ("caseworker", "supervisor", "inspector", "referral_receiver", "administrator"):
        c = client_for(users[role])
        assert c.get("/api/exports/cases/").status_code == 403
        assert c.get("/api/stats/cases/", {"rows": "sector", "cols": "gender"}).status_code == 403
    # an analyst of another organisation with scope 'organisation' sees none of org A's cases
    users["analyst_b"].scope = "organisation"
    users["analyst_b"].save()
    rows = list(
        csv.DictReader(
            io.StringIO(client_for(users["analyst_b"]).get("/api/exports/cases/").content.decode())
        )
    )
    assert rows == []


def test_statistics_page(users, stats_world):
    c = Client()
    c.force_login(users["analyst"])
    assert c.get("/").url == "/statistics/"
    html = c.get("/statistics/", {"rows": "sector", "cols": "gender"}).content.decode()
    assert 'id="stats-table"' in html and "Outlier" not in html
    r = c.get("/statistics/cases.csv")
    assert r.status_code == 200 and b"Unique" not in r.content
    assert c.get("/cases/").status_code == 403


def _expected_rows(cases):
    """The export's columns computed here from the stored records, independently of the exporter."""
    out = {}
    for case in cases:
        person = case.person
        latest = case.screenings.order_by("-created_at", "-id").first()
        age = case.opened_on.year - person.birth_year if person.birth_year else None
        bands = ((17, "0-17"), (24, "18-24"), (34, "25-34"), (49, "35-49"))
        group = "" if age is None else next((g for top, g in bands if age <= top), "50+")
        out.setdefault(
            (case.status, case.sector, person.gender, person.citizenship, group), []
        ).append(
            {
                "cas_Status": case.status,
                "cas_OpenedYear": str(case.opened_on.year),
                "vic_TraffickingStatus": case.trafficking_status,
                "vic_TypeOfExploitation": ";".join(sorted(case.exploitation_types)),
                "vic_ForcedLabourIndustry": case.sector,
                "prs_Gender": person.gender,
                "prs_AgeGroup": group,
                "prs_Citizenship": person.citizenship,
                "vigil_ScreeningOutcome": latest.outcome if latest else "",
            }
        )
    return out


@pytest.mark.parametrize("url", ["/api/exports/cases/", "/statistics/cases.csv"])
def test_microdata_export_reads_back_as_the_data(users, stats_world, url):
    """Empty values stay empty (they were written as a lone apostrophe), every other value is the
    stored one: the CSV read back with a CSV reader is the data, but for the suppressed outlier."""
    made, odd = stats_world
    made[0].exploitation_types = ["ForcedLabour", "Servitude"]
    made[0].save()
    c = Client()
    c.force_login(users["analyst"])
    rows = list(csv.DictReader(io.StringIO(c.get(url).content.decode())))
    assert len(rows) == 31
    assert all(v != "'" and not v.startswith("'") for r in rows for v in r.values())
    expected = sorted(
        (r for group in _expected_rows(made).values() for r in group), key=lambda r: sorted(r.items())
    )
    got = sorted((r for r in rows if r["prs_Gender"] != "suppressed"), key=lambda r: sorted(r.items()))
    assert got == expected
    assert any(r["vic_TypeOfExploitation"] == "" for r in got)  # empty cells, read back empty
    assert any(r["vic_TypeOfExploitation"] == "ForcedLabour;Servitude" for r in got)
    (outlier,) = (r for r in rows if r["prs_Gender"] == "suppressed")
    assert outlier["vic_TraffickingStatus"] == odd.trafficking_status == ""

"""The region of a migration stage (ISO 3166-2 first-level subdivision, issue 12): checked
against the stage's country in the API and the page form, shown by name in the reader's language,
offered as a select of the country's subdivisions."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from tests.server.conftest import client_for

from vigil.server.cases.models import MigrationStage

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _errors(r) -> dict[str, str]:
    assert r.status_code == 400 and r["Content-Type"] == PROBLEM, r.content
    return {e["field"]: e["detail"] for e in r.json()["errors"]}


def test_api_accepts_a_region_of_the_country_and_shows_it(users, cases):
    c = client_for(users["caseworker"])
    case = cases["a_caseworker"]
    r = c.post("/api/stages/", {"case": case.pk, "stage": "work", "country": "tha", "region": "th-10"},
               format="json")
    assert r.status_code == 201, r.content
    assert r.json()["region"] == "TH-10" and r.json()["country"] == "THA"
    assert MigrationStage.objects.get(pk=r.json()["id"]).region == "TH-10"
    listed = c.get("/api/stages/", {"case": case.pk}).json()["results"]
    assert [s["region"] for s in listed] == ["TH-10"]


@pytest.mark.parametrize(
    ("region", "country", "says"),
    [
        ("TH-99", "THA", "TH-99 is not an ISO 3166-2 first-level subdivision"),
        ("FR-75", "FRA", "FR-75 is not an ISO 3166-2 first-level subdivision"),  # second-level
        ("NP-P3", "THA", "NP-P3 is a region of NPL, not of THA"),
        ("NP-P3", "", "A region needs the stage's country"),
    ],
)
def test_api_refuses_a_region_unknown_or_of_another_country(users, cases, region, country, says):
    c = client_for(users["caseworker"])
    case = cases["a_caseworker"]
    r = c.post("/api/stages/", {"case": case.pk, "stage": "work", "country": country, "region": region},
               format="json")
    errors = _errors(r)
    assert set(errors) == {"region"} and says in errors["region"]
    assert not MigrationStage.objects.filter(case=case).exists()


def test_api_changing_the_country_checks_the_region_kept(users, cases):
    c = client_for(users["caseworker"])
    case = cases["a_caseworker"]
    made = c.post("/api/stages/", {"case": case.pk, "stage": "work", "country": "NPL", "region": "NP-P3"},
                  format="json").json()
    r = c.patch(f"/api/stages/{made['id']}/", {"country": "QAT", "version": made["version"]}, format="json")
    assert "NP-P3 is a region of NPL, not of QAT" in _errors(r)["region"]
    stage = MigrationStage.objects.get(pk=made["id"])
    assert (stage.country, stage.region) == ("NPL", "NP-P3")  # nothing half-stored
    ok = c.patch(f"/api/stages/{made['id']}/", {"country": "QAT", "region": "QA-DA",
                                                "version": made["version"]}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["region"] == "QA-DA"


def _page(user, lang: str = "en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    c.force_login(user)
    return c


def test_page_form_refuses_a_region_of_another_country_and_offers_the_country_regions(users, cases):
    c = _page(users["caseworker"])
    case = cases["a_caseworker"]
    r = c.post(f"/cases/{case.pk}/stages/", {"stage-stage": "work", "stage-country": "DEU",
                                             "stage-region": "TH-10"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "TH-10 is a region of THA, not of DEU." in html
    assert not MigrationStage.objects.filter(case=case).exists()
    # the form sent back offers the regions of the country posted (no JavaScript needed)
    select = re.search(r'<select name="stage-region"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    options = re.findall(r'<option value="([^"]*)"', select.group(1))
    assert "DE-BY" in options and "TH-10" not in options and options[0] == ""
    r = c.post(f"/cases/{case.pk}/stages/", {"stage-stage": "work", "stage-country": "DEU",
                                             "stage-region": "DE-BY"})
    assert r.status_code == 302
    assert MigrationStage.objects.get(case=case).region == "DE-BY"


def test_region_options_follow_the_country_typed(users):
    c = _page(users["caseworker"], "fr")
    html = c.get("/stages/regions/", {"stage-country": "deu"}).content.decode()
    assert '<option value="DE-BY">Bavière</option>' in html
    assert '<option value="">' in html and "TH-10" not in html
    assert "DE-BY" not in c.get("/stages/regions/", {"stage-country": "ZZZ"}).content.decode()
    assert Client().get("/stages/regions/", {"stage-country": "DEU"}).status_code == 302  # login first


def test_case_page_shows_the_region_name_in_french(users, cases):
    case = cases["a_caseworker"]
    MigrationStage.objects.create(case=case, stage="work", country="DEU", region="DE-BY")
    html = _page(users["caseworker"], "fr").get(f"/cases/{case.pk}/").content.decode()
    table = re.search(r'id="stage-table">(.*?)</table>', html, re.S).group(1)
    assert '<abbr title="DE-BY">Bavière</abbr>' in table
    assert '<abbr title="DEU">Allemagne</abbr>' in table
    english = _page(users["caseworker"]).get(f"/cases/{case.pk}/").content.decode()
    assert '<abbr title="DE-BY">Bayern</abbr>' in english


def test_without_javascript_the_region_is_set_on_a_saved_stage(users, cases):
    case = cases["a_caseworker"]
    stage = MigrationStage.objects.create(case=case, stage="work", country="DEU")
    c = _page(users["caseworker"], "fr")
    html = c.get(f"/cases/{case.pk}/").content.decode()
    form = re.search(rf'<form method="post" action="/stages/{stage.pk}/region/".*?</form>', html, re.S)
    assert form is not None
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', form.group(0))
    assert ("DE-BY", "Bavière") in options
    assert all(code == "" or code.startswith("DE-") for code, _ in options)
    wrong = c.post(f"/stages/{stage.pk}/region/", {"region": "TH-10", "version": stage.version}, follow=True)
    assert "TH-10 est une région de THA, non de DEU." in wrong.content.decode()
    stage.refresh_from_db()
    assert stage.region == ""
    stale = c.post(f"/stages/{stage.pk}/region/", {"region": "DE-BY", "version": stage.version + 1})
    assert stale.status_code == 302
    stage.refresh_from_db()
    assert stage.region == ""
    c.post(f"/stages/{stage.pk}/region/", {"region": "de-by", "version": stage.version})
    stage.refresh_from_db()
    assert stage.region == "DE-BY"
    html = c.get(f"/cases/{case.pk}/").content.decode()
    assert f"/stages/{stage.pk}/region/" not in html and '<abbr title="DE-BY">Bavière</abbr>' in html
    # someone who may not edit the case cannot set a region
    other = _page(users["caseworker_b"])
    refused = other.post(f"/stages/{stage.pk}/region/", {"region": "DE-BE", "version": stage.version})
    assert refused.status_code == 404

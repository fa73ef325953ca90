"""The values of the disaggregations and the country names in the reader's language (issues 12
and 13) on the pivot, the drill-down, the flows page and map, the public statistics and the
annual report (PDF and XLSX, French and Arabic)."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from vigil.server.accounts.models import User
from vigil.server.national import report, services
from vigil.stats import countries

pytestmark = pytest.mark.django_db
YEAR = "2025"
FEMALE = {"en": "Female", "fr": "Femme", "es": "Mujer", "ar": "أنثى"}
ITALY = {"en": "Italy", "fr": "Italie", "es": "Italia", "ar": "إيطاليا"}


@pytest.fixture
def demo() -> dict[str, User]:
    from vigil.server.cases.demo import load_demo

    load_demo()
    return {u.username: u for u in User.objects.all()}


def page(user: User, lang: str) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    c.force_login(user)
    return c


def _headers(html: str) -> list[str]:
    head = re.search(r'id="pivot-table">\s*<thead>(.*?)</thead>', html, re.S)
    assert head
    return re.findall(r'<th scope="col">([^<]*)</th>', head.group(1))


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar"])
def test_the_pivot_labels_the_values_in_the_reader_language(demo, lang):
    c = page(demo["analyst"], lang)
    headers = _headers(c.get("/national/indicators/victims_identified/?dim=sex").content.decode())
    assert FEMALE[lang] in headers
    assert ("Female" in headers) is (lang == "en")
    citizenship = _headers(c.get("/national/indicators/victims_identified/?dim=citizenship").content.decode())
    assert countries.name("NPL", lang) in citizenship and "NPL" not in citizenship


def test_the_drill_down_names_the_value_in_the_reader_language(demo):
    html = page(demo["supervisor"], "fr").get(
        "/national/indicators/victims_identified/cases/?dim=sex&cat=Feminine").content.decode()
    assert "Sexe: Femme" in html


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_the_flows_page_names_the_countries_in_the_reader_language(demo, lang):
    analyst = demo["analyst"]
    result = services.flows_for(analyst)
    html = page(analyst, lang).get("/national/flows/").content.decode()
    assert f"{ITALY[lang]} (ITA)" in html
    for leg in result.legs:
        assert f"<td>{countries.name(leg.origin, lang)} ({leg.origin})</td>" in html, leg.origin
    assert "<td>Italy (ITA)</td>" not in html


def test_a_country_name_falls_back_to_the_code():
    assert services.country_name("DEU", "fr") == "Allemagne (DEU)"
    assert services.country_name("DEU", "ar") == "ألمانيا (DEU)"
    assert services.country_name("QQQ", "fr") == "QQQ"


def test_the_arabic_xlsx_report_holds_the_translated_labels_and_country_names(demo):
    data = report.build(demo["coordinator"], YEAR, lang="ar")
    wb = load_workbook(io.BytesIO(report.to_xlsx(data)))
    rows = list(wb["Tables"].iter_rows(values_only=True))[1:]
    sex = [r[3] for r in rows if r[0] == "victims_identified" and r[2] == "الجنس"]
    assert FEMALE["ar"] in sex and "المجموع" in sex and "Female" not in sex
    forms = {r[3] for r in rows if r[0] == "victims_identified" and r[2] == "شكل الاستغلال"}
    assert "العمل الجبري" in forms
    flows = list(wb["Flows"].iter_rows(values_only=True))
    assert flows[0][4:6] == ("from", "to")
    assert flows[1:] and all(r[0] == countries.name(r[4], "ar") for r in flows[1:])
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in str(r[0])) for r in flows[1:])


def test_the_french_pdf_report_holds_the_translated_labels_and_country_names(demo):
    data = report.build(demo["coordinator"], YEAR, lang="fr")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(report.to_pdf(data))).pages)
    assert "Femme" in text and "Travail forcé" in text
    assert data.flows.legs
    origin = data.flows.legs[0].origin
    assert f"{countries.name(origin, 'fr')} ({origin})" in re.sub(r"\s+", " ", text)


def test_the_public_statistics_label_the_released_values_in_the_reader_language(demo):
    services.release(demo["coordinator"], YEAR)
    html = Client(HTTP_ACCEPT_LANGUAGE="fr").get(f"/public/statistics/?year={YEAR}").content.decode()
    assert "Femme" in html and "Sexe" in html


def test_the_arabic_pdf_report_holds_the_translated_labels_and_country_names(demo):
    if report._font_files() is None:
        pytest.skip("an Arabic PDF needs the DejaVu Sans font (Debian: fonts-dejavu-core)")
    data = report.build(demo["coordinator"], YEAR, lang="ar")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(report.to_pdf(data))).pages)
    assert FEMALE["ar"] in text and "العمل الجبري" in text and "أشكال متعددة" in text
    assert "Female" not in text and "Forced labour" not in text
    assert data.flows.legs and countries.name(data.flows.legs[0].origin, "ar") in text

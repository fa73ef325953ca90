"""The supply report downloaded from the server is in the language of the page: Arabic right to
left, its words from the supply app's catalogue (listed for extraction in report_words.py)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook
from tests.server.test_server_supply import load

from vigil.server.supply.report_words import WORDS
from vigil.supply.report import MESSAGES

pytestmark = pytest.mark.django_db


def test_the_extraction_list_is_the_report_s_list():
    assert WORDS == MESSAGES


@pytest.mark.parametrize(
    ("lang", "direction", "heading", "sheet"),
    [
        ("ar", "rtl", "الخطر حسب المستوى", "الكيانات"),
        ("es", "ltr", "Riesgo por nivel", "Entidades"),
        ("fr", "ltr", "Risque par rang", "Entités"),
        ("en", "ltr", "Risk by tier", "Entities"),
    ],
)
def test_report_in_the_language_of_the_page(users, orgs, lang, direction, heading, sheet):
    load(orgs["a"])
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    c.force_login(users["compliance"])
    body = c.get("/supply/report.html").content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in body and heading in body
    if lang == "ar":
        assert "Risk by tier" not in body and "Cotton Farm" in body
    wb = load_workbook(io.BytesIO(c.get("/supply/report.xlsx").content))
    assert wb.sheetnames[0] == sheet
    assert wb.worksheets[0].sheet_view.rightToLeft is (direction == "rtl")

"""The supply report (HTML and XLSX) in the user's language (issue 13): every text of the report
(``vigil.supply.report.WORDS``) translated in French, Spanish and Arabic, the Arabic HTML right to
left and its sheets right to left; names and figures stay the data's."""

from __future__ import annotations

import html as html_lib
import io
import re

import pytest
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook
from tests.server.test_server_supply import load

from vigil.server.supply.report_words import report_words
from vigil.supply.report import WORDS

pytestmark = pytest.mark.django_db


def test_report_words_cover_every_text_and_keep_placeholders():
    assert set(report_words()) == set(WORDS)
    for lang in ("fr", "es", "ar"):
        with translation.override(lang):
            words = report_words()
        untranslated = sorted(
            k
            for k, v in words.items()
            if v == WORDS[k] and WORDS[k] not in ("id", "plan", "sources", "score", "action", "Plans")
        )
        assert untranslated == [], lang
        for key, text in words.items():
            assert sorted(re.findall(r"\{\w+\}", text)) == sorted(re.findall(r"\{\w+\}", WORDS[key])), (
                lang,
                key,
            )


@pytest.mark.parametrize(
    ("lang", "heading", "sheet"),
    [
        ("es", "Riesgo por país", "Entidades"),
        ("ar", "الخطر حسب البلد", "الكيانات"),
        ("fr", "Risque par pays", "Entités"),
    ],
)
def test_report_in_the_users_language(users, orgs, lang, heading, sheet):
    load(orgs["a"])
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    c.force_login(users["compliance"])
    body = html_lib.unescape(c.get("/supply/report.html").content.decode())
    direction = "rtl" if lang == "ar" else "ltr"
    assert f'<html lang="{lang}" dir="{direction}">' in body
    assert heading in body and "Cotton Farm" in body
    for english in ("Risk by country", "The supply graph", "Top worst paths", "Generated ", "highest risk"):
        assert english not in body, (lang, english)
    wb = load_workbook(io.BytesIO(c.get("/supply/report.xlsx").content))
    assert wb.sheetnames[0] == sheet
    assert not {"Entities", "By tier", "By country", "Top paths", "Remediation", "About"} & set(wb.sheetnames)
    assert [bool(ws.sheet_view.rightToLeft) for ws in wb.worksheets] == [lang == "ar"] * len(wb.worksheets)
    header = [cell.value for cell in wb.worksheets[0][1]]
    assert "name" not in header and "worst path" not in header

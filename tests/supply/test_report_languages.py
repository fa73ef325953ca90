"""The supply report in English, French, Spanish and Arabic: the report's words come from the
supply app's catalogue (read without Django), Arabic is right to left in the page (``dir="rtl"``)
and in the workbook's sheets, and every word the report asks for is in the list of messages."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.supply.test_report import chain
from tests.supply.test_supply_cli import EXAMPLE_EDGES, EXAMPLE_NODES, files, run
from vigil.supply.propagation import propagate
from vigil.supply.rank import ACTIONS, rank
from vigil.supply.report import LANGUAGES, MESSAGES, PlanRow, catalogue, direction, html, xlsx

PLANS = [
    PlanRow(
        "Mill <i>", "Return passports", "escalate", "open", (("Passports returned", "HR", "2026-11-15", ""),)
    )
]


def _report(lang: str, t=None):
    net = chain()
    res = propagate(net)
    lines = rank(net, res, today=date(2026, 12, 1))
    t = t or catalogue(lang)
    return (
        html("R", net, res, lines, PLANS, "2026-12-01", lang=lang, gettext=t),
        xlsx("R", net, res, lines, PLANS, "2026-12-01", lang=lang, gettext=t),
    )


def test_every_word_asked_for_is_a_listed_message():
    asked: list[str] = []

    def recording(message: str) -> str:
        asked.append(message)
        return message

    _report("en", recording)
    assert asked and set(asked) <= set(MESSAGES)
    assert set(ACTIONS) <= set(MESSAGES)


# words spelt as in English in that language
COGNATES = {"fr": {"sources", "score", "action", "plan", "id", "Plans"}, "es": {"plan", "id"}, "ar": set()}


@pytest.mark.parametrize("lang", [x for x in LANGUAGES if x != "en"])
def test_each_language_translates_every_message(lang):
    t = catalogue(lang)
    assert {m for m in MESSAGES if t(m) == m} <= COGNATES[lang]
    for m in MESSAGES:  # the placeholders survive translation
        assert sorted(re.findall(r"%\(\w+\)s|\{\w+\}", t(m))) == sorted(
            re.findall(r"%\(\w+\)s|\{\w+\}", m)
        ), m


def test_the_arabic_report_is_right_to_left_and_translated():
    page, book = _report("ar")
    assert '<html lang="ar" dir="rtl">' in page
    for arabic in (
        "مخطط سلسلة التوريد",
        "الخطر حسب المستوى",
        "الخطر حسب البلد",
        "أسوأ المسارات",
        "الخطط التصحيحية",
    ):
        assert arabic in page, arabic
    for english in ("Risk by tier", "Top worst paths", "Corrective plans", "highest risk", "due 2026"):
        assert english not in page, english
    assert "المستوى 1" in page  # the tier labels of the graph and of the tables
    assert "Passports returned (HR، الموعد 2026-11-15)" in page
    wb = load_workbook(io.BytesIO(book))
    assert wb.sheetnames == [
        "الكيانات",
        "حسب المستوى",
        "حسب البلد",
        "أسوأ المسارات",
        "المعالجة",
        "الخطط",
        "عن التقرير",
    ]
    assert all(ws.sheet_view.rightToLeft for ws in wb.worksheets)
    assert wb["الكيانات"]["A1"].value == "المعرّف"
    actions = {row[8] for row in wb["المعالجة"].iter_rows(min_row=2, values_only=True)}
    assert actions and not actions & set(ACTIONS)  # the recommended actions are translated


def test_english_and_french_are_left_to_right():
    page, book = _report("fr")
    assert '<html lang="fr" dir="ltr">' in page and "Risque par rang" in page
    assert not load_workbook(io.BytesIO(book)).worksheets[0].sheet_view.rightToLeft
    assert direction("en") == "ltr" and direction("ar") == "rtl"
    page, _book = _report("en")
    assert '<html lang="en" dir="ltr">' in page and "Risk by tier" in page


def test_cli_report_lang(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = files(tmp_path, EXAMPLE_NODES, EXAMPLE_EDGES)
    out = tmp_path / "r.html"
    code, _, err = run(
        ["supply", "report", *args, "--out", str(out), "--lang", "ar", "--today", "2026-12-01"], capsys
    )
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert 'dir="rtl"' in page and "<h1>تقرير العناية الواجبة لسلسلة التوريد</h1>" in page
    code, _, err = run(["supply", "report", *args, "--out", str(tmp_path / "r.xlsx"), "--lang", "es"], capsys)
    assert code == 0 and load_workbook(tmp_path / "r.xlsx").sheetnames[0] == "Entidades"
    code, _, err = run(["supply", "report", *args, "--out", str(out), "--lang", "xx"], capsys)
    assert code == 2 and "--lang" in err

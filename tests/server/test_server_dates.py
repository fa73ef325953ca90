"""Dates and numbers in the page's language (issue 16): day/month/year on French, Spanish and
Arabic pages, ISO on English ones (never the United States' month/day/year), date inputs typed
in that order and read with the language's input formats; exports stay ISO."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from vigil.server.cases.forms import CaseForm
from vigil.server.cases.models import Case
from vigil.server.followups.models import FollowUp
from vigil.server.web.templatetags.vigil_tags import num
from vigil.server.web.widgets import DateInput, date_pattern

pytestmark = pytest.mark.django_db


def client(user, lang: str) -> Client:
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = lang
    return c


def _open(case: Case, day: date) -> None:
    Case.objects.filter(pk=case.pk).update(opened_on=day)


@pytest.mark.parametrize(
    "lang, shown",
    [("fr", "05/03/2026"), ("es", "05/03/2026"), ("ar", "05\u200f/03\u200f/2026"), ("en", "2026-03-05")],
)
def test_case_list_dates_in_the_page_language(users, cases, lang, shown):
    _open(cases["a_caseworker"], date(2026, 3, 5))
    html = client(users["caseworker"], lang).get("/cases/").content.decode()
    assert shown in html
    assert "03/05/2026" not in html  # never month first


def test_date_input_shows_the_language_order_and_pattern(users, cases):
    case = cases["a_caseworker"]
    _open(case, date(2026, 3, 5))
    fr = client(users["caseworker"], "fr").get(f"/cases/{case.pk}/?edit=1").content.decode()
    field = re.search(r'<input[^>]*name="case-opened_on"[^>]*>', fr).group(0)
    assert 'type="text"' in field and 'value="05/03/2026"' in field and 'placeholder="jj/mm/aaaa"' in field
    en = client(users["caseworker"], "en").get(f"/cases/{case.pk}/?edit=1").content.decode()
    field = re.search(r'<input[^>]*name="case-opened_on"[^>]*>', en).group(0)
    assert 'value="2026-03-05"' in field and 'placeholder="yyyy-mm-dd"' in field


def _case_form(case: Case, opened: str) -> CaseForm:
    data = {"case-status": "Active", "case-opened_on": opened}
    return CaseForm(data, instance=case, prefix="case")


@pytest.mark.parametrize(
    "lang, typed, expected",
    [
        ("fr", "15/06/2026", date(2026, 6, 15)),
        ("fr", "2026-06-15", date(2026, 6, 15)),  # ISO is read in every language
        ("fr", "06/15/2026", None),  # month first: refused, not read as another day
        ("es", "15/06/2026", date(2026, 6, 15)),
        ("ar", "15/06/2026", date(2026, 6, 15)),
        ("ar", "١٥/٠٦/٢٠٢٦", date(2026, 6, 15)),  # Eastern Arabic digits
        ("ar", "06/15/2026", None),
        ("en", "2026-06-15", date(2026, 6, 15)),
        ("en", "15 Jun 2026", date(2026, 6, 15)),
        ("en", "06/15/2026", None),  # the US order is not read on English pages
        ("en", "05/06/2026", None),  # nor any ambiguous slashed date
    ],
)
def test_dates_are_read_with_the_language_input_formats(cases, lang, typed, expected):
    with translation.override(lang):
        form = _case_form(cases["a_caseworker"], typed)
        valid = form.is_valid()
        assert valid is (expected is not None), form.errors
        if expected:
            assert form.cleaned_data["opened_on"] == expected
        else:
            assert "opened_on" in form.errors


def test_follow_up_scheduled_with_a_french_date(users, cases):
    case = cases["a_caseworker"]
    r = client(users["caseworker"], "fr").post(
        _followup_url(case), {"fu-kind": "check_in", "fu-due_on": "09/07/2026"}
    )
    assert r.status_code in (302, 200)
    assert FollowUp.objects.get(case=case).due_on == date(2026, 7, 9)


def _followup_url(case: Case) -> str:
    from django.urls import reverse

    return reverse("followups:followup-add", args=[case.pk])


def test_date_patterns_per_language():
    expected = {"en": "yyyy-mm-dd", "fr": "jj/mm/aaaa", "es": "dd/mm/aaaa"}
    for lang, pattern in expected.items():
        with translation.override(lang):
            assert date_pattern() == pattern
    with translation.override("ar"):
        assert date_pattern().count("/") == 2 and "%" not in date_pattern()


def test_numbers_grouped_in_the_page_language():
    with translation.override("en"):
        assert num(1234567) == "1,234,567"
    with translation.override("fr"):
        assert num(1234567) == "1\xa0234\xa0567"
        assert num(12) == "12"
    assert num(None) == ""


def test_widget_is_never_a_browser_date_input():
    assert DateInput().input_type == "text"


def test_no_page_template_prints_a_date_in_a_fixed_order():
    """Dates shown on pages go through the language's formats (``SHORT_DATE_FORMAT``...); a fixed
    ``Y-m-d`` is allowed only inside a link or a field value (machine-read, ISO)."""
    from pathlib import Path

    import vigil.server

    root = Path(vigil.server.__file__).parent
    fixed = []
    for template in sorted(root.glob("**/templates/**/*.html")):
        text = re.sub(r'(?:href|value|datetime)="[^"]*"', "", template.read_text("utf-8"))
        if re.search(r"\|date:[\"'][^\"']*[Ymd]-[Ymd]", text):
            fixed.append(str(template.relative_to(root)))
    assert fixed == [], f"use |date:\"SHORT_DATE_FORMAT\" (or SHORT_DATETIME_FORMAT) in {fixed}"

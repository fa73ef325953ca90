"""A page form post over the size limit (issue 14): the site's own error page, a 413, nothing saved."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from vigil.server.cases.models import Person

pytestmark = pytest.mark.django_db


def test_an_oversized_login_post_is_a_413_on_the_sites_page(client: Any) -> None:
    response = client.post(reverse("accounts:login"), {"username": "x" * 2_000_000, "password": "y"})
    assert response.status_code == 413
    page = response.content.decode()
    assert "<h1>413</h1>" in page and "Nothing was saved" in page and "1.0\xa0MB" in page
    assert 'href="/"' in page  # the way back, in the site's own layout


def test_an_oversized_case_edit_saves_nothing(client: Any, users: dict, cases: dict) -> None:
    client.force_login(users["caseworker"])
    case = cases["a_caseworker"]
    before = Person.objects.get(pk=case.person_id).narrative
    response = client.post(
        reverse("cases:person-edit", args=[case.pk]), {"narrative": "n" * 2_000_000, "version": 1}
    )
    assert response.status_code == 413 and "<h1>413</h1>" in response.content.decode()
    assert Person.objects.get(pk=case.person_id).narrative == before


def test_the_page_is_in_the_visitors_language(client: Any) -> None:
    client.cookies["django_language"] = "fr"
    response = client.post(reverse("accounts:login"), {"username": "x" * 2_000_000})
    assert response.status_code == 413
    assert "Rien n&#x27;a été enregistré" in response.content.decode()

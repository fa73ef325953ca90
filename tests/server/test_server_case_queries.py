"""The case list (page and API) and the case detail cost a bounded number of SQL queries whatever
the number of cases and of their screenings, referrals, stages and consents: no query per row
(issue 14, load). The load figures themselves are in ``bench/load.py``, never in a test."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from tests.server.conftest import client_for, make_case

from vigil.server.cases import screening as screening_service
from vigil.server.cases.models import Case, Consent, MigrationStage
from vigil.server.referrals import services as referral_services
from vigil.server.referrals.models import ServiceProvider

# One page holds 25 rows on the pages; 24 cases stay on one page, so a query per row would show.
FEW, MANY = 2, 24


def add_cases(owner, n: int, provider: ServiceProvider, start: int = 0) -> list[Case]:
    out = []
    for i in range(start, start + n):
        case = make_case(owner, f"Given{i}", f"Family{i}", f"QRY-{i:05d}", sector="C", status="FollowUp")
        for k, stage in enumerate(("recruitment", "journey", "work")):
            MigrationStage.objects.create(
                case=case, stage=stage, country="NPL", start_date=date(2024, 1, 1 + k)
            )
        Consent.objects.create(
            case=case,
            purpose="referral",
            given=True,
            method="verbal",
            given_on=date(2025, 1, 2),
            recorded_by=owner,
        )
        screening_service.start(case, screening_service.DEFAULT_RULESET, owner, age=30)
        referral_services.create(case, provider, owner, shared_fields=["given_name"], reason="Synthetic")
        out.append(case)
    return out


def count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


@pytest.fixture
def provider(users):
    return ServiceProvider.objects.create(
        organisation=users["caseworker"].organisation, name="Shelter", service_type="shelter", active=True
    )


def test_case_list_page_and_api_queries_do_not_grow_with_the_cases(users, provider):
    owner = users["caseworker"]
    page = Client()
    page.force_login(owner)
    api = client_for(owner)
    add_cases(owner, FEW, provider)
    few_page, few_api = count(lambda: page.get("/cases/")), count(lambda: api.get("/api/cases/"))
    add_cases(owner, MANY - FEW, provider, start=FEW)
    assert Case.objects.filter(owner=owner).count() == MANY
    many_page, many_api = count(lambda: page.get("/cases/")), count(lambda: api.get("/api/cases/"))
    assert many_page == few_page, (few_page, many_page)
    assert many_api == few_api, (few_api, many_api)
    assert many_page <= 15 and many_api <= 15  # session, user, audit, count, one page of rows


def test_case_detail_queries_do_not_grow_with_its_records(users, provider):
    owner = users["caseworker"]
    page = Client()
    page.force_login(owner)
    api = client_for(owner)
    (case,) = add_cases(owner, 1, provider)
    few_page = count(lambda: page.get(f"/cases/{case.pk}/"))
    few_api = count(lambda: api.get(f"/api/cases/{case.pk}/"))
    for k in range(5):
        MigrationStage.objects.create(case=case, stage="work", country="MYS", start_date=date(2024, 6, 1 + k))
        screening_service.start(case, screening_service.DEFAULT_RULESET, owner, age=30)
    assert count(lambda: page.get(f"/cases/{case.pk}/")) == few_page
    assert count(lambda: api.get(f"/api/cases/{case.pk}/")) == few_api


def test_case_list_shows_the_choice_labels_in_the_users_language(users, provider):
    owner = users["caseworker"]
    add_cases(owner, 2, provider)
    page = Client()
    page.force_login(owner)
    html = page.get("/cases/").content.decode()
    assert html.count("<td>Follow-up</td>") == 2
    assert html.count('<td class="wide-only">Manufacturing</td>') == 2
    french = page.get("/cases/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr"' in french
    assert '<td class="wide-only">Manufacturing</td>' not in french
    assert french.count(f'<td class="wide-only">{_label_fr()}</td>') == 2
    assert french.count(f"<td>{_status_fr()}</td>") == 2


def _label_fr() -> str:
    from vigil.server.cases.models import ISIC_SECTIONS

    with translation.override("fr"):
        label = str(dict(ISIC_SECTIONS)["C"])
    assert label != "Manufacturing"  # the catalogue translates it
    return label


def _status_fr() -> str:
    with translation.override("fr"):
        label = str(Case.Status.FOLLOW_UP.label)
    assert label != "Follow-up"
    return label

"""The firewall between labour inspection and immigration enforcement (docs/security.md):

1. no field of the inspections app (models or API) records a worker's migration, residence or
   nationality status, and an interview carrying a migration fact of the triage is refused;
2. no API role outside the inspection team reaches worker-level data: every GET endpoint of the
   whole API, for every role, never returns an interviewed worker's name, contact or notes,
   except to the visit's team (and their inspection lead)."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from tests.server.conftest import ROLES, client_for, make_user
from tests.server.test_server_api_surface import MISSING_ID, URLS

from vigil.inspections.findings import MIGRATION_FACTS
from vigil.server.inspections import serializers as s
from vigil.server.inspections import services
from vigil.server.inspections.models import Interview, Workplace

pytestmark = pytest.mark.django_db

STATUS_WORDS = re.compile(
    r"migra|immigra|visa|residen|permit|citizen|nationalit|border|asylum|deport|undocumented|irregular|passport",
    re.IGNORECASE,
)
NAME, CONTACT, NOTE = "Tesfaye Hidden", "+33 7 55 44 33 22", "sleeps in the packing shed"


def test_no_field_records_migration_status():
    models = list(apps.get_app_config("inspections").get_models())
    assert len(models) >= 7
    for model in models:
        for f in model._meta.get_fields():
            words = " ".join(
                str(x) for x in (f.name, getattr(f, "verbose_name", ""), getattr(f, "help_text", ""))
            )
            assert not STATUS_WORDS.search(words), f"{model.__name__}.{f.name}: {words}"
            for value, label in getattr(f, "choices", None) or []:
                assert not STATUS_WORDS.search(f"{value} {label}"), (
                    f"{model.__name__}.{f.name} choice {value}"
                )
    for name in dir(s):
        ser = getattr(s, name)
        if isinstance(ser, type) and hasattr(ser, "Meta") and hasattr(ser.Meta, "fields"):
            for field in ser.Meta.fields:
                assert not STATUS_WORDS.search(field), f"{name}.{field}"


@pytest.mark.parametrize("fact", sorted(MIGRATION_FACTS))
def test_an_interview_with_a_migration_fact_is_refused(users, orgs, fact):
    lead, insp = users["inspection_lead"], users["inspector"]
    wp = Workplace.objects.create(organisation=orgs["a"], name="Packhouse", sector="1030")
    visit = services.add_visit(lead, wp, scheduled_on="2026-05-01", inspectors=[insp])
    with pytest.raises(services.InspectionError, match="migration status"):
        services.record_interview(
            visit, insp, held_in_private=True, age=30, answers={"PN02": True}, facts={fact: True}
        )
    r = client_for(insp).post(
        "/api/inspections/interviews/",
        {"visit": visit.pk, "held_in_private": True, "age": "30", "facts": {fact: False}},
        format="json",
    )
    assert r.status_code == 400 and "migration status" in r.content.decode()
    assert Interview.objects.count() == 0


@pytest.fixture
def interviewed(users, orgs):
    lead, insp = users["inspection_lead"], users["inspector"]
    wp = Workplace.objects.create(organisation=orgs["a"], name="Packhouse", sector="1030")
    visit = services.add_visit(lead, wp, scheduled_on="2026-05-01", inspectors=[insp])
    return services.record_interview(
        visit,
        insp,
        held_in_private=True,
        age=30,
        answers={"UR05": True, "D1.PN02": True},
        worker_name=NAME,
        worker_contact=CONTACT,
        notes=NOTE,
    )


GET_URLS = [u for u in URLS if MISSING_ID not in u]


@pytest.mark.parametrize("role", ROLES)
def test_no_role_outside_the_team_sees_worker_data(interviewed, users, orgs, role):
    detail = f"/api/inspections/interviews/{interviewed.pk}/"
    clients = {role: client_for(users[role]), f"{role}_b": client_for(users[f"{role}_b"])}
    clients[f"{role}_all"] = client_for(make_user(f"{role}_all", role, orgs["b"], scope="all"))
    team = {"inspector", "inspection_lead", "inspection_lead_all"}
    assert len(GET_URLS) >= 30 and "/api/inspections/interviews/" in GET_URLS
    for who, api in clients.items():
        seen = []
        for url in [*GET_URLS, detail]:
            text = api.get(url).content.decode()
            if any(v in text for v in (NAME, CONTACT, NOTE)):
                seen.append(url)
        if who in team:
            assert seen == [detail], (who, seen)  # the detail only: lists never carry it
        else:
            assert seen == [], (who, seen)

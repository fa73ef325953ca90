"""The fast read path of the API serializers (``vigil.server.api.representation``) gives exactly DRF's
output, field for field, for every serializer that uses it, on records with and without empty values."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from tests.server.conftest import make_case

from vigil.server.accounts import serializers as accounts_serializers
from vigil.server.accounts.models import Organisation
from vigil.server.api.representation import FastReadMixin
from vigil.server.audit import serializers as audit_serializers
from vigil.server.audit.log import record
from vigil.server.audit.models import AuditEntry
from vigil.server.cases import screening as screening_service
from vigil.server.cases import serializers as cases_serializers
from vigil.server.cases.models import Case, Consent, MigrationStage, Person, Screening
from vigil.server.followups import serializers as followups_serializers
from vigil.server.followups.models import FollowUp
from vigil.server.referrals import serializers as referrals_serializers
from vigil.server.referrals.models import DataSharingAgreement, Referral, ServiceProvider

pytestmark = pytest.mark.django_db
ANSWERS = {"DR01": True, "DR02": False, "CD01": None}

# The serializer modules of the apps whose records the ``records`` fixture makes.
MODULES = (
    accounts_serializers,
    audit_serializers,
    cases_serializers,
    followups_serializers,
    referrals_serializers,
)
SERIALIZERS = {
    cls for module in MODULES for _name, cls in inspect.getmembers(module, inspect.isclass)
}
FAST = sorted(
    (cls for cls in SERIALIZERS if issubclass(cls, FastReadMixin) and cls is not FastReadMixin),
    key=lambda c: c.__name__,
)


@pytest.fixture
def records(users, cases, orgs):
    owner = users["caseworker"]
    case = cases["a_caseworker"]
    bare = make_case(owner, "Dana", "Emptyfields", "DOC-A-0003")
    bare.owner = None
    bare.save()
    closed = cases["a_inspector"]
    closed.status, closed.closed_on, closed.closure_reason = "Closed", dt.date(2026, 5, 1), "Safe"
    closed.exploitation_types = ["ForcedLabour", "Servitude"]
    closed.save()
    provider = ServiceProvider.objects.create(
        name="Shelter", organisation=orgs["b"], service_type="shelter", area="Lyon", languages=["fr"]
    )
    screening_service.start(bare, "ilo-11", owner)  # no answer yet
    screening_service.create(case, "ilo-ec-2009-adult-labour", owner, age=30, answers=ANSWERS)
    stage = MigrationStage.objects.create(
        case=case, stage="work", country="FRA", start_date=dt.date(2025, 1, 2), employer_or_recruiter="Acme"
    )
    stage_bare = MigrationStage.objects.create(case=bare, stage="journey")
    consent = Consent.objects.create(
        case=case, purpose="services", given=True, method="verbal", recorded_by=owner
    )
    withdrawn = Consent.objects.create(
        case=case,
        purpose="referral",
        given=True,
        method="written",
        recorded_by=owner,
        withdrawn_on=dt.date(2026, 2, 3),
    )
    agreement = DataSharingAgreement.objects.create(
        discloser=orgs["a"],
        recipient=orgs["b"],
        fields=["given_name"],
        legal_basis="MoU",
        signed_on=dt.date(2025, 1, 1),
        expires_on=dt.date(2025, 12, 31),
    )
    open_ended = DataSharingAgreement.objects.create(
        discloser=orgs["b"],
        recipient=orgs["a"],
        fields=[],
        legal_basis="MoU",
        signed_on=dt.date(2026, 1, 1),
        document_reference="MOU-7",
    )
    referral = Referral.objects.create(
        agreement=agreement,
        case=case,
        provider=provider,
        reason="Needs a bed",
        shared_fields=["case_reference"],
        created_by=owner,
    )
    referral_bare = Referral.objects.create(case=bare, provider=provider, created_by=None)
    followup = FollowUp.objects.create(case=case, due_on=dt.date(2026, 1, 1))
    record("view", user=owner, obj=case, via="api", detail={"ids": [case.pk]})
    record("system", object_type="system", via="job")
    return {
        Organisation: list(Organisation.objects.all()),
        Person: list(Person.objects.all()),
        Case: list(Case.objects.select_related("owner")),
        MigrationStage: [stage, stage_bare],
        Consent: [consent, withdrawn],
        Screening: list(Screening.objects.all()),
        ServiceProvider: [provider],
        Referral: [referral, referral_bare],
        DataSharingAgreement: [agreement, open_ended],
        FollowUp: [followup],
        AuditEntry: list(AuditEntry.objects.all()),
    }


def test_every_model_serializer_of_the_api_uses_the_fast_path():
    plain = [
        cls.__name__
        for cls in SERIALIZERS
        if issubclass(cls, serializers.ModelSerializer)
        and not issubclass(cls, FastReadMixin)
        and cls is not serializers.ModelSerializer
    ]
    assert plain == []
    assert len(FAST) >= 10


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.__name__)
def test_fast_representation_equals_drf(cls, records, users):
    request = Request(APIRequestFactory().get("/api/"))
    request.user = users["caseworker"]
    objects = records[cls.Meta.model]
    assert objects, cls.__name__
    for obj in objects:
        fast = cls(obj, context={"request": request}).data
        drf = serializers.ModelSerializer.to_representation(cls(context={"request": request}), obj)
        assert dict(fast) == dict(drf), (cls.__name__, obj.pk)
        assert list(fast) == list(drf)  # same keys in the same order
    many = cls(objects, many=True, context={"request": request}).data
    assert [dict(row) for row in many] == [
        dict(serializers.ModelSerializer.to_representation(cls(context={"request": request}), o))
        for o in objects
    ]

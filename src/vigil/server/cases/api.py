"""The API of persons, cases, migration stages, consents and screenings. Every queryset comes
from ``vigil.server.scoping``; every read and write of a person or case appends an audit entry."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from vigil.server import scoping
from vigil.server.api.params import date_param, int_param
from vigil.server.api.permissions import CHANGES, READ, WRITE
from vigil.server.api.viewsets import AuditedViewSet, changed_fields
from vigil.server.audit.log import record
from vigil.server.cases import consents
from vigil.server.cases import screening as screening_service
from vigil.server.cases import serializers as s
from vigil.server.cases.models import Case, Consent, MigrationStage, Person, Screening


class PersonViewSet(
    AuditedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    serializer_class = s.PersonSerializer
    audit_type = "person"

    capabilities: ClassVar[dict[str, str]] = {**READ, **WRITE, "search": "case.view"}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = self.request.user
        persons = scoping.editable_persons_for(user) if self.action in CHANGES else scoping.persons_for(user)
        return persons.order_by("-id")

    @extend_schema(request=s.PersonSearchSerializer, responses=s.PersonSerializer(many=True))
    @action(detail=False, methods=["post"])
    def search(self, request: Any) -> Response:
        """Exact-match search through the blind indexes. A POST, so that no identity value is ever
        in a URL (and so in no access log or browser history)."""
        body = s.PersonSearchSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        qs = self.get_queryset()
        if data.get("document_number"):
            qs = qs.filter(document_index=Person.index_document(data["document_number"]))
        if data.get("phone"):
            qs = qs.filter(phone_index=Person.index_phone(data["phone"]))
        if data.get("name"):
            given, _sep, family = data["name"].strip().partition(" ")
            qs = qs.filter(name_index=Person.index_name(given, family))
        rows = list(qs[:50])
        self.audit("search", None, ids=[p.pk for p in rows], by=sorted(k for k, v in data.items() if v))
        return Response(self.get_serializer(rows, many=True).data)

    def perform_create(self, serializer: Any) -> None:
        user = self.request.user
        if user.organisation_id is None:
            raise exceptions.PermissionDenied(_("Your account belongs to no organisation."))
        with transaction.atomic():
            person = serializer.save(organisation_id=user.organisation_id, created_by=user)
            self.audit("create", person, fields=changed_fields(serializer))

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            person = serializer.save()
            self.audit("update", person, fields=changed_fields(serializer), version=person.version)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Case.Status.values),
            OpenApiParameter("reference", str),
            OpenApiParameter("person", int),
            OpenApiParameter("sector", str),
            OpenApiParameter("trafficking_status", str),
            OpenApiParameter("opened_after", OpenApiTypes.DATE),
            OpenApiParameter("opened_before", OpenApiTypes.DATE),
        ]
    )
)
class CaseViewSet(
    AuditedViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    serializer_class = s.CaseSerializer
    audit_type = "case"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = self.request.user
        cases = scoping.editable_cases_for(user) if self.action in CHANGES else scoping.cases_for(user)
        qs = cases.select_related("owner").order_by("-id")
        params = self.request.query_params
        for name in ("status", "reference", "sector", "trafficking_status"):
            if params.get(name):
                qs = qs.filter(**{name: params[name]})
        if (person := int_param(self.request, "person")) is not None:
            qs = qs.filter(person_id=person)
        if (after := date_param(self.request, "opened_after")) is not None:
            qs = qs.filter(opened_on__gte=after)
        if (before := date_param(self.request, "opened_before")) is not None:
            qs = qs.filter(opened_on__lte=before)
        return qs

    def perform_create(self, serializer: Any) -> None:
        user = self.request.user
        if user.organisation_id is None:
            raise exceptions.PermissionDenied(_("Your account belongs to no organisation."))
        with transaction.atomic():
            case = serializer.save(organisation_id=user.organisation_id, owner=user)
            self.audit("create", case, fields=changed_fields(serializer))

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            case = serializer.save()
            self.audit("update", case, fields=changed_fields(serializer), version=case.version)


class CaseChildViewSet(AuditedViewSet):
    """Stages and consents: audited as reads and writes of their case."""

    audit_type = "case"

    def audit(self, action_name: str, obj: Any = None, **detail: Any) -> None:
        if obj is not None:
            detail = {self.child_name: obj.pk, **detail}
            obj = obj.case
        super().audit(action_name, obj, **detail)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = self.scope(self.request.user).order_by("id")
        if self.action in CHANGES:
            qs = qs.filter(case__in=scoping.editable_cases_for(self.request.user))
        if (case := int_param(self.request, "case")) is not None:
            qs = qs.filter(case_id=case)
        return qs

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        for case_id in sorted({o.case_id for o in rows}):
            record(
                "list",
                user=request.user,
                object_type="case",
                object_id=case_id,
                via="api",
                request=request,
                detail={self.child_name + "s": [o.pk for o in rows if o.case_id == case_id]},
            )
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


_CASE_FILTER = extend_schema(parameters=[OpenApiParameter("case", int)])


@extend_schema_view(list=_CASE_FILTER)
class MigrationStageViewSet(
    CaseChildViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    serializer_class = s.MigrationStageSerializer
    child_name = "stage"
    scope = staticmethod(scoping.stages_for)
    capabilities: ClassVar[dict[str, str]] = {
        **READ,
        "create": "case.edit",
        "update": "case.edit",
        "partial_update": "case.edit",
        "destroy": "case.edit",
    }

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            stage = serializer.save()
            self.audit("update", stage, change="stage added", fields=changed_fields(serializer))

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            stage = serializer.save()
            fields = changed_fields(serializer)
            self.audit("update", stage, change="stage changed", fields=fields, version=stage.version)

    def perform_destroy(self, instance: MigrationStage) -> None:
        with transaction.atomic():
            self.audit("update", instance, change="stage removed")
            instance.delete()


@extend_schema_view(list=_CASE_FILTER)
class ConsentViewSet(
    CaseChildViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin
):
    """Consent records are never edited: a change is a new record or a withdrawal."""

    serializer_class = s.ConsentSerializer
    child_name = "consent"
    scope = staticmethod(scoping.consents_for)
    capabilities: ClassVar[dict[str, str]] = {
        **READ,
        "create": "consent.record",
        "withdraw": "consent.record",
    }

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            consent = serializer.save(recorded_by=self.request.user)
            self.audit("consent", consent, purpose=consent.purpose, given=consent.given)

    @extend_schema(request=s.WithdrawSerializer, responses=s.ConsentSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Any, pk: str | None = None) -> Response:
        consent: Consent = self.get_object()
        body = s.WithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if consent.withdrawn_on is not None or not consent.given:
            raise exceptions.ValidationError({"withdrawn_on": _("This consent is not in force.")})
        with transaction.atomic():
            consents.withdraw(
                consent,
                request.user,
                on=body.validated_data.get("withdrawn_on"),
                expected_version=body.validated_data.get("version"),
            )
            self.audit("consent_withdrawn", consent, purpose=consent.purpose)
        return Response(self.get_serializer(consent).data)


@extend_schema_view(list=_CASE_FILTER)
class ScreeningViewSet(
    CaseChildViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Screenings: answers in, determination (computed by ``vigil.rules``) out."""

    serializer_class = s.ScreeningSerializer
    child_name = "screening"
    scope = staticmethod(scoping.screenings_for)
    capabilities: ClassVar[dict[str, str]] = {
        **READ,
        "create": "case.edit",
        "update": "case.edit",
        "partial_update": "case.edit",
    }

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        with transaction.atomic():
            try:
                screening = screening_service.create(
                    data["case"],
                    data["ruleset"],
                    self.request.user,
                    age=data.get("age"),
                    answers=data.get("answers"),
                    facts=data.get("facts"),
                )
            except screening_service.FactError as exc:
                raise exceptions.ValidationError({"facts": str(exc)}) from None
            except screening_service.ScreeningError as exc:
                raise exceptions.ValidationError({"answers": str(exc)}) from None
            serializer.instance = screening
            self.audit("update", screening, change="screening started", ruleset=screening.ruleset)

    def perform_update(self, serializer: Any) -> None:
        screening: Screening = serializer.instance
        data = serializer.validated_data
        if not screening_service.is_current(screening):
            raise exceptions.ValidationError(
                {"ruleset_version": _("This screening used an older rule-set version; start a new one.")}
            )
        if data.get("case") and data["case"].pk != screening.case_id:
            raise exceptions.ValidationError({"case": _("A screening cannot move to another case.")})
        with transaction.atomic():
            try:
                screening_service.update(
                    screening,
                    data["version"],
                    answers=data.get("answers"),
                    facts=data.get("facts"),
                    **({"age": data["age"]} if "age" in data else {}),
                )
            except screening_service.FactError as exc:
                raise exceptions.ValidationError({"facts": str(exc)}) from None
            except screening_service.ScreeningError as exc:
                raise exceptions.ValidationError({"answers": str(exc)}) from None
            self.audit(
                "update",
                screening,
                change="screening answered",
                indicators=sorted((data.get("answers") or {}).keys()),
                **({"facts": sorted(data["facts"])} if data.get("facts") else {}),
            )

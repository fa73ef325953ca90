"""The REST API. Every queryset comes from ``vigil.server.scoping``; every read and write of a
person or case appends an audit entry."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from csp.decorators import csp_update
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import match_token, user_has_device
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from vigil.server import exports, scoping
from vigil.server.accounts.models import CAPABILITIES, ApiToken
from vigil.server.api import serializers as s
from vigil.server.audit.log import record
from vigil.server.cases import screening as screening_service
from vigil.server.cases.models import Case, Consent, MigrationStage, Person, Screening
from vigil.server.followups import services as followup_services
from vigil.server.referrals import services as referral_services
from vigil.server.referrals.models import DEFAULT_SHARED, DataSharingAgreement, Referral, ServiceProvider


class HasCapability(permissions.BasePermission):
    """Maps the view's action to a capability of the user's role (``view.capabilities``)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = view.capabilities.get(view.action or "", view.capabilities.get("read"))
        return needed is None or user.can(needed)


READ = {"list": "case.view", "retrieve": "case.view", "read": "case.view"}
WRITE = {
    "create": "case.create",
    "update": "case.edit",
    "partial_update": "case.edit",
    "destroy": "case.edit",
}
# Actions that change a record: they see only what the user may change (an emergency grant is
# read-only, see scoping.editable_cases_for).
CHANGES = frozenset({"update", "partial_update", "destroy", "withdraw", "complete"})


def _changed(serializer: Any) -> list[str]:
    return sorted(k for k in serializer.validated_data if k != "version")


class AuditedViewSet(viewsets.GenericViewSet):
    """Writes an audit entry on list, retrieve, create and update.

    Subclasses list it *before* DRF's mixins so that its ``list`` and ``retrieve`` win.
    """

    permission_classes = (permissions.IsAuthenticated, HasCapability)
    capabilities: ClassVar[dict[str, str]] = {**READ, **WRITE}
    audit_type = ""

    def audit(self, action_name: str, obj: Any = None, **detail: Any) -> None:
        record(
            action_name,
            user=self.request.user,
            obj=obj,
            object_type=self.audit_type,
            via="api",
            request=self.request,
            detail=detail,
        )

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self.audit("list", ids=[o.pk for o in rows], query=sorted(request.query_params.keys()))
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def audit_detail(self, obj: Any) -> dict[str, Any]:
        """What a view entry adds about ``obj`` (ids only); e.g. the person a request is about."""
        return {}

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        self.audit("view", obj, **self.audit_detail(obj))
        return Response(self.get_serializer(obj).data)


def _date_param(request: Any, name: str) -> date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({name: _("Use an ISO 8601 date (YYYY-MM-DD).")}) from None


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
            self.audit("create", person, fields=_changed(serializer))

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            person = serializer.save()
            self.audit("update", person, fields=_changed(serializer))


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
        if params.get("person"):
            try:
                qs = qs.filter(person_id=int(params["person"]))
            except ValueError:
                raise exceptions.ValidationError({"person": _("Expected a number.")}) from None
        if (after := _date_param(self.request, "opened_after")) is not None:
            qs = qs.filter(opened_on__gte=after)
        if (before := _date_param(self.request, "opened_before")) is not None:
            qs = qs.filter(opened_on__lte=before)
        return qs

    def perform_create(self, serializer: Any) -> None:
        user = self.request.user
        if user.organisation_id is None:
            raise exceptions.PermissionDenied(_("Your account belongs to no organisation."))
        with transaction.atomic():
            case = serializer.save(organisation_id=user.organisation_id, owner=user)
            self.audit("create", case, fields=_changed(serializer))

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            case = serializer.save()
            self.audit("update", case, fields=_changed(serializer), version=case.version)


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
        case = self.request.query_params.get("case")
        if case:
            try:
                qs = qs.filter(case_id=int(case))
            except ValueError:
                raise exceptions.ValidationError({"case": _("Expected a number.")}) from None
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
            self.audit("update", stage, change="stage added", fields=_changed(serializer))

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            stage = serializer.save()
            self.audit("update", stage, change="stage changed", fields=_changed(serializer))

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
            consent.withdrawn_on = body.validated_data.get("withdrawn_on") or timezone.localdate()
            consent.withdrawn_by = request.user
            consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
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
                )
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
            if "age" in data:
                screening.age = data["age"]
            try:
                for indicator, value in (data.get("answers") or {}).items():
                    screening_service.apply_answer(screening, indicator, value)
                screening_service.evaluate(screening)
            except screening_service.ScreeningError as exc:
                raise exceptions.ValidationError({"answers": str(exc)}) from None
            screening.save()
            self.audit(
                "update",
                screening,
                change="screening answered",
                indicators=sorted((data.get("answers") or {}).keys()),
            )


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("service_type", str), OpenApiParameter("language", str)])
)
@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("service_type", str, enum=ServiceProvider.ServiceType.values),
            OpenApiParameter("language", str, description="BCP 47 code, e.g. ro"),
            OpenApiParameter(
                "available", bool, description="Only services with a free place (or no capacity set)."
            ),
        ]
    )
)
class ServiceProviderViewSet(viewsets.ReadOnlyModelViewSet):
    """The directory of services (type, area, languages, capacity)."""

    serializer_class = s.ServiceProviderSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.providers_for(self.request.user).with_places().order_by("name", "id")
        params = self.request.query_params
        if params.get("service_type"):
            qs = qs.filter(service_type=params["service_type"])
        if params.get("language"):
            qs = qs.filter(languages__icontains=params["language"])
        if params.get("available") in {"true", "1"}:
            qs = qs.filter(Q(capacity__isnull=True) | Q(capacity__gt=F("in_use")))
        return qs


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("recipient", int, description="Organisation id of the recipient."),
            OpenApiParameter("in_force", bool, description="Only agreements in force today."),
        ]
    )
)
class DataSharingAgreementViewSet(viewsets.ReadOnlyModelViewSet):
    """The data-sharing agreements of the user's organisation (as discloser or recipient)."""

    serializer_class = s.DataSharingAgreementSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.agreements_for(self.request.user).order_by("id")
        params = self.request.query_params
        if params.get("recipient"):
            try:
                qs = qs.filter(recipient_id=int(params["recipient"]))
            except ValueError:
                raise exceptions.ValidationError({"recipient": _("Expected a number.")}) from None
        if params.get("in_force") in {"true", "1"}:
            qs = qs.filter(DataSharingAgreement.in_force_q(timezone.localdate()))
        return qs


class CanRefer(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if view.action == "create":
            return user.can("referral.create")
        if view.action in {"accept", "decline", "complete"}:
            return user.can("referral.receive")
        if view.action == "revoke":
            return user.can("referral.create")
        return user.can("case.view") or user.can("referral.receive")


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("case", int), OpenApiParameter("status", str)])
)
class ReferralViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Referrals: the sender sees its cases' referrals; the receiving organisation sees each
    referral with only the fields it shares. Creating one needs consent to referral, or an
    override with a reason by a role that may override."""

    serializer_class = s.ReferralSerializer
    permission_classes = (permissions.IsAuthenticated, CanRefer)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.referrals_for(self.request.user).select_related("case", "case__person", "provider")
        params = self.request.query_params
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("case"):
            try:
                qs = qs.filter(case_id=int(params["case"]))
            except ValueError:
                raise exceptions.ValidationError({"case": _("Expected a number.")}) from None
        return qs.order_by("-id")

    def _audit_reads(self, refs: list[Referral]) -> None:
        for ref in refs:
            referral_services.audit_shared_view(
                ref, self.request.user, ref.shared_data(), via="api", request=self.request
            )

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        rows = page if page is not None else list(self.get_queryset())
        self._audit_reads(rows)
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        ref = self.get_object()
        self._audit_reads([ref])
        return Response(self.get_serializer(ref).data)

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        if not scoping.can_edit_case(self.request.user, data["case"]):
            raise exceptions.PermissionDenied()
        try:
            serializer.instance = referral_services.create(
                data["case"],
                data["provider"],
                self.request.user,
                shared_fields=data.get("shared_fields", list(DEFAULT_SHARED)),
                reason=data.get("reason", ""),
                override_reason=data.get("override_reason", ""),
                via="api",
                request=self.request,
            )
        except referral_services.ReferralError as exc:
            if exc.field == "consent":
                raise ConsentRequired(str(exc)) from None
            raise exceptions.ValidationError({exc.field: str(exc)}) from None

    def _decide(self, request: Any, action_name: str) -> Response:
        ref = get_object_or_404(scoping.received_referrals_for(request.user), pk=self.kwargs["pk"])
        body = s.ReferralDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            referral_services.decide(
                ref,
                action_name,
                request.user,
                reason=body.validated_data.get("reason", ""),
                via="api",
                request=request,
            )
        except referral_services.ReferralError as exc:
            raise exceptions.ValidationError({exc.field: str(exc)}) from None
        return Response(self.get_serializer(ref).data)

    @extend_schema(request=s.ReferralDecisionSerializer, responses=s.ReferralSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Any, pk: str | None = None) -> Response:
        return self._decide(request, "accept")

    @extend_schema(request=s.ReferralDecisionSerializer, responses=s.ReferralSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request: Any, pk: str | None = None) -> Response:
        return self._decide(request, "decline")

    @extend_schema(request=s.ReferralDecisionSerializer, responses=s.ReferralSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Any, pk: str | None = None) -> Response:
        """By the sender, with a reason: the receiver then sees nothing of the person."""
        ref = get_object_or_404(scoping.referrals_for(request.user).select_related("case"), pk=pk)
        if not scoping.can_edit_case(request.user, ref.case):
            raise exceptions.NotFound()
        body = s.ReferralDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            referral_services.decide(
                ref,
                "revoke",
                request.user,
                reason=body.validated_data.get("reason", ""),
                via="api",
                request=request,
            )
        except referral_services.ReferralError as exc:
            raise exceptions.ValidationError({exc.field: str(exc)}) from None
        return Response(self.get_serializer(ref).data)

    @extend_schema(request=s.ReferralDecisionSerializer, responses=s.ReferralSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Any, pk: str | None = None) -> Response:
        return self._decide(request, "complete")


class ConsentRequired(exceptions.APIException):
    status_code = 409
    default_code = "consent_required"
    default_detail = gettext_lazy("The person has not consented to this.")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("case", int),
            OpenApiParameter("open", bool, description="Only follow-ups not done yet."),
            OpenApiParameter("overdue", bool, description="Only open follow-ups past their due date."),
        ]
    )
)
class FollowUpViewSet(
    CaseChildViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Scheduled check-ins; ``?overdue=true`` is the worklist."""

    serializer_class = s.FollowUpSerializer
    child_name = "followup"
    scope = staticmethod(scoping.followups_for)
    capabilities: ClassVar[dict[str, str]] = {
        **READ,
        "create": "case.edit",
        "update": "case.edit",
        "partial_update": "case.edit",
        "complete": "case.edit",
    }

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = super().get_queryset().order_by("due_on", "id")
        params = self.request.query_params
        if params.get("open") in {"true", "1"}:
            qs = qs.filter(done_on__isnull=True)
        if params.get("overdue") in {"true", "1"}:
            qs = qs.filter(done_on__isnull=True, due_on__lt=timezone.localdate())
        return qs

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            followup = serializer.save(created_by=self.request.user)
            self.audit("update", followup, change="follow-up scheduled")

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            followup = serializer.save()
            self.audit("update", followup, change="follow-up changed", fields=_changed(serializer))

    @extend_schema(request=s.FollowUpCompleteSerializer, responses=s.FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Any, pk: str | None = None) -> Response:
        followup = self.get_object()
        body = s.FollowUpCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if followup.done_on is not None:
            raise exceptions.ValidationError({"done_on": _("This follow-up is already done.")})
        data = body.validated_data
        with transaction.atomic():
            followup_services.complete(followup, request.user, **data)
            self.audit(
                "update",
                followup,
                change="follow-up done",
                outcome=followup.outcome,
                retrafficking_risk=followup.retrafficking_risk,
            )
        return Response(self.get_serializer(followup).data)


class CanSeeStatistics(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.can("stats.view"))


def _k_param(request: Any) -> int:
    raw = request.query_params.get("k") or str(exports.min_k())
    try:
        k = int(raw)
    except ValueError:
        raise exceptions.ValidationError({"k": _("Expected a number.")}) from None
    if k < exports.min_k():
        raise exceptions.ValidationError({"k": _("k must be at least %(k)s.") % {"k": exports.min_k()}})
    return k


class CaseExportView(APIView):
    """HTCDS-aligned microdata of the cases with statistics consent, as CSV: no identity field, no
    organisation; quasi-identifiers of records in groups smaller than ``k`` are suppressed."""

    permission_classes = (permissions.IsAuthenticated, CanSeeStatistics)

    @extend_schema(
        parameters=[OpenApiParameter("k", int, description="Smallest group published (>= 11).")],
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Any) -> HttpResponse:
        k = _k_param(request)
        text, n, n_suppressed = exports.microdata_csv(scoping.statistics_cases_for(request.user), k)
        record(
            "export",
            user=request.user,
            object_type="case",
            via="api",
            request=request,
            detail={"records": n, "suppressed": n_suppressed, "k": k, "columns": list(exports.COLUMNS)},
        )
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="vigil-cases-htcds.csv"'
        return response


class CaseStatisticsView(APIView):
    """A two-way count table of the cases with statistics consent, small cells suppressed."""

    permission_classes = (permissions.IsAuthenticated, CanSeeStatistics)

    @extend_schema(
        parameters=[
            OpenApiParameter("rows", str, enum=sorted(exports.DIMENSIONS), required=True),
            OpenApiParameter("cols", str, enum=sorted(exports.DIMENSIONS), required=True),
            OpenApiParameter("k", int, description="Smallest count published (>= 11)."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Any) -> Response:
        k = _k_param(request)
        dims = {}
        for name in ("rows", "cols"):
            value = request.query_params.get(name, "")
            if value not in exports.DIMENSIONS:
                raise exceptions.ValidationError(
                    {name: _("Choose one of: %s") % ", ".join(sorted(exports.DIMENSIONS))}
                )
            dims[name] = value
        table = exports.count_table(scoping.statistics_cases_for(request.user), dims["rows"], dims["cols"], k)
        record(
            "export",
            user=request.user,
            object_type="case",
            via="api",
            request=request,
            detail={"table": [dims["rows"], dims["cols"]], "k": k, "hidden": table["hidden"]},
        )
        return Response({"rows_dimension": dims["rows"], "cols_dimension": dims["cols"], **table})


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("object_type", str, description="case, person, user, system"),
            OpenApiParameter("object_id", str),
            OpenApiParameter("actor", str, description="user name"),
            OpenApiParameter("action", str),
            OpenApiParameter("since", OpenApiTypes.DATE),
        ]
    )
)
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log (supervisors: their organisation's records and colleagues; administrators:
    all): who accessed record X, what user Y did. Reading it is itself audited."""

    serializer_class = s.AuditEntrySerializer
    permission_classes = (permissions.IsAuthenticated, HasCapability)
    capabilities: ClassVar[dict[str, str]] = {"list": "audit.view", "retrieve": "audit.view"}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.audit_for(self.request.user).select_related("seal").order_by("-id")
        params = self.request.query_params
        for param, field in (
            ("object_type", "object_type"),
            ("object_id", "object_id"),
            ("actor", "actor_username"),
            ("action", "action"),
        ):
            if params.get(param):
                qs = qs.filter(**{field: params[param]})
        if (since := _date_param(self.request, "since")) is not None:
            qs = qs.filter(at__date__gte=since)
        return qs

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        record(
            "audit_read",
            user=request.user,
            object_type="audit",
            via="api",
            request=request,
            detail={"query": {k: v for k, v in request.query_params.items() if k != "page"}},
        )
        return response


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.OrganisationSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return scoping.organisations_for(self.request.user)


class InvalidCredentials(exceptions.APIException):
    status_code = 400
    default_code = "invalid_credentials"
    default_detail = gettext_lazy("Unable to log in with the user name and password given.")


class TwoFactorRequired(exceptions.APIException):
    status_code = 401
    default_code = "two_factor_required"
    default_detail = gettext_lazy("This account uses two-factor login: send the current code as 'otp'.")


class TokenView(APIView):
    """Exchange a username and password for an API token (send as ``Authorization: Token <key>``)."""

    permission_classes = (permissions.AllowAny,)
    authentication_classes: tuple[Any, ...] = ()
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"

    @extend_schema(request=s.TokenRequestSerializer, responses={200: s.TokenSerializer}, auth=[])
    def post(self, request: Any) -> Response:
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(
            request=request._request,
            username=body.validated_data["username"],
            password=body.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise InvalidCredentials
        if user_has_device(user):
            code = str(body.validated_data.get("otp") or "").strip()
            # No code: ask for it (not a failed attempt). A wrong code counts toward the throttle.
            if not code or match_token(user, code) is None:
                raise TwoFactorRequired
        token, key = ApiToken.issue(user)
        record("token_issued", user=user, object_type="user", object_id=user.pk, via="api", request=request)
        return Response({"token": key, "expires_at": token.expires_at}, status=status.HTTP_200_OK)


# The interactive docs load Swagger UI from its CDN: only this page's CSP allows that.
docs_view = csp_update(
    {
        "script-src": ["https://cdn.jsdelivr.net"],
        "style-src": ["https://cdn.jsdelivr.net", "'unsafe-inline'"],
        "img-src": ["https://cdn.jsdelivr.net"],
    }
)(SpectacularSwaggerView.as_view(url_name="api:schema"))


@extend_schema(responses={200: s.MeSerializer})
@api_view(["GET"])
def me(request: Any) -> Response:
    """Who the token or session belongs to, with the role's capabilities."""
    user = request.user
    return Response(
        {
            "username": user.username,
            "role": user.role,
            "scope": user.scope,
            "organisation": user.organisation_id,
            "capabilities": sorted(CAPABILITIES.get(user.role, frozenset())),
        }
    )

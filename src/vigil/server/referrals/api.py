"""The API of the service directory, data-sharing agreements and referrals."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from vigil.server import scoping
from vigil.server.api.idempotency import IdempotentMixin
from vigil.server.api.params import int_param
from vigil.server.referrals import serializers as s
from vigil.server.referrals import services as referral_services
from vigil.server.referrals.models import DEFAULT_SHARED, DataSharingAgreement, Referral, ServiceProvider


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
        if (recipient := int_param(self.request, "recipient")) is not None:
            qs = qs.filter(recipient_id=recipient)
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
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
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
        if (case := int_param(self.request, "case")) is not None:
            qs = qs.filter(case_id=case)
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
                expected_version=body.validated_data.get("version"),
                via="api",
                request=request,
            )
        except referral_services.ReferralError as exc:
            if exc.field == "consent":
                raise ConsentRequired(str(exc)) from None
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
                expected_version=body.validated_data.get("version"),
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

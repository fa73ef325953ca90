"""API of the breach register (``/api/breaches/``), the access review (``/api/access-review/``) and
account containment (``/api/accounts/<id>/suspend/``, ``/reactivate/``). Every read of the
register and every review query is audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.server.api.idempotency import IdempotentMixin
from vigil.server.breaches import access_review, containment, services
from vigil.server.breaches import serializers as s
from vigil.server.breaches.models import BreachIncident


def _invalid(exc: services.BreachError) -> exceptions.ValidationError:
    return exceptions.ValidationError({exc.field: [exc.message]})


class BreachPermission(permissions.BasePermission):
    """Reading: anyone who may use the register (the queryset then decides which incidents).
    Reporting: ``breach.report``. Everything else: ``breach.manage`` with scope *all*. Checked
    before any incident is looked up, so a refusal says nothing about which incidents exist."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if view.action in {"list", "retrieve"}:
            return services.may_use_register(user)
        if view.action == "create":
            return user.can("breach.report")
        if view.action in {"notifications", "access_review"} and request.method == "GET":
            return services.may_use_register(user)
        return services.is_manager(user)


_FILTERS = extend_schema(
    parameters=[
        OpenApiParameter("status", str, enum=BreachIncident.Status.values),
        OpenApiParameter("severity", str, enum=BreachIncident.Severity.values),
        OpenApiParameter("category", str, enum=BreachIncident.Category.values),
        OpenApiParameter("reference", str),
    ]
)


@extend_schema_view(
    list=_FILTERS,
    retrieve=extend_schema(summary="One incident (the reporter's short view unless you oversee it)"),
    create=extend_schema(
        summary="Report a suspected breach",
        request=s.BreachReportSerializer,
        responses={201: s.BreachIncidentSerializer},
    ),
    partial_update=extend_schema(
        summary="Assess: change fields (breach.manage); send the version you read (stale: 409)",
        request=s.BreachUpdateSerializer,
        responses=s.BreachIncidentSerializer,
    ),
)
class BreachIncidentViewSet(
    IdempotentMixin, mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The breach register (R14). Incidents are never deleted: close them with a summary."""

    serializer_class = s.BreachIncidentSerializer
    permission_classes = (permissions.IsAuthenticated, BreachPermission)
    http_method_names = ("get", "post", "patch", "head", "options")

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = (
            services.incidents_for(self.request.user)
            .select_related("reported_by")
            .order_by("-reported_at", "-id")
        )
        params = self.request.query_params
        for name, choices in (
            ("status", BreachIncident.Status.values),
            ("severity", BreachIncident.Severity.values),
            ("category", BreachIncident.Category.values),
        ):
            value = params.get(name)
            if value:
                if value not in choices:
                    raise exceptions.ValidationError({name: [_("Choose one of: %s") % ", ".join(choices)]})
                qs = qs.filter(**{name: value})
        if params.get("reference"):
            qs = qs.filter(reference=params["reference"].strip().upper())
        return qs

    def _audit(self, action_name: str, incident: BreachIncident | None, **detail: Any) -> None:
        services.audit(action_name, self.request.user, incident, via="api", request=self.request, **detail)

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self._audit("list", None, ids=[o.pk for o in rows], query=sorted(request.query_params.keys()))
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        self._audit("view", incident)
        return Response(self.get_serializer(incident).data)

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        body = s.BreachReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            incident = services.report(request.user, body.validated_data, via="api", request=request)
        except services.BreachError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(incident).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        body = s.BreachUpdateSerializer(incident, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        version = data.pop("version")
        try:
            services.update(request.user, incident, data, version=version, via="api", request=request)
        except services.BreachError as exc:
            raise _invalid(exc) from None
        incident.refresh_from_db()
        return Response(self.get_serializer(incident).data)

    def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        raise exceptions.MethodNotAllowed("PUT")

    @extend_schema(
        summary="Move the incident to its next status (breach.manage)",
        request=s.StatusRequestSerializer,
        responses=s.BreachIncidentSerializer,
    )
    @action(detail=True, methods=["post"])
    def status(self, request: Any, pk: str | None = None) -> Response:
        incident = self.get_object()
        body = s.StatusRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            services.change_status(
                request.user,
                incident,
                data["status"],
                note=data.get("note", ""),
                closure_summary=data.get("closure_summary", ""),
                expected_version=data.get("version"),
                via="api",
                request=request,
            )
        except services.BreachError as exc:
            raise _invalid(exc) from None
        incident.refresh_from_db()
        return Response(self.get_serializer(incident).data)

    @extend_schema(
        methods=["GET"],
        summary="Notifications of the incident",
        responses=s.NotificationSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a notification (breach.manage)",
        request=s.NotificationSerializer,
        responses={201: s.NotificationSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def notifications(self, request: Any, pk: str | None = None) -> Response:
        incident = self.get_object()
        if request.method == "GET":
            if not services.sees_full_record(request.user, incident):
                raise exceptions.PermissionDenied()
            self._audit("view", incident, page="notifications")
            rows = incident.notifications.select_related("recorded_by")
            return Response(s.NotificationSerializer(rows, many=True).data)
        body = s.NotificationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            notification = services.add_notification(
                request.user, incident, body.validated_data, via="api", request=request
            )
        except services.BreachError as exc:
            raise _invalid(exc) from None
        return Response(s.NotificationSerializer(notification).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add or remove affected cases by reference (breach.manage)",
        request=s.CasesRequestSerializer,
        responses=s.BreachIncidentSerializer,
    )
    @action(detail=True, methods=["post"])
    def cases(self, request: Any, pk: str | None = None) -> Response:
        incident = self.get_object()
        body = s.CasesRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.change_cases(
                request.user,
                incident,
                add=body.validated_data.get("add"),
                remove=body.validated_data.get("remove"),
                via="api",
                request=request,
            )
        except services.BreachError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(incident).data)

    @extend_schema(
        summary="Who accessed any affected case during the incident's window (audit.view)",
        responses=s.AccessReviewSerializer,
    )
    @action(detail=True, methods=["get"], url_path="access-review")
    def access_review(self, request: Any, pk: str | None = None) -> Response:
        incident = self.get_object()
        if not (access_review.may_review(request.user) and services.sees_full_record(request.user, incident)):
            raise exceptions.PermissionDenied()
        review = access_review.who_accessed_incident(request.user, incident, via="api", request=request)
        return Response(s.AccessReviewSerializer(review).data)


class CanReview(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return access_review.may_review(request.user)


_PERIOD = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 30 days before 'to')."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (default: today)."),
]


def _period(request: Any) -> access_review.Period:
    try:
        return access_review.parse_period(request.query_params.get("from"), request.query_params.get("to"))
    except services.BreachError as exc:
        raise _invalid(exc) from None


class RecordAccessReviewView(APIView):
    """Who accessed a case (by id or reference): entries on the case, on its person, and lists or
    searches that showed either, over a period (audit.view; your scope's cases)."""

    permission_classes = (permissions.IsAuthenticated, CanReview)

    @extend_schema(
        parameters=[
            OpenApiParameter("case", str, required=True, description="Case id or reference."),
            *_PERIOD,
        ],
        responses=s.AccessReviewSerializer,
    )
    def get(self, request: Any) -> Response:
        token = (request.query_params.get("case") or "").strip()
        if not token:
            raise exceptions.ValidationError({"case": [_("Give a case id or reference.")]})
        period = _period(request)
        case = access_review.find_case(request.user, token)
        if case is None:
            raise exceptions.NotFound()
        review = access_review.who_accessed_case(request.user, case, period, via="api", request=request)
        return Response(s.AccessReviewSerializer(review).data)


class UserAccessReviewView(APIView):
    """Cases and persons a user viewed, changed or saw in a list over a period, with counts
    (audit.view; supervisors: users of their organisation)."""

    permission_classes = (permissions.IsAuthenticated, CanReview)

    @extend_schema(parameters=_PERIOD, responses=s.RecordReviewSerializer)
    def get(self, request: Any, pk: int) -> Response:
        period = _period(request)
        target = get_object_or_404(access_review.reviewable_users(request.user), pk=pk)
        review = access_review.records_accessed_by(request.user, target, period, via="api", request=request)
        return Response(s.RecordReviewSerializer(review).data)


class CanContain(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return containment.may_contain(request.user)


class SuspendAccountView(IdempotentMixin, APIView):
    """Suspend an account at once: inactive, every API token and session deleted (admin)."""

    permission_classes = (permissions.IsAuthenticated, CanContain)

    @extend_schema(request=s.SuspendRequestSerializer, responses=s.SuspensionSerializer)
    def post(self, request: Any, pk: int) -> Response:
        target = get_object_or_404(containment.accounts_for(request.user), pk=pk)
        body = s.SuspendRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            suspension = containment.suspend(
                request.user,
                target,
                reason=body.validated_data.get("reason", ""),
                incident=body.validated_data.get("incident"),
                via="api",
                request=request,
            )
        except services.BreachError as exc:
            raise _invalid(exc) from None
        return Response(s.SuspensionSerializer(suspension).data)


class ReactivateAccountView(IdempotentMixin, APIView):
    """Make a suspended account active again (admin); tokens and sessions do not come back."""

    permission_classes = (permissions.IsAuthenticated, CanContain)

    @extend_schema(request=s.ReactivateRequestSerializer, responses=s.AccountStateSerializer)
    def post(self, request: Any, pk: int) -> Response:
        target = get_object_or_404(containment.accounts_for(request.user), pk=pk)
        body = s.ReactivateRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                user = containment.reactivate(
                    request.user,
                    target,
                    reason=body.validated_data.get("reason", ""),
                    via="api",
                    request=request,
                )
        except services.BreachError as exc:
            raise _invalid(exc) from None
        return Response(s.AccountStateSerializer(user).data)

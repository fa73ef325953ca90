"""API of this app: the encrypted statistics export and the data-subject requests."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.server.api.idempotency import IdempotentMixin
from vigil.server.api.params import int_param
from vigil.server.api.viewsets import AuditedViewSet
from vigil.server.disclosures import serializers as s
from vigil.server.disclosures import statistics, subject_requests
from vigil.server.disclosures.models import SubjectRequest
from vigil.server.statistics import microdata as exports


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "Conflict"


def _raise(exc: subject_requests.RequestError) -> None:
    if exc.status == 409:
        raise Conflict(exc.message) from None
    raise exceptions.ValidationError({exc.field: [exc.message]}) from None


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response


class CanExportStatistics(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.can("stats.view"))


class StatisticsExportView(IdempotentMixin, APIView):
    """The analyst's microdata (as ``/api/exports/cases/``) in an AES-256 zip with a README.

    The answer holds the password and the download link: both are shown once only."""

    permission_classes = (permissions.IsAuthenticated, CanExportStatistics)

    @extend_schema(request=s.StatisticsExportInput, responses={201: s.IssuedExportOutput})
    def post(self, request: Any) -> Response:
        body = s.StatisticsExportInput(data=request.data)
        body.is_valid(raise_exception=True)
        purpose = body.validated_data["purpose"].strip()
        k = body.validated_data.get("k") or exports.min_k()
        issued = statistics.create(request.user, purpose=purpose, k=k, via="api", request=request)
        return _no_store(Response(s.issued_output(issued), status=status.HTTP_201_CREATED))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=SubjectRequest.Status.values),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("person", int),
        ]
    )
)
class SubjectRequestViewSet(AuditedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Data-subject requests about persons the user can see (supervisors). Reads are audited by
    ``AuditedViewSet`` (object type ``subject_request``, with the person's id)."""

    serializer_class = s.SubjectRequestSerializer
    capabilities: ClassVar[dict[str, str]] = {"read": "subject.request"}
    audit_type = "subject_request"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = (
            subject_requests.subject_requests_for(self.request.user)
            .select_related("handled_by")
            .prefetch_related("exports")
            .order_by("due_on", "id")
        )
        params = self.request.query_params
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("overdue") in ("1", "true", "yes"):
            qs = qs.filter(status__in=SubjectRequest.OPEN_STATUSES, due_on__lt=timezone.localdate())
        if (person := int_param(self.request, "person")) is not None:
            qs = qs.filter(person_id=person)
        return qs

    def audit_detail(self, obj: SubjectRequest) -> dict[str, Any]:
        return {"person": obj.person_id}

    @extend_schema(request=s.SubjectRequestCreate, responses={201: s.SubjectRequestSerializer})
    def create(self, request: Any) -> Response:
        body = s.SubjectRequestCreate(data=request.data, persons=subject_requests.persons_for(request.user))
        body.is_valid(raise_exception=True)
        try:
            req = subject_requests.create(request.user, **body.validated_data, via="api", request=request)
        except subject_requests.RequestError as exc:
            _raise(exc)
        return Response(self.get_serializer(req).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SubjectRequestUpdate, responses=s.SubjectRequestSerializer)
    def partial_update(self, request: Any, pk: str | None = None) -> Response:
        req = self.get_object()
        body = s.SubjectRequestUpdate(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        version = changes.pop("version")
        try:
            subject_requests.update(req, request.user, changes, version=version, via="api", request=request)
        except subject_requests.RequestError as exc:
            _raise(exc)
        return Response(self.get_serializer(req).data)

    @extend_schema(request=s.VersionInput, responses={201: s.IssuedExportOutput})
    @action(detail=True, methods=["post"])
    def access(self, request: Any, pk: str | None = None) -> Response:
        """Build the person's record (identity decrypted) into an AES-256 zip; the password and
        the link are in the answer, once."""
        req = self.get_object()
        body = s.VersionInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            issued = subject_requests.access(
                req,
                request.user,
                expected_version=body.validated_data.get("version"),
                via="api",
                request=request,
            )
        except subject_requests.RequestError as exc:
            _raise(exc)
        return _no_store(Response(s.issued_output(issued), status=status.HTTP_201_CREATED))

    @extend_schema(request=s.VersionInput, responses=s.ErasureOutput)
    @action(detail=True, methods=["post"])
    def erase(self, request: Any, pk: str | None = None) -> Response:
        """Anonymise the person's closed cases now; held cases are kept (partially refused); an
        open case refuses the whole erasure (409) until it is closed."""
        req = self.get_object()
        body = s.VersionInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = subject_requests.erase(
                req,
                request.user,
                expected_version=body.validated_data.get("version"),
                via="api",
                request=request,
            )
        except subject_requests.RequestError as exc:
            _raise(exc)
        req.refresh_from_db()
        return Response(s.ErasureOutput({"request": req, **result.as_dict()}).data)

    @extend_schema(request=s.NoteInput, responses=s.SubjectRequestSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Any, pk: str | None = None) -> Response:
        """Close a correction, restriction or objection as done."""
        req = self.get_object()
        body = s.NoteInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            subject_requests.complete(
                req,
                request.user,
                body.validated_data["outcome_note"],
                expected_version=body.validated_data.get("version"),
                via="api",
                request=request,
            )
        except subject_requests.RequestError as exc:
            _raise(exc)
        return Response(self.get_serializer(req).data)

    @extend_schema(request=s.RefuseInput, responses=s.SubjectRequestSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request: Any, pk: str | None = None) -> Response:
        req = self.get_object()
        body = s.RefuseInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            with transaction.atomic():
                subject_requests.refuse(
                    req,
                    request.user,
                    data["refusal_reason"],
                    data["outcome_note"],
                    expected_version=data.get("version"),
                    via="api",
                    request=request,
                )
        except subject_requests.RequestError as exc:
            _raise(exc)
        return Response(self.get_serializer(req).data)

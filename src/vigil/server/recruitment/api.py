"""API of the agency registry (``/api/recruitment/...``): agencies, licences (status changes
with history), complaints, fee reports and the risk worklist. Regulators only
(``recruitment.view`` to read, ``recruitment.manage`` to write); every read and write is audited,
and reading a complaint's contact details is recorded as such."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.server import scoping
from vigil.server.api.pagination import MAX_PAGE_SIZE
from vigil.server.api.params import int_param, limit_param
from vigil.server.api.viewsets import AuditedViewSet, changed_fields
from vigil.server.recruitment import serializers as s
from vigil.server.recruitment import services

READ = {"list": "recruitment.view", "retrieve": "recruitment.view", "read": "recruitment.view"}
WRITE = {
    "create": "recruitment.manage",
    "update": "recruitment.manage",
    "partial_update": "recruitment.manage",
    "status": "recruitment.manage",
}


class _Writes(AuditedViewSet):
    capabilities: ClassVar[dict[str, str]] = {**READ, **WRITE}
    http_method_names = ("get", "post", "patch", "head", "options")

    def perform_create(self, serializer: Any) -> None:
        try:
            with transaction.atomic():
                obj = serializer.save()
        except ValueError as exc:  # a fee report the rule set cannot read (currency, channel)
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from None
        self.audit("create", obj, fields=changed_fields(serializer))

    def perform_update(self, serializer: Any) -> None:
        try:
            with transaction.atomic():
                obj = serializer.save()
        except ValueError as exc:
            raise exceptions.ValidationError({"non_field_errors": [str(exc)]}) from None
        self.audit("update", obj, fields=changed_fields(serializer))


class AgencyViewSet(
    _Writes,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """The registry's agencies with their licences and sanctions. Filters: ``country``, ``q``."""

    serializer_class = s.AgencySerializer
    audit_type = "agency"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.agencies_for(self.request.user).prefetch_related("licences__history", "sanctions")
        params = self.request.query_params
        if params.get("country"):
            qs = qs.filter(country=params["country"].strip().upper())
        if params.get("q"):
            qs = qs.filter(legal_name__icontains=params["q"].strip())
        return qs


class LicenceViewSet(_Writes, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Licences; a status changes only through ``status/`` with a reason (kept in its history)."""

    serializer_class = s.LicenceSerializer
    audit_type = "licence"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.licences_for(self.request.user).prefetch_related("history__by")
        if (agency := int_param(self.request, "agency")) is not None:
            qs = qs.filter(agency_id=agency)
        return qs

    @extend_schema(request=s.LicenceStatusInput, responses=s.LicenceSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Any, pk: str | None = None) -> Response:
        licence = self.get_object()
        body = s.LicenceStatusInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.change_licence_status(
                licence,
                body.validated_data["status"],
                reason=body.validated_data["reason"],
                user=request.user,
            )
        except services.RecruitmentError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        self.audit("status", licence, to=body.validated_data["status"])
        return Response(self.get_serializer(self.get_queryset().get(pk=licence.pk)).data)


class ComplaintViewSet(
    _Writes,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Complaints. The list holds no narrative or contact; one complaint does, and its read is
    audited naming the identity fields read. Filters: ``agency``, ``status``."""

    audit_type = "complaint"

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return s.ComplaintListSerializer if self.action == "list" else s.ComplaintSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.complaints_for(self.request.user)
        if (agency := int_param(self.request, "agency")) is not None:
            qs = qs.filter(agency_id=agency)
        if self.request.query_params.get("status"):
            qs = qs.filter(status=self.request.query_params["status"])
        return qs

    def audit_detail(self, obj: Any) -> dict[str, Any]:
        return {"fields": ["agency_name_given", "contact", "description"]}


class FeeReportViewSet(_Writes, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Fee reports, classified with ``fair-recruitment-2019`` when saved (category, breach, the
    rule that fired, and the debt-bondage lead when repaid by wage deduction or loan).
    Filters: ``agency``, ``breach``, ``debt_lead``."""

    serializer_class = s.FeeReportSerializer
    audit_type = "fee_report"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.fee_reports_for(self.request.user)
        params = self.request.query_params
        if (agency := int_param(self.request, "agency")) is not None:
            qs = qs.filter(agency_id=agency)
        for flag in ("breach", "debt_lead"):
            if params.get(flag) in ("1", "true"):
                qs = qs.filter(**{flag: True})
        return qs


class JobOfferViewSet(
    _Writes,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Job offers of licensed agencies, checked for warning signs and for costs the worker would
    pay when saved; the regulator approves (``approve/``), rejects (``reject/``) or withdraws
    (``withdraw/``) them, with a note. Filters: ``agency``, ``status``, ``listed`` (only those on
    the public list now)."""

    serializer_class = s.JobOfferSerializer
    audit_type = "job_offer"
    capabilities: ClassVar[dict[str, str]] = {
        **READ,
        **WRITE,
        "approve": "recruitment.manage",
        "reject": "recruitment.manage",
        "withdraw": "recruitment.manage",
    }

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = (
            scoping.offers_for(self.request.user)
            .select_related("agency")
            .prefetch_related("agency__licences")
        )
        params = self.request.query_params
        if (agency := int_param(self.request, "agency")) is not None:
            qs = qs.filter(agency_id=agency)
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        if params.get("listed") in ("1", "true"):
            qs = qs.filter(pk__in=services.listed_offers().values("pk"))
        return qs

    def _review(self, request: Any, decision: str) -> Response:
        offer = self.get_object()
        body = s.OfferReviewInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.review_offer(offer, decision, note=body.validated_data["note"], user=request.user)
        except services.RecruitmentError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        self.audit(decision, offer)
        return Response(self.get_serializer(self.get_queryset().get(pk=offer.pk)).data)

    @extend_schema(request=s.OfferReviewInput, responses=s.JobOfferSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Any, pk: str | None = None) -> Response:
        return self._review(request, "approve")

    @extend_schema(request=s.OfferReviewInput, responses=s.JobOfferSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Any, pk: str | None = None) -> Response:
        return self._review(request, "reject")

    @extend_schema(request=s.OfferReviewInput, responses=s.JobOfferSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Any, pk: str | None = None) -> Response:
        return self._review(request, "withdraw")


class InspectionViewSet(_Writes, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Inspections of agencies; the latest date is the agency's ``last_inspection`` (risk score).
    Filters: ``agency``."""

    serializer_class = s.InspectionSerializer
    audit_type = "inspection"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.inspections_for(self.request.user).select_related("recorded_by")
        if (agency := int_param(self.request, "agency")) is not None:
            qs = qs.filter(agency_id=agency)
        return qs

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            obj = serializer.save(recorded_by=self.request.user)
        self.audit("create", obj, fields=changed_fields(serializer))


class CaseLinkViewSet(
    AuditedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin
):
    """Links between cases and the agencies that recruited the person, made by those who may edit
    the case (``case.edit``); each user sees the links of the cases in their scope. The regulator
    sees only how many linked cases an agency has (agency page, worklist). Filters: ``case``."""

    serializer_class = s.CaseLinkSerializer
    audit_type = "case_link"
    capabilities: ClassVar[dict[str, str]] = {
        "list": "case.view",
        "retrieve": "case.view",
        "create": "case.edit",
    }
    http_method_names = ("get", "post", "head", "options")

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.case_links_for(self.request.user).select_related("agency", "case", "linked_by")
        if (case := int_param(self.request, "case")) is not None:
            qs = qs.filter(case_id=case)
        return qs

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        from vigil.server.cases.models import Case

        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = serializer.validated_data["case"]
        try:
            link, created = services.link_case(
                serializer.validated_data["agency"], Case.objects.get(pk=case.pk), user=request.user
            )
        except services.RecruitmentError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        if created:
            self.audit("create", link, case=case.pk, agency=link.agency_id)
        return Response(
            self.get_serializer(link).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class NamePairViewSet(AuditedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The name review queue: pairs of registry entries whose names may be one agency. A reviewer
    merges them (``merge/`` with the entry to keep), separates them (``separate/``) or undoes the
    decision (``undo/``); ``find/`` proposes new pairs. Filters: ``status`` (default: every)."""

    serializer_class = s.NamePairSerializer
    audit_type = "name_pair"
    capabilities: ClassVar[dict[str, str]] = {
        **READ,
        "merge": "recruitment.manage",
        "separate": "recruitment.manage",
        "undo": "recruitment.manage",
        "find": "recruitment.manage",
    }
    http_method_names = ("get", "post", "head", "options")

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.name_pairs_for(self.request.user).select_related("agency_a", "agency_b")
        status_ = self.request.query_params.get("status", "")
        if status_ == "pending":  # the queue: pending pairs of two entries still in the registry
            qs = qs.filter(pk__in=services.review_queue().values("pk"))
        elif status_:
            qs = qs.filter(status=status_)
        return qs.prefetch_related("agency_a__licences", "agency_b__licences", "events__by")

    def _decide(self, request: Any, what: str) -> Response:
        pair = self.get_object()
        try:
            if what == "merge":
                body = s.MergeInput(data=request.data)
                body.is_valid(raise_exception=True)
                keep = pair.agency_a if body.validated_data["keep"] == pair.agency_a_id else pair.agency_b
                if body.validated_data["keep"] not in (pair.agency_a_id, pair.agency_b_id):
                    raise services.RecruitmentError("keep", "keep one of the two agencies of the pair")
                services.merge_pair(pair, keep=keep, user=request.user)
            elif what == "separate":
                services.separate_pair(pair, user=request.user)
            else:
                services.undo_pair(pair, user=request.user)
        except services.RecruitmentError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        self.audit(what, pair)
        return Response(self.get_serializer(self.get_queryset().get(pk=pair.pk)).data)

    @extend_schema(request=s.MergeInput, responses=s.NamePairSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Any, pk: str | None = None) -> Response:
        return self._decide(request, "merge")

    @extend_schema(request=None, responses=s.NamePairSerializer)
    @action(detail=True, methods=["post"])
    def separate(self, request: Any, pk: str | None = None) -> Response:
        return self._decide(request, "separate")

    @extend_schema(request=None, responses=s.NamePairSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request: Any, pk: str | None = None) -> Response:
        return self._decide(request, "undo")

    @extend_schema(request=None, responses=s.FindPairsResult)
    @action(detail=False, methods=["post"])
    def find(self, request: Any) -> Response:
        with transaction.atomic():
            n = services.find_name_pairs()
        self.audit("find", object_type="name_pair", new_pairs=n)
        return Response({"new_pairs": n})


class CanRegulate(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.can("recruitment.view"))


class WorklistView(APIView):
    """The monitoring worklist: agencies ranked by the explained risk score
    (``vigil.recruitment.risk``, weights in ``agency-risk.yaml``), the reason on each line."""

    permission_classes = (permissions.IsAuthenticated, CanRegulate)

    @extend_schema(
        responses=s.WorklistLineSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "limit",
                int,
                description=f"The first N lines (at most and by default {MAX_PAGE_SIZE}).",
            )
        ],
    )
    def get(self, request: Any) -> Response:
        lines = services.worklist(
            scoping.agencies_for(request.user),
            limit=limit_param(request),
        )
        services.audit(
            "worklist",
            request.user,
            object_type="agency",
            via="api",
            request=request,
            ids=[ln.agency.pk for ln in lines],
        )
        data = [
            {
                "rank": ln.rank,
                "agency": ln.agency.pk,
                "legal_name": ln.agency.legal_name,
                "country": ln.agency.country,
                "licence_status": ln.agency.licence_status(),
                "score": ln.score,
                "reason": ln.reason,
                "components": [
                    {"component": c.name, "points": c.points, "reason": c.reason} for c in ln.components
                ],
                "version": ln.version,
            }
            for ln in lines
        ]
        return Response(s.WorklistLineSerializer(data, many=True).data, status=status.HTTP_200_OK)

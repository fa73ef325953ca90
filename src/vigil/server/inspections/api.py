"""API of labour inspections (``/api/inspections/...``): workplaces, plans, visits (complete,
follow-up), observations, interviews (screened live; refer a presumed victim with consent),
findings, enforcement actions (verify), the risk-ranked worklist and counts for analysts.

``inspection.view`` reads, ``inspection.manage`` records, ``inspection.plan`` plans visits;
``inspection.stats`` reads counts only. Every read and write is audited; reading one interview
is recorded naming the identity fields read. No other role reaches worker-level data."""

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
from vigil.server.inspections import serializers as s
from vigil.server.inspections import services
from vigil.server.inspections.services import InspectionError

READ = {"list": "inspection.view", "retrieve": "inspection.view", "read": "inspection.view"}
MANAGE = {"create": "inspection.manage", "update": "inspection.manage", "partial_update": "inspection.manage"}


def _invalid(exc: InspectionError) -> exceptions.ValidationError:
    return exceptions.ValidationError({exc.field: [exc.message]})


def _visit(request: Any, pk: Any) -> Any:
    visit = scoping.visits_for(request.user).filter(pk=pk).first() if pk else None
    if visit is None:
        raise exceptions.ValidationError({"visit": ["No visit of your team with this id."]})
    return visit


class _Base(AuditedViewSet):
    capabilities: ClassVar[dict[str, str]] = {**READ, **MANAGE}
    http_method_names = ("get", "post", "patch", "head", "options")


class WorkplaceViewSet(
    _Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin
):
    """The workplace register of the inspectorate. Filters: ``region``, ``sector``, ``q``."""

    serializer_class = s.WorkplaceSerializer
    audit_type = "workplace"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.workplaces_for(self.request.user).prefetch_related("recruiters")
        p = self.request.query_params
        if p.get("region"):
            qs = qs.filter(region=p["region"].strip())
        if p.get("sector"):
            qs = qs.filter(sector__startswith=p["sector"].strip().upper())
        if p.get("q"):
            qs = qs.filter(name__icontains=p["q"].strip())
        return qs

    def perform_create(self, serializer: Any) -> None:
        if not self.request.user.organisation_id:
            raise exceptions.ValidationError({"organisation": ["Your account belongs to no inspectorate."]})
        obj = serializer.save(organisation_id=self.request.user.organisation_id)
        self.audit("create", obj, fields=changed_fields(serializer))

    def perform_update(self, serializer: Any) -> None:
        obj = serializer.save()
        self.audit("update", obj, fields=changed_fields(serializer))


class PlanViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Inspection plans; visits are added to a plan by creating them with ``plan``."""

    serializer_class = s.InspectionPlanSerializer
    audit_type = "inspection_plan"
    capabilities: ClassVar[dict[str, str]] = {**READ, "create": "inspection.plan"}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return scoping.inspection_plans_for(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        d = serializer.validated_data
        try:
            plan = services.create_plan(
                self.request.user,
                title=d["title"],
                region=d.get("region", ""),
                period_start=d["period_start"],
                period_end=d["period_end"],
            )
        except InspectionError as exc:
            raise _invalid(exc) from None
        serializer.instance = plan
        self.audit("create", plan, fields=changed_fields(serializer))


class VisitViewSet(
    _Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin
):
    """Visits: planned by a lead (``inspection.plan``), carried out by the team. ``complete/``
    classifies the visit; ``follow-up/`` schedules the visit that verifies what changed.
    Filters: ``plan``, ``workplace``, ``status``."""

    serializer_class = s.VisitSerializer
    audit_type = "visit"
    capabilities: ClassVar[dict[str, str]] = {
        **READ,
        **MANAGE,
        "create": "inspection.plan",
        "complete": "inspection.manage",
        "follow_up": "inspection.manage",
    }

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.visits_for(self.request.user).prefetch_related("inspectors")
        for name in ("plan", "workplace"):
            if (v := int_param(self.request, name)) is not None:
                qs = qs.filter(**{f"{name}_id": v})
        if self.request.query_params.get("status"):
            qs = qs.filter(status=self.request.query_params["status"])
        return qs

    def perform_create(self, serializer: Any) -> None:
        d = serializer.validated_data
        user = self.request.user
        if not scoping.workplaces_for(user).filter(pk=d["workplace"].pk).exists():
            raise exceptions.ValidationError({"workplace": ["No workplace of your register with this id."]})
        plan = d.get("plan")
        if plan is not None and not scoping.inspection_plans_for(user).filter(pk=plan.pk).exists():
            raise exceptions.ValidationError({"plan": ["No plan of your inspectorate with this id."]})
        try:
            visit = services.add_visit(
                user,
                d["workplace"],
                scheduled_on=d["scheduled_on"],
                inspectors=d.get("inspectors", []),
                plan=plan,
                joint_bodies=d.get("joint_bodies", []),
                announced=d.get("announced", False),
            )
        except InspectionError as exc:
            raise _invalid(exc) from None
        serializer.instance = visit
        self.audit("create", visit, fields=changed_fields(serializer))

    def perform_update(self, serializer: Any) -> None:
        d = serializer.validated_data
        user = self.request.user
        if "workplace" in d and not scoping.workplaces_for(user).filter(pk=d["workplace"].pk).exists():
            raise exceptions.ValidationError({"workplace": ["No workplace of your register with this id."]})
        if (
            d.get("plan") is not None
            and not scoping.inspection_plans_for(user).filter(pk=d["plan"].pk).exists()
        ):
            raise exceptions.ValidationError({"plan": ["No plan of your inspectorate with this id."]})
        if "inspectors" in serializer.validated_data:
            try:
                services._team_ok(self.request.user, serializer.validated_data["inspectors"])
            except InspectionError as exc:
                raise _invalid(exc) from None
        obj = serializer.save()
        self.audit("update", obj, fields=changed_fields(serializer))

    @extend_schema(request=s.VisitCompleteInput, responses=s.VisitSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Any, pk: str | None = None) -> Response:
        visit = self.get_object()
        body = s.VisitCompleteInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            visit = services.complete_visit(
                visit, request.user, carried_out_on=body.validated_data.get("carried_out_on")
            )
        except InspectionError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(visit).data)

    @extend_schema(request=s.VisitFollowUpInput, responses={201: s.VisitSerializer})
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request: Any, pk: str | None = None) -> Response:
        visit = self.get_object()
        body = s.VisitFollowUpInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            new = services.schedule_follow_up(
                visit, request.user, scheduled_on=body.validated_data["scheduled_on"]
            )
        except InspectionError as exc:
            raise _invalid(exc) from None
        self.audit("create", new, follows=visit.pk)
        return Response(self.get_serializer(new).data, status=status.HTTP_201_CREATED)


class ObservationViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """What was seen at a visit (locked doors, guards, documents retained...). Filter: ``visit``."""

    serializer_class = s.ObservationSerializer
    audit_type = "observation"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.observations_for(self.request.user)
        if (v := int_param(self.request, "visit")) is not None:
            qs = qs.filter(visit_id=v)
        return qs

    def perform_create(self, serializer: Any) -> None:
        d = serializer.validated_data
        visit = _visit(self.request, d["visit"].pk)
        try:
            obs = services.record_observation(
                visit,
                self.request.user,
                kind=d["kind"],
                present=d.get("present", True),
                note=d.get("note", ""),
            )
        except InspectionError as exc:
            raise _invalid(exc) from None
        serializer.instance = obs
        self.audit("create", obs, fields=changed_fields(serializer))


class InterviewViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Worker interviews, held in private and screened when saved (``ilo-11``, and the triage when
    the interview goes further): the determination, rule-set version, indicators fired and
    deciding rule are returned. Only the visit's team reads them. ``refer/``: a presumed victim,
    with consent, into case intake and a referral. Filter: ``visit``."""

    audit_type = "interview"
    capabilities: ClassVar[dict[str, str]] = {**READ, **MANAGE, "refer": "inspection.manage"}

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return s.InterviewListSerializer if self.action == "list" else s.InterviewSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.interviews_for(self.request.user)
        if (v := int_param(self.request, "visit")) is not None:
            qs = qs.filter(visit_id=v)
        return qs

    def audit_detail(self, obj: Any) -> dict[str, Any]:
        return {"fields": ["worker_name", "worker_contact", "notes", "answers", "facts"]}

    def perform_create(self, serializer: Any) -> None:
        d = serializer.validated_data
        visit = _visit(self.request, d["visit"].pk)
        try:
            itv = services.record_interview(
                visit,
                self.request.user,
                held_in_private=d["held_in_private"],
                answers=d.get("answers"),
                facts=d.get("facts"),
                age=d.get("age"),
                language=d.get("language", ""),
                interpreter=d.get("interpreter", False),
                worker_name=d.get("worker_name", ""),
                worker_contact=d.get("worker_contact", ""),
                notes=d.get("notes", ""),
                via="api",
                request=self.request,
            )
        except InspectionError as exc:
            raise _invalid(exc) from None
        serializer.instance = itv

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(self.get_serializer(serializer.instance).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.InterviewReferInput, responses=s.InterviewListSerializer)
    @action(detail=True, methods=["post"])
    def refer(self, request: Any, pk: str | None = None) -> Response:
        from vigil.server.referrals.models import ServiceProvider

        itv = self.get_object()
        body = s.InterviewReferInput(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        provider = ServiceProvider.objects.filter(pk=d["provider"], active=True).first()
        if provider is None:
            raise exceptions.ValidationError({"provider": ["No active service with this id."]})
        try:
            with transaction.atomic():
                services.refer_worker(
                    itv,
                    request.user,
                    provider=provider,
                    consent_given=d["consent_given"],
                    consent_method=d["consent_method"],
                    shared_fields=d.get("shared_fields") or ["given_name", "primary_language"],
                    reason=d.get("reason", ""),
                    via="api",
                    request=request,
                )
        except InspectionError as exc:
            raise _invalid(exc) from None
        itv.refresh_from_db()
        return Response(s.InterviewListSerializer(itv).data)


class FindingViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Findings, violations and forced-labour indicators kept apart (``kind``). A violation is
    recorded here (``visit``, ``category``); indicators and forced-labour findings come from the
    visit's observations and interviews when it is completed. Filters: ``workplace``, ``visit``, ``kind``."""

    serializer_class = s.InspectionFindingSerializer
    audit_type = "finding"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.inspection_findings_for(self.request.user)
        for name in ("workplace", "visit"):
            if (v := int_param(self.request, name)) is not None:
                qs = qs.filter(**{f"{name}_id": v})
        if self.request.query_params.get("kind"):
            qs = qs.filter(kind=self.request.query_params["kind"])
        return qs

    @extend_schema(request=s.ViolationInput, responses={201: s.InspectionFindingSerializer})
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        body = s.ViolationInput(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        visit = _visit(request, d["visit"])
        try:
            f = services.add_violation(
                visit, request.user, category=d["category"], description=d.get("description", "")
            )
        except InspectionError as exc:
            raise _invalid(exc) from None
        self.audit("create", f, fields=sorted(d))
        return Response(s.InspectionFindingSerializer(f).data, status=status.HTTP_201_CREATED)


class ActionViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Enforcement actions (notice, fine, suspension, referral to police or prosecutor) with
    deadlines; ``verify/`` records what a follow-up visit found. Filters: ``visit``, ``status``."""

    serializer_class = s.EnforcementActionSerializer
    audit_type = "enforcement_action"
    capabilities: ClassVar[dict[str, str]] = {**READ, **MANAGE, "verify": "inspection.manage"}

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = scoping.enforcement_actions_for(self.request.user)
        if (v := int_param(self.request, "visit")) is not None:
            qs = qs.filter(visit_id=v)
        if self.request.query_params.get("status"):
            qs = qs.filter(status=self.request.query_params["status"])
        return qs

    def perform_create(self, serializer: Any) -> None:
        d = serializer.validated_data
        visit = _visit(self.request, d["visit"].pk)
        try:
            act = services.add_action(
                visit,
                self.request.user,
                kind=d["kind"],
                description=d["description"],
                deadline=d.get("deadline"),
                amount=d.get("amount"),
                currency=d.get("currency", ""),
                finding=d.get("finding"),
            )
        except InspectionError as exc:
            raise _invalid(exc) from None
        serializer.instance = act
        self.audit("create", act, fields=changed_fields(serializer))

    @extend_schema(request=s.ActionVerifyInput, responses=s.EnforcementActionSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Any, pk: str | None = None) -> Response:
        act = self.get_object()
        body = s.ActionVerifyInput(data=request.data)
        body.is_valid(raise_exception=True)
        follow_up = _visit(request, body.validated_data["visit"])
        try:
            services.verify_action(act, follow_up, request.user, status=body.validated_data["status"])
        except InspectionError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(act).data)


class _Can(permissions.BasePermission):
    capability = ""

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.can(self.capability))


class CanInspect(_Can):
    capability = "inspection.view"


class CanCount(_Can):
    capability = "inspection.stats"


class WorklistView(APIView):
    """The risk-ranked inspection worklist (``vigil.inspections.planning``, weights in
    ``inspection-risk.yaml``), each line with its components and the heaviest as the reason.
    Parameters: ``region``, ``limit``."""

    permission_classes = (permissions.IsAuthenticated, CanInspect)

    @extend_schema(
        responses=s.InspectionWorklistLineSerializer(many=True),
        parameters=[
            OpenApiParameter("region", str, description="Only the workplaces of this region."),
            OpenApiParameter(
                "limit", int, description=f"The first N lines (at most and by default {MAX_PAGE_SIZE})."
            ),
        ],
    )
    def get(self, request: Any) -> Response:
        region = (request.query_params.get("region") or "").strip()[:64] or None
        lines = services.worklist(
            scoping.workplaces_for(request.user),
            region=region,
            limit=limit_param(request),
        )
        services.audit(
            "worklist", request.user, via="api", request=request, ids=[ln.workplace.pk for ln in lines]
        )
        data = [
            {
                "rank": ln.rank,
                "workplace": ln.workplace.pk,
                "name": ln.workplace.name,
                "sector": ln.workplace.sector,
                "region": ln.workplace.region,
                "score": round(ln.score, 1),
                "reason": ln.reason,
                "version": ln.version,
                "components": [
                    {"component": c.name, "points": round(c.points, 1), "reason": c.reason}
                    for c in ln.components
                ],
            }
            for ln in lines
        ]
        return Response(s.InspectionWorklistLineSerializer(data, many=True).data)


class StatisticsView(APIView):
    """Counts of completed visits by outcome (and sector), findings by kind and area, actions by
    kind and status: no workplace names, no worker-level data."""

    permission_classes = (permissions.IsAuthenticated, CanCount)

    @extend_schema(responses=s.InspectionStatisticsSerializer)
    def get(self, request: Any) -> Response:
        visits, findings, actions = scoping.inspection_stats_for(request.user)
        services.audit("statistics", request.user, via="api", request=request)
        return Response(s.InspectionStatisticsSerializer(services.statistics(visits, findings, actions)).data)

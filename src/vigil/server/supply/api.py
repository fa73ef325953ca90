"""API of the supply app (``/api/supply/...``): entities and links of the user's own chain,
imports (all or nothing), the duplicate review queue (merge, not the same, undo), audits with
findings screened by the rule sets, corrective plans with milestones, risk per entity with its
explanation, and the ranked remediation. ``supply.view`` to read, ``supply.manage`` to write;
a company sees only its own chain; every read and write is audited."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from vigil.errors import InputError
from vigil.server import scoping
from vigil.server.api.idempotency import IdempotentMixin
from vigil.server.api.pagination import MAX_PAGE_SIZE
from vigil.server.api.params import limit_param
from vigil.server.api.viewsets import AuditedViewSet, changed_fields
from vigil.server.supply import serializers as s
from vigil.server.supply import services
from vigil.server.supply.models import (
    PLAN_TEXT,
    CorrectivePlan,
    Entity,
    Link,
    MatchCandidate,
    Merge,
    Milestone,
    SupplyAudit,
)

READ = {"list": "supply.view", "retrieve": "supply.view", "read": "supply.view"}
WRITE = {
    "create": "supply.manage",
    "update": "supply.manage",
    "partial_update": "supply.manage",
    "merge": "supply.manage",
    "distinct": "supply.manage",
    "undo": "supply.manage",
    "findings": "supply.manage",
}


def organisation_of(user: Any) -> Any:
    if user.organisation_id is None:
        raise exceptions.PermissionDenied("a supply chain belongs to an organisation; this user has none")
    return user.organisation


class _Chain(AuditedViewSet):
    capabilities: ClassVar[dict[str, str]] = {**READ, **WRITE}
    http_method_names = ("get", "post", "patch", "head", "options")
    model: ClassVar[Any] = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return scoping.supply_for(self.request.user, self.model)

    def _own(self, pk: Any, model: Any = Entity) -> Any:
        """An object of the user's chain by id, as a validation error when it is not."""
        obj = scoping.supply_for(self.request.user, model).filter(pk=pk).first()
        if obj is None:
            raise exceptions.ValidationError({"id": [f"no such record in your supply chain: {pk}"]})
        return obj

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            obj = serializer.save()
        self.audit("update", obj, fields=changed_fields(serializer))


class EntityViewSet(
    _Chain, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin
):
    """Suppliers, facilities, recruiters and the company itself. Filters: ``kind``, ``q``."""

    serializer_class = s.EntitySerializer
    audit_type = "supply_entity"
    model = Entity

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = super().get_queryset()
        if self.request.query_params.get("kind"):
            qs = qs.filter(kind=self.request.query_params["kind"])
        if self.request.query_params.get("q"):
            qs = qs.filter(name__icontains=self.request.query_params["q"].strip())
        return qs

    def perform_create(self, serializer: Any) -> None:
        org = organisation_of(self.request.user)
        if Entity.objects.filter(organisation=org, ref=serializer.validated_data["ref"]).exists():
            raise exceptions.ValidationError({"ref": ["an entity of your chain already has this id"]})
        obj = serializer.save(organisation=org)
        self.audit("create", obj, fields=changed_fields(serializer))


class LinkViewSet(
    _Chain, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin
):
    """Links from an input provider to its buyer with the share of the buyer's input."""

    serializer_class = s.LinkSerializer
    audit_type = "supply_link"
    model = Link

    def _check(self, data: dict[str, Any], instance: Link | None = None) -> None:
        sup = data.get("supplier", instance.supplier if instance else None)
        buy = data.get("buyer", instance.buyer if instance else None)
        for ent in (sup, buy):
            self._own(getattr(ent, "pk", None))  # in the user's chain
        if sup == buy:
            raise exceptions.ValidationError({"supplier": ["an entity cannot supply itself"]})
        share = data.get("share", instance.share if instance else None)
        others = Link.objects.filter(buyer=buy, share__isnull=False).exclude(pk=getattr(instance, "pk", None))
        total = sum(x.share for x in others) + (share or 0.0)
        if total > 1 + 1e-9:
            raise exceptions.ValidationError(
                {"share": [f"the input shares of this buyer would sum to {total:.6g}, above 1"]}
            )

    def perform_create(self, serializer: Any) -> None:
        self._check(serializer.validated_data)
        try:
            with transaction.atomic():
                obj = serializer.save(organisation=organisation_of(self.request.user))
        except Exception as exc:  # the unique pair
            if "unique" in str(exc).lower():
                raise exceptions.ValidationError({"buyer": ["this link exists already"]}) from None
            raise
        self.audit("create", obj, fields=changed_fields(serializer))

    def perform_update(self, serializer: Any) -> None:
        self._check(serializer.validated_data, serializer.instance)
        super().perform_update(serializer)


class MatchViewSet(_Chain, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The review queue of likely duplicates. ``merge/`` (optionally ``keep``), ``distinct/``."""

    serializer_class = s.MatchCandidateSerializer
    audit_type = "supply_match"
    model = MatchCandidate

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = super().get_queryset()
        if self.request.query_params.get("status"):
            qs = qs.filter(status=self.request.query_params["status"])
        return qs

    @extend_schema(request=s.MergeInput, responses=s.MergeSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request: Any, pk: str | None = None) -> Response:
        cand = self.get_object()
        body = s.MergeInput(data=request.data)
        body.is_valid(raise_exception=True)
        keep = self._own(body.validated_data["keep"]) if "keep" in body.validated_data else None
        try:
            m = services.merge(cand, request.user, keep=keep)
        except services.SupplyError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        self.audit("merge", m.merged, into=m.kept.pk, merge=m.pk)
        return Response(s.MergeSerializer(m).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.MatchCandidateSerializer)
    @action(detail=True, methods=["post"])
    def distinct(self, request: Any, pk: str | None = None) -> Response:
        cand = self.get_object()
        try:
            services.mark_distinct(cand, request.user)
        except services.SupplyError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        self.audit("distinct", cand)
        return Response(s.MatchCandidateSerializer(cand).data)


class MergeViewSet(_Chain, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The history of merges; ``undo/`` separates the two entities again."""

    serializer_class = s.MergeSerializer
    audit_type = "supply_merge"
    model = Merge

    @extend_schema(request=None, responses=s.MergeSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request: Any, pk: str | None = None) -> Response:
        m = self.get_object()
        try:
            services.undo_merge(m, request.user)
        except services.SupplyError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        self.audit("undo", m)
        return Response(s.MergeSerializer(m).data)


class AuditViewSet(_Chain, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Audits; ``findings/`` adds one finding, screened when saved (interviews and observations
    with ``ilo-11``, fee evidence with ``fair-recruitment-2019``). The detail includes the
    auditors' notes (encrypted at rest), and its read is audited naming them."""

    audit_type = "supply_audit"
    model = SupplyAudit

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return s.AuditListSerializer if self.action == "list" else s.AuditSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return super().get_queryset().prefetch_related("findings")

    def audit_detail(self, obj: Any) -> dict[str, Any]:
        return {"fields": ["findings.note"]}

    def perform_create(self, serializer: Any) -> None:
        entity = self._own(serializer.validated_data["entity"].pk)
        obj = serializer.save(organisation=entity.organisation, recorded_by=self.request.user)
        self.audit("create", obj, fields=changed_fields(serializer))

    @extend_schema(request=s.FindingInput, responses={201: s.FindingSerializer})
    @action(detail=True, methods=["post"])
    def findings(self, request: Any, pk: str | None = None) -> Response:
        audit_obj = self.get_object()
        body = s.FindingInput(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        try:
            if v["kind"] == "fee":
                screened = services.screen_fee(
                    v["amount"], v["currency"], v["purpose"], v["payee"], v["channel"], v["note"]
                )
            else:
                screened = services.screen_interview(v["items"], v["note"])
        except services.SupplyError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        finding = services.add_finding(audit_obj, v["kind"], screened)
        self.audit("finding", audit_obj, finding=finding.pk, outcome=finding.outcome)
        return Response(s.FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class PlanInput(s.PlanSerializer):
    new_milestones = serializers.ListField(
        child=serializers.DictField(), required=False, write_only=True, help_text="[{title, owner, due}]"
    )

    class Meta(s.PlanSerializer.Meta):
        fields = (*s.PlanSerializer.Meta.fields, "new_milestones")


class PlanViewSet(
    _Chain, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin
):
    """Corrective action plans with milestones (owners, due dates). Disengaging needs why
    engaging failed and what happens to the workers."""

    serializer_class = PlanInput
    audit_type = "supply_plan"
    model = CorrectivePlan

    def audit_detail(self, obj: Any) -> dict[str, Any]:
        return {"fields": list(PLAN_TEXT)}

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        """The list shows the encrypted texts too: its audit entry names them."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self.audit(
            "list",
            ids=[o.pk for o in rows],
            query=sorted(request.query_params.keys()),
            fields=list(PLAN_TEXT),
        )
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def perform_create(self, serializer: Any) -> None:
        entity = self._own(serializer.validated_data["entity"].pk)
        ms = []
        for i, m in enumerate(serializer.validated_data.get("new_milestones", [])):
            if not (m.get("title") and m.get("owner") and m.get("due")):
                raise exceptions.ValidationError(
                    {"new_milestones": [f"milestone {i + 1}: title, owner and due are required"]}
                )
            try:
                due = date.fromisoformat(str(m["due"]))
            except ValueError:
                raise exceptions.ValidationError(
                    {"new_milestones": [f"milestone {i + 1}: due is not an ISO date"]}
                ) from None
            ms.append((str(m["title"])[:200], str(m["owner"])[:120], due))
        v = serializer.validated_data
        try:
            plan = services.open_plan(
                entity,
                self.request.user,
                title=v["title"],
                action=v.get("action", "engage"),
                why_engaging_failed=v.get("why_engaging_failed", ""),
                plan_for_workers=v.get("plan_for_workers", ""),
                milestones=ms,
            )
        except services.SupplyError as exc:
            raise exceptions.ValidationError({exc.field: [exc.message]}) from None
        serializer.instance = plan
        self.audit("create", plan, fields=changed_fields(serializer))


class MilestoneViewSet(_Chain, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin):
    """Milestones of the plans; mark one done with ``done_on``."""

    serializer_class = s.MilestoneSerializer
    audit_type = "supply_milestone"
    model = Milestone

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return scoping.supply_for(self.request.user, Milestone, "plan__organisation")

    def perform_update(self, serializer: Any) -> None:
        if (
            "plan" in serializer.validated_data
            and serializer.validated_data["plan"] != serializer.instance.plan
        ):
            raise exceptions.ValidationError({"plan": ["a milestone stays in its plan"]})
        super().perform_update(serializer)


class CanView(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.can(view.needs))


class _ChainView(APIView):
    permission_classes = (permissions.IsAuthenticated, CanView)
    needs = "supply.view"


class ImportView(IdempotentMixin, _ChainView):
    """Import a nodes file and a links file (CSV or XLSX), all or nothing: a problem is one
    message naming the file, row and column, and nothing is stored."""

    needs = "supply.manage"
    parser_classes = (MultiPartParser,)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "nodes": {"type": "string", "format": "binary"},
                    "edges": {"type": "string", "format": "binary"},
                },
                "required": ["nodes"],
            }
        },
        responses=s.ImportResultSerializer,
    )
    def post(self, request: Any) -> Response:
        org = organisation_of(request.user)
        if "nodes" not in request.FILES:
            raise exceptions.ValidationError({"nodes": ["a nodes file is required"]})
        try:
            res = services.import_files(org, request.FILES["nodes"], request.FILES.get("edges"))
        except InputError as exc:
            raise exceptions.ValidationError({"file": [str(exc)]}) from None
        services.audit(
            "import",
            request.user,
            object_type="supply_entity",
            via="api",
            request=request,
            created=res.created,
            updated=res.updated,
            links=res.links,
        )
        return Response(s.ImportResultSerializer(res.__dict__).data, status=status.HTTP_201_CREATED)


def _org_for_read(request: Any) -> Any:
    org = request.user.organisation
    if org is None:
        raise exceptions.PermissionDenied("a supply chain belongs to an organisation; this user has none")
    return org


class RiskView(_ChainView):
    """Risk of every entity of the chain: own risk (inherent prior raised by findings), worst-path
    risk R with its path, exposure E, and the sources behind R."""

    @extend_schema(
        responses=s.RiskLineSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "limit",
                int,
                description=f"The N riskiest entities (at most and by default {MAX_PAGE_SIZE})."
            )
        ],
    )
    def get(self, request: Any) -> Response:
        limit = limit_param(request)
        cr = services.chain_risk(_org_for_read(request))
        rows = []
        ranked = sorted(cr.risks.items(), key=lambda kv: (-kv[1].risk, -kv[1].exposure, str(kv[0])))
        for key, r in ranked[:limit]:
            e = cr.entities[key]
            rows.append(
                {
                    "entity": e.pk,
                    "ref": e.ref,
                    "name": e.name,
                    "kind": e.kind,
                    "prior": r.prior,
                    "risk": round(r.risk, 6),
                    "exposure": round(r.exposure, 6),
                    "path": [cr.entities[p].ref if p in cr.entities else p for p in r.path],
                    "sources": list(r.sources),
                }
            )
        services.audit(
            "risk",
            request.user,
            object_type="supply_entity",
            via="api",
            request=request,
            ids=[x["entity"] for x in rows],
        )
        return Response(s.RiskLineSerializer(rows, many=True).data)


class RemediationView(_ChainView):
    """Suppliers and recruiters ranked by risk x leverage x severity x recency, each with the
    reason and a recommended action."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "limit", int, description=f"The first N lines (at most and by default {MAX_PAGE_SIZE})."
            )
        ],
        responses=s.RemediationLineSerializer(many=True),
    )
    def get(self, request: Any) -> Response:
        limit = limit_param(request)
        cr, lines = services.remediation(_org_for_read(request))
        lines = lines[:limit]
        rows = [
            {
                "rank": ln.rank,
                "entity": int(ln.id),
                "name": ln.name,
                "kind": ln.kind,
                "score": ln.score,
                "risk": round(ln.risk, 6),
                "leverage": round(ln.leverage, 6),
                "severity": ln.severity,
                "recency": round(ln.recency, 6),
                "action": ln.action,
                "reason": ln.reason,
                "path": [cr.entities[p].ref if p in cr.entities else p for p in ln.path],
                "sources": list(ln.sources),
            }
            for ln in lines
        ]
        services.audit(
            "remediation",
            request.user,
            object_type="supply_entity",
            via="api",
            request=request,
            ids=[x["entity"] for x in rows],
        )
        return Response(s.RemediationLineSerializer(rows, many=True).data)


def entity_or_404(request: Any, pk: int) -> Entity:
    return get_object_or_404(scoping.supply_for(request.user, Entity), pk=pk)

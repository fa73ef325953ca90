"""Pages of the supply app (``/supply/...``), for a company's compliance officer
(``supply.view``; changes ``supply.manage``): the chain with its graph picture and the risk of
every entity, the import, the review of likely duplicates (merge, not the same, undo), one
entity with its explanation, audits and findings, the ranked remediation, and corrective plans
with milestones. A user sees only their own organisation's chain; every page is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from vigil.errors import InputError
from vigil.server import scoping
from vigil.server.supply import services
from vigil.server.supply.forms import AuditForm, FindingForm, ImportForm, MilestoneForm, PlanForm
from vigil.server.supply.models import (
    CorrectivePlan,
    Entity,
    MatchCandidate,
    Merge,
    Milestone,
    SupplyAudit,
)
from vigil.server.supply.report_words import report_words
from vigil.server.web.access import PermissionDeniedPage, audit_page, page_view, require_capability
from vigil.supply.network import tiers


def _org(request: HttpRequest) -> Any:
    org = request.user.organisation  # type: ignore[union-attr]
    if org is None:
        raise PermissionDeniedPage
    return org


def _labels() -> dict[str, str]:
    return {
        "tier": _("Tier {n}"),
        "company": _("Company"),
        "unlinked": _("Not linked"),
        "risk": _("risk"),
        "title": _("Supply graph: tiers as columns, worst-path risk as colour"),
    }


@page_view
def chain(request: HttpRequest) -> HttpResponse:
    require_capability(request, "supply.view")
    cr = services.chain_risk(_org(request))
    tier = tiers(cr.net)
    href = {k: reverse("supply:entity", args=[int(k)]) for k in cr.entities}
    picture = mark_safe(services.graph_svg(cr, _labels(), href))
    rows = sorted(
        (
            {
                "e": cr.entities[k],
                "r": r,
                "tier": tier[k],
                "path": [cr.entities[p].name if p in cr.entities else p for p in r.path],
            }
            for k, r in cr.risks.items()
        ),
        key=lambda x: (x["tier"] if x["tier"] is not None else 99, -x["r"].risk, x["e"].name),
    )
    audit_page(request, "view", None, page="supply-chain", ids=[x["e"].pk for x in rows])
    pending = (
        scoping.supply_for(request.user, MatchCandidate).filter(status=MatchCandidate.Status.PENDING).count()
    )
    return render(request, "supply/chain.html", {"rows": rows, "picture": picture, "pending": pending})


@page_view
def import_page(request: HttpRequest) -> HttpResponse:
    require_capability(request, "supply.manage")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            res = services.import_files(
                _org(request), form.cleaned_data["nodes"], form.cleaned_data.get("edges")
            )
        except InputError as exc:
            form.add_error(None, str(exc))
        else:
            services.audit(
                "import",
                request.user,
                object_type="supply_entity",
                request=request,
                created=res.created,
                updated=res.updated,
                links=res.links,
            )
            messages.success(
                request,
                _(
                    "Imported: %(created)d new, %(updated)d updated, %(links)d links, "
                    "%(candidates)d possible duplicates to review."
                )
                % res.__dict__,
            )
            return redirect("supply:matches")
    return render(request, "supply/import.html", {"form": form})


@page_view
def matches(request: HttpRequest) -> HttpResponse:
    require_capability(request, "supply.view")
    cands = scoping.supply_for(request.user, MatchCandidate).select_related("a", "b")
    if request.method == "POST":
        require_capability(request, "supply.manage")
        try:
            if request.POST.get("undo"):
                m = get_object_or_404(scoping.supply_for(request.user, Merge), pk=request.POST["undo"])
                services.undo_merge(m, request.user)
                audit_page(request, "undo", m)
                messages.success(request, _("Merge undone: the two are separate again."))
            else:
                cand = get_object_or_404(cands, pk=request.POST.get("candidate") or 0)
                if request.POST.get("decision") == "merge":
                    keep = cand.b if request.POST.get("keep") == "b" else cand.a
                    m = services.merge(cand, request.user, keep=keep)
                    audit_page(request, "merge", m.merged, into=m.kept.pk, merge=m.pk)
                    messages.success(request, _("Merged into %(name)s.") % {"name": m.kept.name})
                else:
                    services.mark_distinct(cand, request.user)
                    audit_page(request, "distinct", cand)
                    messages.success(request, _("Kept apart."))
        except services.SupplyError as exc:
            messages.error(request, exc.message)
        return redirect("supply:matches")
    pending = [c for c in cands if c.status == MatchCandidate.Status.PENDING]
    history = scoping.supply_for(request.user, Merge).select_related("kept", "merged", "by", "undone_by")
    audit_page(request, "list", None, page="supply-matches", ids=[c.pk for c in pending])
    return render(
        request,
        "supply/matches.html",
        {"pending": pending, "history": history, "may_manage": request.user.can("supply.manage")},
    )  # type: ignore[union-attr]


@page_view
def entity(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "supply.view")
    ent = get_object_or_404(scoping.supply_for(request.user, Entity), pk=pk)
    may = request.user.can("supply.manage")  # type: ignore[union-attr]
    audit_form = AuditForm(request.POST if request.POST.get("form") == "audit" else None, prefix="audit")
    finding_form = FindingForm(
        request.POST if request.POST.get("form") == "finding" else None, prefix="finding"
    )
    plan_form = PlanForm(request.POST if request.POST.get("form") == "plan" else None, prefix="plan")
    if request.method == "POST":
        require_capability(request, "supply.manage")
        which = request.POST.get("form")
        if which == "audit" and audit_form.is_valid():
            a = audit_form.save(commit=False)
            a.organisation, a.entity, a.recorded_by = ent.organisation, ent, request.user
            a.save()
            audit_page(request, "create", a)
            messages.success(request, _("Audit recorded. Add its findings below."))
            return redirect("supply:entity", pk=ent.pk)
        if which == "finding" and finding_form.is_valid():
            v = finding_form.cleaned_data
            target = get_object_or_404(SupplyAudit, pk=v["audit"], entity=ent)
            try:
                screened = (
                    services.screen_fee(v["amount"], v["currency"], v["purpose"], note=v["note"])
                    if v["kind"] == "fee"
                    else services.screen_interview(v["items"], v["note"])
                )
            except services.SupplyError as exc:
                finding_form.add_error(None, exc.message)
            else:
                f = services.add_finding(target, v["kind"], screened)
                audit_page(request, "finding", target, finding=f.pk, outcome=f.outcome)
                messages.success(request, _("Finding recorded: %(label)s") % {"label": f.label})
                return redirect("supply:entity", pk=ent.pk)
        if which == "plan" and plan_form.is_valid():
            v = plan_form.cleaned_data
            try:
                plan = services.open_plan(
                    ent,
                    request.user,
                    title=v["title"],
                    action=v["action"],
                    why_engaging_failed=v["why_engaging_failed"],
                    plan_for_workers=v["plan_for_workers"],
                )
            except services.SupplyError as exc:
                plan_form.add_error(exc.field if exc.field in plan_form.fields else None, exc.message)
            else:
                audit_page(request, "create", plan)
                messages.success(request, _("Corrective plan opened. Add its milestones."))
                return redirect("supply:plan", pk=plan.pk)
    if ent.merged_into_id is not None:
        return redirect("supply:entity", pk=ent.root().pk)
    cr = services.chain_risk(ent.organisation)
    risk = cr.risks.get(str(ent.pk))
    path = [cr.entities.get(p, p) for p in (risk.path if risk else ())]
    audits = ent.audits.prefetch_related("findings")
    audit_page(request, "view", ent, fields=["findings.note"])
    return render(
        request,
        "supply/entity.html",
        {
            "entity": ent,
            "risk": risk,
            "prior": cr.priors.get(str(ent.pk)),
            "path": path,
            "audits": audits,
            "plans": ent.plans.prefetch_related("milestones"),
            "may_manage": may,
            "audit_form": audit_form,
            "finding_form": finding_form,
            "plan_form": plan_form,
            "aliases": ent.merged.all(),
        },
    )


@page_view
def remediation(request: HttpRequest) -> HttpResponse:
    require_capability(request, "supply.view")
    cr, lines = services.remediation(_org(request))
    rows = [
        {
            "ln": ln,
            "entity": cr.entities[ln.id],
            "path": [cr.entities[p].name if p in cr.entities else p for p in ln.path],
        }
        for ln in lines
    ]
    audit_page(request, "list", None, page="supply-remediation", ids=[int(ln.id) for ln in lines])
    return render(request, "supply/remediation.html", {"rows": rows})


@page_view
def plans(request: HttpRequest) -> HttpResponse:
    require_capability(request, "supply.view")
    qs = (
        scoping.supply_for(request.user, CorrectivePlan)
        .select_related("entity")
        .prefetch_related("milestones")
    )
    today = timezone.localdate()
    overdue = services.overdue_milestones(qs, today)
    audit_page(request, "list", None, page="supply-plans", ids=[p.pk for p in qs])
    return render(request, "supply/plans.html", {"plans": qs, "overdue": overdue, "today": today})


@page_view
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "supply.view")
    p = get_object_or_404(scoping.supply_for(request.user, CorrectivePlan).select_related("entity"), pk=pk)
    form = MilestoneForm(request.POST if request.POST.get("form") == "milestone" else None)
    if request.method == "POST":
        require_capability(request, "supply.manage")
        which = request.POST.get("form")
        if which == "milestone" and form.is_valid():
            m = form.save(commit=False)
            m.plan = p
            m.save()
            audit_page(request, "create", m)
            return redirect("supply:plan", pk=p.pk)
        if which == "done":
            m = get_object_or_404(Milestone, pk=request.POST.get("milestone") or 0, plan=p)
            m.done_on = timezone.localdate()
            m.save(update_fields=["done_on"])
            audit_page(request, "update", m, fields=["done_on"])
            return redirect("supply:plan", pk=p.pk)
        if which == "status" and request.POST.get("status") in CorrectivePlan.Status.values:
            p.status = request.POST["status"]
            p.save(update_fields=["status"])
            audit_page(request, "update", p, fields=["status"])
            return redirect("supply:plan", pk=p.pk)
    audit_page(request, "view", p)
    return render(
        request,
        "supply/plan.html",
        {
            "plan": p,
            "milestones": p.milestones.all(),
            "form": form,
            "today": timezone.localdate(),
            "may_manage": request.user.can("supply.manage"),  # type: ignore[union-attr]
            "statuses": CorrectivePlan.Status.choices,
        },
    )


def _report_data(request: HttpRequest) -> tuple[Any, ...]:
    from vigil.supply.report import PlanRow

    org = _org(request)
    cr, lines = services.remediation(org)
    plans = [
        PlanRow(
            p.entity.name,
            p.title,
            p.get_action_display(),
            p.get_status_display(),
            tuple(
                (m.title, m.owner, m.due.isoformat(), m.done_on.isoformat() if m.done_on else "")
                for m in p.milestones.all()
            ),
        )
        for p in scoping.supply_for(request.user, CorrectivePlan)
        .select_related("entity")
        .prefetch_related("milestones")
    ]
    title = _("Supply-chain due diligence report: %(org)s") % {"org": org.name}
    return title, cr, lines, plans, timezone.now().strftime("%Y-%m-%d %H:%M %Z")


@page_view
def report(request: HttpRequest, fmt: str) -> HttpResponse:
    """The report to hand over, as one HTML page or an XLSX workbook."""
    require_capability(request, "supply.view")
    if fmt not in ("html", "xlsx"):
        raise Http404
    from vigil.supply import report as rep

    title, cr, lines, plans, when = _report_data(request)
    words = report_words()
    audit_page(request, "export", None, page="supply-report", format=fmt, ids=[int(k) for k in cr.entities])
    if fmt == "xlsx":
        resp = HttpResponse(
            rep.xlsx(title, cr.net, cr.risks, lines, plans, when, words, rtl=translation.get_language_bidi()),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = 'attachment; filename="supply-report.xlsx"'
        return resp
    resp = HttpResponse(
        rep.html(title, cr.net, cr.risks, lines, plans, when, words, lang=translation.get_language() or "en",
                 rtl=translation.get_language_bidi()),
        content_type="text/html; charset=utf-8",
    )
    resp["Content-Disposition"] = 'attachment; filename="supply-report.html"'
    return resp

"""Pages of labour inspections: small server-rendered pages that work on a tablet and a poor
connection. The worklist and plans (``inspection.view``; planning ``inspection.plan``), a visit
(observations, interviews, violations, completion, enforcement, follow-up; ``inspection.manage``),
an interview (its determination; the referral of a presumed victim with consent), the workplace
register, and counts for analysts (``inspection.stats``). Every read is audited; an interview's
read names the identity fields shown."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.inspections import planning
from vigil.inspections.findings import OBSERVATIONS
from vigil.rules import explain_text
from vigil.server import scoping
from vigil.server.accounts.models import User
from vigil.server.inspections import forms as f
from vigil.server.inspections import services
from vigil.server.inspections.models import EnforcementAction, Interview, Visit
from vigil.server.web.access import audit_page, page_view, require_capability

CATEGORY_WORDS = {
    "trafficking": gettext_lazy("Presumed victim of trafficking"),
    "forced_labour": gettext_lazy("Presumed victim of forced labour"),
    "child_labour_worst_form": gettext_lazy("Child in a worst form of child labour"),
    "forced_labour_indicators": gettext_lazy("Indicators of forced labour: a full interview is needed"),
    "needs_further_assessment": gettext_lazy("Needs further assessment"),
    "child_labour": gettext_lazy("Child labour"),
    "labour_violation": gettext_lazy("Labour-law violation, no forced labour"),
    "none": gettext_lazy("No indicator"),
}


def _form_error(form: Any, exc: services.InspectionError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _inspectors(user: Any) -> Any:
    return User.objects.filter(
        organisation=user.organisation_id, role__in=("inspector", "inspection_lead"), is_active=True
    ).order_by("username")


@page_view
def worklist(request: HttpRequest) -> HttpResponse:
    require_capability(request, "inspection.view")
    region = (request.GET.get("region") or "").strip()[:64]
    lines = services.worklist(scoping.workplaces_for(request.user), region=region or None, limit=100)
    audit_page(request, "worklist", None, ids=[ln.workplace.pk for ln in lines])
    return render(
        request,
        "inspections/worklist.html",
        {
            "lines": lines,
            "region": region,
            "can_plan": request.user.can("inspection.plan"),  # type: ignore[union-attr]
        },
    )


@page_view
def plan_list(request: HttpRequest) -> HttpResponse:
    require_capability(request, "inspection.view")
    form = f.PlanForm(request.POST or None) if request.user.can("inspection.plan") else None  # type: ignore[union-attr]
    if request.method == "POST":
        require_capability(request, "inspection.plan")
        if form is not None and form.is_valid():
            d = form.cleaned_data
            try:
                plan = services.create_plan(
                    request.user,
                    title=d["title"],
                    region=d["region"] or "",
                    period_start=d["period_start"],
                    period_end=d["period_end"],
                )
            except services.InspectionError as exc:
                _form_error(form, exc)
            else:
                audit_page(request, "create", plan)
                messages.success(request, _("Plan created."))
                return redirect("inspections:plan-detail", pk=plan.pk)
    plans = scoping.inspection_plans_for(request.user)
    audit_page(request, "list", None, ids=[p.pk for p in plans[:50]])
    return render(request, "inspections/plan_list.html", {"plans": plans[:50], "form": form})


@page_view
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "inspection.view")
    plan = get_object_or_404(scoping.inspection_plans_for(request.user), pk=pk)
    visits = scoping.visits_for(request.user).filter(plan=plan).select_related("workplace", "lead")
    audit_page(request, "view", plan)
    return render(request, "inspections/plan_detail.html", {"plan": plan, "visits": visits})


@page_view
def plan_visit(request: HttpRequest, workplace: int) -> HttpResponse:
    """The lead plans a visit to a workplace of the worklist: date, team, joint bodies."""
    require_capability(request, "inspection.plan")
    wp = get_object_or_404(scoping.workplaces_for(request.user), pk=workplace)
    form = f.VisitForm(
        request.POST or None,
        plans=scoping.inspection_plans_for(request.user),
        inspectors=_inspectors(request.user),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            visit = services.add_visit(
                request.user,
                wp,
                scheduled_on=d["scheduled_on"],
                inspectors=list(d["inspectors"]),
                plan=d["plan"],
                joint_bodies=d["joint_bodies"],
                announced=d["announced"],
            )
        except services.InspectionError as exc:
            _form_error(form, exc)
        else:
            audit_page(request, "create", visit)
            _note_alert(request, visit)
            messages.success(request, _("Visit planned."))
            return redirect("inspections:visit-detail", pk=visit.pk)
    line = next(iter(services.worklist(scoping.workplaces_for(request.user).filter(pk=wp.pk))), None)
    alert = (request.POST.get("alert") or request.GET.get("alert") or "").strip()[:12]
    return render(
        request,
        "inspections/plan_visit.html",
        {"workplace": wp, "form": form, "line": line, "alert": alert if alert.isdigit() else ""},
    )


def _note_alert(request: HttpRequest, visit: Visit) -> None:
    """A visit planned from an early-warning alert (``alert`` in the form) is noted on it."""
    from django.apps import apps

    alert = (request.POST.get("alert") or "").strip()
    if alert.isdigit() and apps.is_installed("vigil.server.national"):
        from vigil.server.national import services as national

        national.note_action(request.user, alert, "visit", visit)


def _visit_or_404(request: HttpRequest, pk: int) -> Visit:
    return get_object_or_404(
        scoping.visits_for(request.user).select_related("workplace", "lead", "plan", "follows"), pk=pk
    )


@page_view
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "inspection.view")
    visit = _visit_or_404(request, pk)
    can_manage = request.user.can("inspection.manage")  # type: ignore[union-attr]
    seen = {o.kind for o in visit.observations.all() if o.present}
    obs_form = f.ObservationsForm(
        request.POST if request.POST.get("form") == "observations" else None, seen=seen
    )
    viol_form = f.ViolationForm(request.POST if request.POST.get("form") == "violation" else None)
    action_form = f.ActionForm(request.POST if request.POST.get("form") == "action" else None)
    follow_form = f.FollowUpForm(request.POST if request.POST.get("form") == "follow_up" else None)
    verify_form = f.VerifyForm(request.POST if request.POST.get("form") == "verify" else None)
    if request.method == "POST":
        require_capability(request, "inspection.manage")
        which = request.POST.get("form")
        try:
            with transaction.atomic():
                if which == "observations" and obs_form.is_valid():
                    for key in obs_form.fields:
                        services.record_observation(
                            visit, request.user, kind=key, present=bool(obs_form.cleaned_data[key])
                        )
                    audit_page(request, "update", visit, fields=["observations"])
                    messages.success(request, _("Observations saved."))
                    return redirect("inspections:visit-detail", pk=visit.pk)
                if which == "violation" and viol_form.is_valid():
                    finding = services.add_violation(visit, request.user, **viol_form.cleaned_data)
                    audit_page(request, "create", finding)
                    messages.success(request, _("Violation recorded."))
                    return redirect("inspections:visit-detail", pk=visit.pk)
                if which == "complete":
                    services.complete_visit(visit, request.user)
                    messages.success(request, _("Visit completed."))
                    return redirect("inspections:visit-detail", pk=visit.pk)
                if which == "action" and action_form.is_valid():
                    act = services.add_action(visit, request.user, **action_form.cleaned_data)
                    audit_page(request, "create", act)
                    messages.success(request, _("Enforcement action recorded."))
                    return redirect("inspections:visit-detail", pk=visit.pk)
                if which == "follow_up" and follow_form.is_valid():
                    new = services.schedule_follow_up(visit, request.user, **follow_form.cleaned_data)
                    audit_page(request, "create", new, follows=visit.pk)
                    messages.success(request, _("Follow-up visit scheduled."))
                    return redirect("inspections:visit-detail", pk=new.pk)
                if which == "verify" and verify_form.is_valid():
                    act = get_object_or_404(
                        scoping.enforcement_actions_for(request.user), pk=verify_form.cleaned_data["action"]
                    )
                    services.verify_action(
                        act, visit, request.user, status=verify_form.cleaned_data["status"]
                    )
                    messages.success(request, _("Action verified."))
                    return redirect("inspections:visit-detail", pk=visit.pk)
        except services.InspectionError as exc:
            form = {"violation": viol_form, "action": action_form, "follow_up": follow_form}.get(which or "")
            if form is not None:
                _form_error(form, exc)
            else:
                messages.error(request, exc.message)
    interviews = list(scoping.interviews_for(request.user).filter(visit=visit))
    to_verify: list[EnforcementAction] = []
    if visit.follows_id:
        to_verify = list(
            scoping.enforcement_actions_for(request.user).filter(
                visit__workplace=visit.workplace_id, status=EnforcementAction.Status.OPEN
            )
        )
    audit_page(request, "view", visit, interviews=[i.pk for i in interviews])
    return render(
        request,
        "inspections/visit_detail.html",
        {
            "visit": visit,
            "can_manage": can_manage,
            "obs_form": obs_form,
            "viol_form": viol_form,
            "action_form": action_form,
            "follow_form": follow_form,
            "interviews": interviews,
            "words": CATEGORY_WORDS,
            "findings": visit.findings.all(),
            "actions": visit.actions.all(),
            "to_verify": to_verify,
            "inspectors": visit.inspectors.all(),
            "observations": [
                (f.OBSERVATION_LABELS.get(o.kind, OBSERVATIONS[o.kind].label), o.present)
                for o in visit.observations.all()
            ],
        },
    )


@page_view
def interview_new(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "inspection.manage")
    visit = _visit_or_404(request, pk)
    form = f.InterviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            itv = services.record_interview(
                visit,
                request.user,
                held_in_private=d["held_in_private"],
                answers=form.answers(),
                age=d.get("age"),
                language=d.get("language") or "",
                interpreter=bool(d.get("interpreter")),
                worker_name=d.get("worker_name") or "",
                worker_contact=d.get("worker_contact") or "",
                notes=d.get("notes") or "",
                via="web",
                request=request,
            )
        except services.InspectionError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Interview saved and screened."))
            return redirect("inspections:interview-detail", pk=itv.pk)
    return render(request, "inspections/interview_form.html", {"visit": visit, "form": form})


@page_view
def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "inspection.view")
    itv = get_object_or_404(
        scoping.interviews_for(request.user).select_related("visit__workplace", "case"), pk=pk
    )
    from vigil.server.referrals.models import ServiceProvider

    can_refer = request.user.can("referral.create") and itv.case_id is None  # type: ignore[union-attr]
    form = (
        f.ReferForm(request.POST or None, providers=ServiceProvider.objects.filter(active=True))
        if can_refer
        else None
    )
    if request.method == "POST":
        require_capability(request, "referral.create")
        if form is not None and form.is_valid():
            d = form.cleaned_data
            try:
                services.refer_worker(
                    itv,
                    request.user,
                    provider=d["provider"],
                    consent_given=d["consent_given"],
                    consent_method=d["consent_method"],
                    reason=d["reason"],
                    via="web",
                    request=request,
                )
            except services.InspectionError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Referred: a case was opened and the referral sent."))
                return redirect("inspections:interview-detail", pk=itv.pk)
    audit_page(request, "view", itv, fields=list(Interview.IDENTITY_FIELDS))
    return render(
        request,
        "inspections/interview_detail.html",
        {
            "itv": itv,
            "word": CATEGORY_WORDS.get(itv.category, itv.category),
            # the stored tree rendered in the user's language (older interviews: the stored text)
            "why_text": explain_text.decided_by(
                {**(itv.determination or {}), "decided_by": itv.decided_by, "ruleset": itv.ruleset},
                translation.get_language(),
            ),
            "form": form,
            "answers": sorted(itv.answers.items()),
        },
    )


@page_view
def workplace_list(request: HttpRequest) -> HttpResponse:
    require_capability(request, "inspection.view")
    qs = scoping.workplaces_for(request.user)
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(name__icontains=q)
    sector = (request.GET.get("sector") or "").strip().upper()[:1]
    if sector:
        in_section = Q(sector=sector)
        for division in planning.section_divisions(sector):
            in_section |= Q(sector__startswith=division)
        qs = qs.filter(in_section)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    audit_page(request, "list", None, ids=[w.pk for w in page.object_list])
    return render(request, "inspections/workplace_list.html", {"page": page, "q": q, "sector": sector})


@page_view
def workplace_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "inspection.view")
    wp = get_object_or_404(scoping.workplaces_for(request.user).prefetch_related("recruiters"), pk=pk)
    line = next(iter(services.worklist(scoping.workplaces_for(request.user).filter(pk=wp.pk))), None)
    audit_page(request, "view", wp, fields=["address"])
    return render(
        request,
        "inspections/workplace_detail.html",
        {
            "wp": wp,
            "line": line,
            "visits": scoping.visits_for(request.user).filter(workplace=wp),
            "findings": wp.findings.all()[:100],
            "recruiters": wp.recruiters.all(),
        },
    )


@page_view
def statistics(request: HttpRequest) -> HttpResponse:
    require_capability(request, "inspection.stats")
    visits, findings, actions = scoping.inspection_stats_for(request.user)
    audit_page(request, "statistics", None)
    return render(
        request, "inspections/statistics.html", {"stats": services.statistics(visits, findings, actions)}
    )


@page_view
def visit_form(request: HttpRequest) -> HttpResponse:
    """The visit questionnaire as an XLSForm (``?lang=en,fr``; default: the page's language),
    the same questions and words as the visit page."""
    from django.utils import translation

    from vigil.errors import InputError
    from vigil.forms import parse_languages
    from vigil.server.inspections.questionnaire import visit_form as build

    require_capability(request, "inspection.view")
    try:
        langs = parse_languages(request.GET.get("lang") or translation.get_language() or "en")
        form = build(langs)
    except InputError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    audit_page(request, "export", None, form=form.settings["form_id"], languages=langs)
    resp = HttpResponse(
        form.to_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="{form.settings["form_id"]}.xlsx"'
    return resp

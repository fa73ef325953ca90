"""Pages of cases: list, intake, the case page, the person, stages, consent and screening.
Records come only from ``vigil.server.scoping``; every page that shows or changes a person or case
writes an audit entry."""

from __future__ import annotations

import math
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vigil.rules import i18n as rule_i18n
from vigil.rules.records import fact_specs
from vigil.server import scoping
from vigil.server.api.params import parse_id
from vigil.server.audit.log import record, record_each
from vigil.server.cases import consents, screening
from vigil.server.cases.forms import (
    CaseForm,
    ConsentForm,
    IntakeStageForm,
    PersonForm,
    SearchForm,
    StageForm,
    region_choices,
)
from vigil.server.cases.models import Case, Consent, Person, Screening, StaleEdit, region_error
from vigil.server.followups.forms import FollowUpForm
from vigil.server.followups.models import FollowUp
from vigil.server.referrals import services as referral_services
from vigil.server.referrals.models import DEFAULT_SHARED, SHAREABLE, Referral
from vigil.server.web.access import PermissionDeniedPage, audit_page, page_view, require_capability
from vigil.server.web.blank_forms import BlankForm
from vigil.server.web.versioning import STALE, changed_fields, fresh_form, refuse_stale, save_form

PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]+")


def search_cases(cases: Any, q: str) -> tuple[Any, list[str]]:
    """The cases of ``cases`` (already scoped) whose reference is ``q``, or whose person's
    document number or phone number is exactly ``q`` (through their blind indexes: the query is
    hashed with the same key, the stored values are never decrypted to compare). A phone is tried
    only when ``q`` looks like one (digits and separators, at least six digits), so that a
    reference or a document number never matches a phone by its digits alone. Returns the
    filtered queryset and the kinds of match tried (for the audit entry, never the value)."""
    q = q.strip()
    tried = ["reference", "document_number"]
    match = Q(reference=q.upper()) | Q(person__document_index=Person.index_document(q))
    if PHONE_LIKE.fullmatch(q) and sum(ch.isdigit() for ch in q) >= 6:
        match |= Q(person__phone_index=Person.index_phone(q))
        tried.append("phone")
    return cases.filter(match), tried


def choice_labels(model: Any, *names: str) -> dict[str, dict[Any, str]]:
    """Per field, its choices' labels in the active language. Django's ``get_<field>_display``
    rebuilds and translates the whole choice list on every call (three columns of a 25-row page:
    75 times), which was a third of the case list page's CPU."""
    return {
        name: {value: str(label) for value, label in model._meta.get_field(name).flatchoices}
        for name in names
    }


def case_rows(cases: Any) -> SafeString:
    """The rows of the case table, built in Python with ``format_html`` (each value escaped):
    the same markup the template's loop gave (link, short date, labels, outcome badge, count,
    owner), for a fraction of the CPU of 25 rows of template tags and filters."""
    from vigil.server.web.templatetags.vigil_tags import num, outcome_badge

    link = reverse("cases:case-detail", args=[0])[:-2]  # ".../cases/" + pk + "/"
    return format_html_join(
        "",
        '<tr><td><a href="{}{}/">{}</a></td><td>{}</td><td>{}</td>\n'
        '      <td class="wide-only">{}</td><td class="wide-only">{}</td><td>{}</td>'
        '<td class="num">{}</td><td class="wide-only">{}</td></tr>\n',
        (
            (
                link, c.pk, c.reference, date_format(c.opened_on, "SHORT_DATE_FORMAT") if c.opened_on else "",
                c.status_label, c.trafficking_status_label, c.sector_label,
                outcome_badge(c.latest_outcome, c.latest_outcome_words), num(c.referral_count),
                c.owner.username if c.owner_id else "",
            )
            for c in cases
        ),
    )


_FILTER_WIDGETS: dict[tuple[str, str, str], SafeString] = {}


def filter_widgets(form: SearchForm) -> dict[str, SafeString]:
    """The list's status and sector selects. Their choices are fixed, so the markup of a valid
    value is the same for everyone in a language: rendered once per (language, field, value) and
    reused (a field with an error is rendered afresh each time; the cache holds at most the
    fields' choices times the languages)."""
    lang = translation.get_language() or ""
    out = {}
    for name in ("status", "sector"):
        bound = form[name]
        if bound.errors:
            out[name] = SafeString(str(bound))
            continue
        key = (lang, name, str(bound.value() or ""))
        html = _FILTER_WIDGETS.get(key)
        if html is None:
            html = _FILTER_WIDGETS[key] = SafeString(str(bound))
        out[name] = html
    return out


@page_view
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases in scope, found by reference, document or phone number, status and sector. The
    identity search is POSTed: an identity value never goes into a URL, so never into an access
    log or the browser history; status and sector may come in the address (the pager keeps them).
    The search runs inside ``scoping.cases_for``: nobody finds a case they could not open."""
    require_capability(request, "case.view")
    cases = scoping.cases_for(request.user).select_related("owner")
    posted = request.method == "POST"
    data = request.POST.copy() if posted else request.GET.copy()
    if not posted:
        data.pop("q", None)  # never from the address
    form = SearchForm(data)
    filters = form.cleaned_data if form.is_valid() else {}
    q = (filters.get("q") or "").strip()
    status = filters.get("status") or ""
    sector = filters.get("sector") or ""
    tried: list[str] = []
    if q:
        cases, tried = search_cases(cases, q)
    if status:
        cases = cases.filter(status=status)
    if sector:
        cases = cases.filter(sector=sector)
    # The latest screening's outcome and the number of referrals, as two subqueries of the one
    # list query (no query per row).
    latest_outcome = Screening.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-id")
    n_referrals = (
        Referral.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("id"))
        .values("n")
    )
    cases = cases.annotate(
        latest_outcome=Subquery(latest_outcome.values("outcome")[:1]),
        referral_count=Coalesce(Subquery(n_referrals), 0),
    ).order_by("-opened_on", "-id")
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    ids = [c.pk for c in page.object_list]
    labels = choice_labels(Case, "status", "trafficking_status", "sector")
    for c in page.object_list:
        c.latest_outcome_words = screening.outcome_words(c.latest_outcome)  # type: ignore[attr-defined]
        for name, by_value in labels.items():  # what get_<name>_display gives, translated once a page
            setattr(c, f"{name}_label", by_value.get(getattr(c, name), getattr(c, name)))
    detail: dict[str, Any] = {"ids": ids, "searched": bool(q)}
    if q:
        detail["matched_by"] = tried  # which indexes were looked up, never the value searched
    if status or sector:
        detail["filters"] = {k: v for k, v in (("status", status), ("sector", sector)) if v}
    record("list", user=request.user, object_type="case", via="web", request=request, detail=detail)
    template = "cases/_case_rows.html" if request.htmx else "cases/case_list.html"  # type: ignore[attr-defined]
    from urllib.parse import urlencode

    keep = urlencode({k: v for k, v in (("status", status), ("sector", sector)) if v})
    return render(
        request,
        template,
        {"page": page, "form": form, "q": q, "searching": bool(q or status or sector),
         "pager_query": f"&{keep}" if keep else "", "total": page.paginator.count,
         "rows": case_rows(page.object_list),
         "filter_widgets": filter_widgets(form) if template == "cases/case_list.html" else {}},
    )


INTAKE_DONE = "intake_done"  # session: {intake token: case pk}, so that a resubmit opens no second case


@page_view
def case_new(request: HttpRequest) -> HttpResponse:
    """Intake: a person, a case and optionally its first migration stage, in one form.

    A case is created only when it is of use: it needs at least a sector, a stage or a narrative
    (and the user's organisation, which owns it). An empty or accidental submit re-shows the form
    with the reason; a form submitted twice (its one-time token already used) opens the case
    created the first time instead of a second one."""
    require_capability(request, "case.create")
    user = request.user
    if user.organisation_id is None:  # type: ignore[union-attr]
        raise PermissionDeniedPage
    posted = request.method == "POST"
    data = request.POST if posted else None
    person_form = PersonForm(data, prefix="person", version_required=False)
    case_form = CaseForm(data, prefix="case")
    stage_form = IntakeStageForm(data, prefix="stage")
    error = ""
    token = request.POST.get("intake_token", "") if posted else secrets.token_urlsafe(16)
    if posted:
        done = request.session.get(INTAKE_DONE, {})
        earlier = Case.objects.filter(pk=done.get(token) or 0).first() if token else None
        if earlier is not None and scoping.cases_for(user).filter(pk=earlier.pk).exists():
            messages.info(
                request,
                _("This form was already sent: case %(ref)s was created then.") % {"ref": earlier.reference},
            )
            return redirect("cases:case-detail", pk=earlier.pk)
        people_ok = person_form.is_valid()
        stage_form.person = person_form.instance if people_ok else None
        forms_ok = all([people_ok, case_form.is_valid(), stage_form.is_valid()])
        useful = (
            (request.POST.get("case-sector") or "").strip()
            or (request.POST.get("stage-stage") or "").strip()
            or (request.POST.get("person-narrative") or "").strip()
        )
        if not useful:
            error = _(
                "Nothing was created: a case needs at least a sector, a migration stage or a narrative."
            )
        if forms_ok and not error:
            with transaction.atomic():
                person = person_form.save(commit=False)
                person.organisation_id = user.organisation_id  # type: ignore[union-attr]
                person.created_by = user
                person.save()
                audit_page(request, "create", person, fields=sorted(person_form.changed_data))
                case = case_form.save(commit=False)
                case.person = person
                case.organisation_id = user.organisation_id  # type: ignore[union-attr]
                case.owner = user
                case.save()
                audit_page(request, "create", case, fields=sorted(case_form.changed_data))
                if stage_form.filled:
                    stage = stage_form.save(commit=False)
                    stage.case = case
                    stage.save()
                    audit_page(request, "update", case, change="stage added", stage=stage.pk)
            if token:
                request.session[INTAKE_DONE] = {**dict(list(done.items())[-19:]), token: case.pk}
            messages.success(request, _("Case %(ref)s created.") % {"ref": case.reference})
            return redirect("cases:case-detail", pk=case.pk)
        if not error:
            error = _("Nothing was created: correct the fields marked below.")
    return render(
        request,
        "cases/case_new.html",
        {
            "person_form": person_form,
            "case_form": case_form,
            "stage_form": stage_form,
            "error": error,
            "intake_token": token,
            "organisation": user.organisation,  # type: ignore[union-attr]
        },
        status=400 if posted else 200,
    )


def case_or_404(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(scoping.cases_for(request.user).select_related("person", "owner"), pk=pk)


@page_view
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "case.view")
    case = case_or_404(request, pk)
    can_edit = scoping.can_edit_case(request.user, case)
    can_hold = request.user.can("case.hold")  # type: ignore[union-attr]
    stale = False
    if request.method == "POST":
        if not can_edit:
            raise PermissionDeniedPage
        form = CaseForm(request.POST, instance=Case.objects.get(pk=case.pk), prefix="case", can_hold=can_hold)
        if form.is_valid():
            fields = {f: form.cleaned_data[f] for f in form.changed_data if f in Case.EDITABLE}
            try:
                expected = parse_id(request.POST.get("case-version")) or 0
                with transaction.atomic():
                    case.save_versioned(expected, fields)
                    audit_page(request, "update", case, fields=sorted(fields), version=case.version)
                messages.success(request, _("Saved."))
                return redirect("cases:case-detail", pk=case.pk)
            except StaleEdit:
                # Show the stored version, not the refused input: the user re-applies the change.
                stale = True
                case.refresh_from_db()
                form = CaseForm(instance=case, prefix="case", can_hold=can_hold)
    else:
        form = None
    # The edit form is in the page when it must be open (a refused or stale save, or ``?edit=1``:
    # the no-JavaScript way to it); otherwise its <details> fetches it when first opened
    # (htmx, ``hx-trigger="toggle once"``, ``?edit=1`` with HX-Request: the form alone). Most
    # views of a case never open it, and it was a tenth of the page's CPU.
    wants_form = request.GET.get("edit") == "1"
    if form is None and wants_form and can_edit:
        form = CaseForm(instance=case, prefix="case", can_hold=can_hold)
        if request.htmx:  # type: ignore[attr-defined]
            audit_page(request, "view", case)
            return render(request, "cases/_case_edit_form.html",
                          {"case": case, "form": form, "version": case.version})
    record_each("view", user=request.user, objs=[case, case.person], via="web", request=request)  # one INSERT
    screenings = list(case.screenings.select_related("created_by"))
    for sc in screenings:
        sc.title = screening.ruleset_title(sc.ruleset)  # type: ignore[attr-defined]
        sc.outcome_words = screening.outcome_words(sc.outcome)  # type: ignore[attr-defined]
    referrals = list(case.referrals.select_related("provider"))
    followups = list(case.followups.select_related("done_by"))
    consent_rows = list(case.consents.all())  # read once: the summary and the consent table
    # The stages once for the page's table and the agencies panel's suggestions.
    prefetch_related_objects([case], "stages")
    return render(
        request,
        "cases/case_detail.html",
        {
            "summary": _summary(case, screenings, referrals, followups, consent_rows),
            "history": _history(case),
            "case_errors": form is not None and form.is_bound and bool(form.errors),
            "edit_open": form is not None and (stale or form.is_bound or wants_form),
            "case": case,
            "person": case.person,
            "form": form,
            "can_edit": can_edit,
            "stale": stale,
            "stage_form": BlankForm(StageForm, "stage"),
            # the recruitment app's panel (recruitment/_case_agencies.html), when it is installed
            "agencies_panel": apps.is_installed("vigil.server.recruitment"),
            "stages": case.stages.all(),  # the prefetched rows
            "consents": consent_rows,
            "version": case.version,
            "screenings": screenings,
            "prompt_possible": can_edit and _prompts_possible_victim(case, screenings),
            "rulesets": screening.picker(),
            "default_ruleset": screening.DEFAULT_RULESET,
            "referrals": referrals,
            "providers": referral_services.provider_choices(case, scoping.providers_for(request.user)),
            "shareable": list(SHAREABLE.items()),
            "default_shared": DEFAULT_SHARED,
            "can_refer": can_edit and request.user.can("referral.create"),  # type: ignore[union-attr]
            "can_override": request.user.can("consent.override"),  # type: ignore[union-attr]
            "can_subject_request": request.user.can("subject.request"),  # type: ignore[union-attr]
            # the latest referral consent, as has_consent(case, "referral") decides, from the rows read
            "referral_consent": next((c.in_force for c in consent_rows if c.purpose == "referral"), False),
            "followups": followups,
            "followup_form": BlankForm(FollowUpForm, "fu"),
            "outcomes": FollowUp.Outcome.choices,
            "at_risk": any(f.retrafficking_risk for f in followups),
        },
        status=409 if stale else 200,
    )


OPEN_REFERRAL = (Referral.Status.PENDING, Referral.Status.ACCEPTED)


def _summary(case: Case, screenings: list[Screening], referrals: list[Referral],
             followups: list[FollowUp], consent_list: list[Consent] | None = None) -> dict[str, Any]:
    """The top of the case page: the latest determination in words, the consent in force per
    purpose, the referrals still open and the next follow-up (from rows the page reads anyway)."""
    latest = screenings[0] if screenings else None  # ordered newest first
    det_words = ""
    if latest is not None and latest.determination:
        det_words = rule_i18n.outcome_label(screening.ruleset_for(latest), latest.outcome,
                                            translation.get_language())
    current: dict[str, Consent] = {}
    for c in case.consents.all() if consent_list is None else consent_list:  # purpose, newest first
        current.setdefault(c.purpose, c)
    consent_rows = [
        {"purpose": value, "label": label,
         "state": "none" if value not in current else "given" if current[value].in_force
         else "withdrawn" if current[value].given else "refused"}
        for value, label in Consent.Purpose.choices
    ]
    words = {"none": _("not asked"), "given": _("given"), "withdrawn": _("withdrawn"),
             "refused": _("refused")}
    for row in consent_rows:
        row["words"] = words[row["state"]]
    open_followups = [f for f in followups if f.is_open]
    return {
        "latest": latest,
        "det_words": det_words,
        "consents": consent_rows,
        "open_referrals": [r for r in referrals if r.status in OPEN_REFERRAL],
        "next_followup": min(open_followups, key=lambda f: (f.due_on, f.pk)) if open_followups else None,
    }


_HISTORY_WORDS = {"create": gettext_lazy("created"), "update": gettext_lazy("changed"),
                  "consent": gettext_lazy("consent recorded"),
                  "consent_withdrawn": gettext_lazy("consent withdrawn")}


_LABELS: dict[str, dict[str, str]] = {}


def _field_labels() -> dict[str, str]:
    """The translated names of the case's and person's fields, built once per language."""
    lang = translation.get_language() or ""
    labels = _LABELS.get(lang)
    if labels is None:
        labels = {f.name: str(f.verbose_name) for model in (Case, Person) for f in model._meta.get_fields()
                  if hasattr(f, "verbose_name")}
        _LABELS[lang] = labels
    return labels


def _history(case: Case, limit: int = 50) -> list[dict[str, Any]]:
    """What was done to the case and its person, newest first, from the audit log: who, when, the
    kind of change and the names of the fields (the log never holds their values). Reads are left
    out: the history is of the record, the audit log itself is for the auditors."""
    from vigil.server.audit.models import AuditEntry

    entries = (
        AuditEntry.objects.filter(
            Q(object_type="case", object_id=str(case.pk))
            | Q(object_type="person", object_id=str(case.person_id))
        )
        .exclude(action__in=("view", "list"))
        .order_by("-at", "-id")[:limit]
    )
    labels = _field_labels()
    purposes = dict(Consent.Purpose.choices)
    out = []
    for e in entries:
        d = e.detail or {}
        what = str(_HISTORY_WORDS.get(e.action, e.action))
        extra = d.get("change") or ""
        if d.get("fields"):
            extra = ", ".join(labels.get(f, f) for f in d["fields"])
        if d.get("purpose"):
            extra = str(purposes.get(d["purpose"], d["purpose"]))
        out.append({"at": e.at, "who": e.actor_username, "what": what,
                    "object": str(Person._meta.verbose_name) if e.object_type == "person" else "",
                    "extra": extra})
    return out


def _prompts_possible_victim(case: Case, screenings: Any) -> bool:
    """A screening about trafficking is positive and nobody has set the case's trafficking status
    yet: the page asks a person to decide (the status is never set by a screening)."""
    return not case.trafficking_status and any(
        sc.outcome == "positive" and screening.about_trafficking(sc.ruleset) for sc in screenings
    )


@page_view
@require_POST
def possible_victim(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the trafficking status to "possible victim", a person's decision after a positive
    screening (the prompt's button); refused on a stale version, a no-op once a status is set."""
    case = case_or_404(request, pk)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    nxt = request.POST.get("next") or ""
    if not (nxt.startswith(("/cases/", "/screenings/")) and url_has_allowed_host_and_scheme(nxt, None)):
        nxt = reverse("cases:case-detail", args=[case.pk])
    if case.trafficking_status:
        messages.info(request, _("The trafficking status is already set; nothing was changed."))
        return redirect(nxt)
    try:
        expected = int(request.POST.get("version") or 0)
        with transaction.atomic():
            case.save_versioned(expected, {"trafficking_status": Case.TraffickingStatus.POSSIBLE})
            audit_page(
                request,
                "update",
                case,
                fields=["trafficking_status"],
                version=case.version,
                change="possible victim after a positive screening",
            )
        messages.success(request, _("Trafficking status set to: Possible victim of trafficking."))
    except (StaleEdit, ValueError):
        messages.error(
            request, _("Someone else changed this case meanwhile: nothing was saved. Look at it again.")
        )
    return redirect(nxt)


@page_view
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the identity of the person of a case (R12: correction)."""
    require_capability(request, "case.edit")
    case = case_or_404(request, pk)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    person = case.person
    # With htmx the form opens in place in the person section of the case page, and a save puts
    # the section back; without JavaScript the same view is a page of its own. htmx swaps only 2xx
    # answers, so in place a refused save is a 200 carrying the form and its message.
    in_place = bool(request.htmx)  # type: ignore[attr-defined]
    template = "cases/_person_form.html" if in_place else "cases/person_edit.html"
    form = PersonForm(request.POST or None, instance=person, prefix="person")
    if request.method == "POST" and form.is_valid():
        fields = changed_fields(form, person.versioned_fields())
        with transaction.atomic():
            saved = save_form(form, person, fields)
            if saved:
                detail = {"fields": sorted(fields), "case": case.pk, "version": person.version}
                audit_page(request, "update", person, **detail)
        if saved:
            if in_place:
                context = {"case": case, "person": person, "can_edit": True, "saved": True}
                return render(request, "cases/_person_view.html", context)
            messages.success(request, _("Saved."))
            return redirect("cases:case-detail", pk=case.pk)
        # Someone saved the person since this form was read: show their version, nothing saved.
        form = fresh_form(PersonForm, person, prefix="person")
        refuse_stale(form)
        return render(request, template, {"case": case, "form": form}, status=200 if in_place else 409)
    if request.method != "POST":
        audit_page(request, "view", person, page="edit", case=case.pk)
    return render(request, template, {"case": case, "form": form})


@page_view
@require_POST
def stage_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    form = StageForm(request.POST, prefix="stage", person=case.person)
    if form.is_valid():
        with transaction.atomic():
            stage = form.save(commit=False)
            stage.case = case
            stage.save()
            audit_page(request, "update", case, change="stage added", stage=stage.pk)
        form = StageForm(prefix="stage")
    context = {"case": case, "stages": case.stages.all(), "stage_form": form, "can_edit": True}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "cases/_stages.html", context)
    return redirect(reverse("cases:case-detail", args=[case.pk]) + "#stages")


@page_view
@require_POST
def stage_region(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the region of a stage whose country is saved: the no-JavaScript way to a region
    (the timeline offers the country's subdivisions), checked like the stage form."""
    stage = get_object_or_404(scoping.stages_for(request.user), pk=pk)
    case = case_or_404(request, stage.case_id)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    region = (request.POST.get("region") or "").strip().upper()
    message = region_error(region, stage.country) if region else _("Choose a region from the list.")
    if message is not None:
        messages.error(request, message)
    else:
        try:
            version = int(request.POST.get("version") or 0)
            with transaction.atomic():
                stage.save_versioned(version, {"region": region})
                audit_page(request, "update", case, change="stage region set", stage=stage.pk)
            messages.success(request, _("Saved."))
        except (StaleEdit, ValueError):
            messages.error(request, STALE)
    return redirect(reverse("cases:case-detail", args=[case.pk]) + "#stages")


@page_view
def stage_regions(request: HttpRequest) -> HttpResponse:
    """The options of a stage form's region select for the country typed (htmx): public
    reference data (ISO 3166-2), no case read."""
    country = next((v for k, v in request.GET.items() if k.endswith("country")), "")
    options = format_html_join(
        "", '<option value="{}">{}</option>', region_choices(country.strip().upper()[:3])
    )
    return HttpResponse(options)


@page_view
def consent_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Consent per purpose: the current state, the history, a form to record a new decision."""
    require_capability(request, "case.view")
    case = case_or_404(request, pk)
    can_record = request.user.can("consent.record") and scoping.can_edit_case(request.user, case)  # type: ignore[union-attr]
    form = ConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_record:
            raise PermissionDeniedPage
        if form.is_valid():
            said = []
            with transaction.atomic():
                for row in form.decisions():
                    consent = Consent.objects.create(case=case, recorded_by=request.user, **row)
                    audit_page(
                        request,
                        "consent",
                        case,
                        consent=consent.pk,
                        purpose=consent.purpose,
                        given=consent.given,
                    )
                    said.append(
                        _("%(purpose)s — %(decision)s (%(method)s)")
                        % {
                            "purpose": str(consent.get_purpose_display()).lower(),
                            "decision": _("given") if consent.given else _("refused"),
                            "method": str(consent.get_method_display()).lower(),
                        }
                    )
            messages.success(request, _("Recorded: %(decisions)s") % {"decisions": "; ".join(said)})
            return redirect("cases:consent", pk=case.pk)
    else:
        audit_page(request, "view", case, page="consent")
    history = case.consents.select_related("recorded_by", "withdrawn_by").order_by(
        "purpose", "-given_on", "-id"
    )
    current = {}
    for c in history:
        current.setdefault(c.purpose, c)
    rows = [(value, label, current.get(value)) for value, label in Consent.Purpose.choices]
    return render(
        request,
        "cases/consent.html",
        {
            "case": case,
            "form": form,
            "rows": rows,
            "history": history,
            "can_record": can_record,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@page_view
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_object_or_404(scoping.consents_for(request.user).select_related("case"), pk=pk)
    if not (request.user.can("consent.record") and scoping.can_edit_case(request.user, consent.case)):  # type: ignore[union-attr]
        raise PermissionDeniedPage
    if not consent.in_force:
        raise Http404
    try:
        with transaction.atomic():
            consents.withdraw(consent, request.user)  # conditional on "still in force"
            detail = {"consent": consent.pk, "purpose": consent.purpose}
            audit_page(request, "consent_withdrawn", consent.case, **detail)
    except StaleEdit:  # withdrawn by someone else meanwhile: their date and name stay
        messages.error(request, STALE)
        return redirect("cases:consent", pk=consent.case_id)
    messages.success(request, _("Consent withdrawn."))
    return redirect("cases:consent", pk=consent.case_id)


# --- screening -----------------------------------------------------------------------------------
def _screening_or_404(request: HttpRequest, pk: int) -> Screening:
    return get_object_or_404(scoping.screenings_for(request.user).select_related("case"), pk=pk)


@page_view
@require_POST
def screening_start(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_or_404(request, pk)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    try:
        with transaction.atomic():
            s = screening.start(case, request.POST.get("ruleset", screening.DEFAULT_RULESET), request.user)
            audit_page(request, "update", case, change="screening started", screening=s.pk, ruleset=s.ruleset)
    except screening.ScreeningError:
        messages.error(request, _("Choose a rule set from the list."))
        return redirect("cases:case-detail", pk=case.pk)
    return redirect("cases:screening", pk=s.pk)


def _answer_value(raw: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(raw or "")


@page_view
def screening_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The interview, generated from the rule set's indicators; answers save on every change."""
    s = _screening_or_404(request, pk)
    rs = screening.ruleset_for(s)
    shown = rule_i18n.translate(rs, translation.get_language())  # wording only: rules stay English
    current = screening.is_current(s)
    can_edit = current and scoping.can_edit_case(request.user, s.case)
    error = ""
    stale = False
    if request.method == "POST":
        if not can_edit:
            raise PermissionDeniedPage
        try:
            raw_age = (request.POST.get("age") or "").strip()
            age = Decimal(raw_age) if raw_age else None
            # Only what differs from the stored screening is written (merged under a row lock),
            # and only if nobody saved it since this page was read (the version it carries).
            changed = {}
            for record_key in screening.question_keys(rs, s.answers):
                key = f"a-{record_key}"
                if key in request.POST:
                    value = _answer_value(request.POST.get(key))
                    if s.answers.get(record_key) != value:
                        changed[record_key] = value
            facts = _posted_facts(request, rs, s)
            _save_answers(request, s, changed, facts=facts, **({"age": age} if age != s.age else {}))
        except _FactInputError as exc:
            error = str(exc)
        except screening.FactError:
            error = _("A fact has a value its question does not allow.")
        except (screening.ScreeningError, InvalidOperation):
            error = _("The age must be a number from 0 to 120.")
        except (StaleEdit, ValueError):
            stale = True
            error = str(STALE)
            s.refresh_from_db()
        if request.htmx and not (error and not stale):  # type: ignore[attr-defined]
            # htmx swaps only 2xx answers: a stale save shows its message in the panel, with the
            # stored determination and the new version for the next answer (out-of-band).
            context = {**_determination_context(s, shown, can_edit), "stale_error": error}
            return render(request, "cases/_determination_saved.html", context)
    else:
        audit_page(request, "view", s.case, page="screening", screening=s.pk)
    # the worker's language beside the page's (each question in both; the answers are the same)
    worker = (request.GET.get("worker_lang") or "")[:16]
    worker = rule_i18n.normalise(worker) if worker else ""
    worker = worker if worker in rule_i18n.languages() else ""
    page_lang = rule_i18n.normalise(translation.get_language())
    if worker == page_lang:
        worker = ""
    context = {
        "s": s,
        "case": s.case,
        "groups": screening.groups(rs, page_lang, worker, s.answers),
        "fact_groups": screening.fact_groups(rs, page_lang, worker),
        "worker": worker,
        "worker_dir": "rtl" if worker and get_language_info(worker)["bidi"] else "ltr",
        "page_dir": "rtl" if translation.get_language_bidi() else "ltr",
        "worker_languages": _worker_languages(),
        "rs": shown,
        "can_edit": can_edit,
        "current": current,
        "error": error,
        **_determination_context(s, shown, can_edit),
    }
    status = 409 if stale else 400 if error else 200
    return render(request, "cases/screening.html", context, status=status)


class _FactInputError(ValueError):
    """A fact the page's form posted in a shape its question does not allow (the message names
    the question, in the page's language)."""


def _posted_facts(request: HttpRequest, rs: Any, s: Screening) -> dict[str, Any]:
    """The facts of the page's form that differ from the stored ones (None: not known again).
    A yes-no fact is three radios (``f-act``: yes, no, unknown); a list fact checkboxes of its
    codes and ``none`` ("none of these", the empty list), nothing ticked being not known (a
    hidden ``f-NAME-shown`` says the list was on the form); a number a field, empty when not
    known. Each value is checked against its kind before anything is saved."""
    specs = fact_specs()
    labels = {q.key: q.text for g in screening.fact_groups(rs) for q in g.questions}
    changed: dict[str, Any] = {}
    stored = s.facts or {}
    for name in screening.fact_keys(rs):
        spec = specs[name]
        key = f"f-{name}"
        value: Any
        if spec.type == "bool":
            if key not in request.POST:
                continue
            value = _answer_value(request.POST.get(key))
        elif spec.type == "list":
            if f"{key}-shown" not in request.POST:
                continue
            ticked = request.POST.getlist(key)
            if "none" in ticked and len(ticked) > 1:
                raise _FactInputError(
                    _("%(question)s: “none of these” cannot be ticked with other answers.")
                    % {"question": labels.get(name, name)}
                )
            if any(v not in spec.values and v != "none" for v in ticked):
                raise _FactInputError(
                    _("%(question)s: choose from the list.") % {"question": labels.get(name, name)}
                )
            value = [] if ticked == ["none"] else [v for v in spec.values if v in ticked] or None
        else:
            if key not in request.POST:
                continue
            raw = (request.POST.get(key) or "").strip()
            try:
                number = float(raw) if raw else None
            except ValueError:
                number = math.nan
            if number is not None and (
                not math.isfinite(number)
                or (spec.min is not None and number < spec.min)
                or (spec.max is not None and number > spec.max)
            ):
                raise _FactInputError(
                    _("%(question)s: a number from %(min)s to %(max)s.")
                    % {
                        "question": labels.get(name, name),
                        "min": f"{spec.min or 0:g}",
                        "max": f"{spec.max if spec.max is not None else math.inf:g}",
                    }
                )
            value = number
        if stored.get(name) != value:
            changed[name] = value
    return changed


@page_view
def screening_guided(request: HttpRequest, pk: int) -> HttpResponse:
    """The guided interview: one question at a time, the rule set's ``ask_next`` first, stopping
    as soon as no answer can change the determination. The same answers, the same save path and
    the same stale-edit protection as the full form; one small page per question without
    JavaScript (plain form posts), the question card swapped in place with htmx."""
    s = _screening_or_404(request, pk)
    rs = screening.ruleset_for(s)
    shown = rule_i18n.translate(rs, translation.get_language())
    current = screening.is_current(s)
    can_edit = current and scoping.can_edit_case(request.user, s.case)
    source = request.POST if request.method == "POST" else request.GET
    trail = screening.parse_trail(source.get("trail", ""), rs)
    # the worker's language, beside the interface language (a rule-set translation)
    worker = source.get("worker", "")
    worker = worker if worker in rule_i18n.languages() else ""
    error = ""
    stale = False
    if request.method == "POST":
        if not can_edit:
            raise PermissionDeniedPage
        indicator = request.POST.get("indicator", "")
        answer = request.POST.get("answer", "")
        if indicator not in screening.guided_keys(rs) or answer not in screening.ANSWER_MARK:
            error = _("Choose one of the answers.")
        else:
            value = _answer_value(answer)
            try:
                _save_answers(request, s, {indicator: value} if s.answers.get(indicator) != value else {})
                trail = screening.with_answer(trail, indicator, screening.ANSWER_MARK[answer])
            except (StaleEdit, ValueError):
                stale = True
                error = str(STALE)
                s.refresh_from_db()
        if not error and not request.htmx:  # type: ignore[attr-defined]
            # post / redirect / get: one small page per question, the trail in the address
            return redirect(_guided_url(s, trail, worker=worker))
    else:
        audit_page(request, "view", s.case, page="screening", mode="guided", screening=s.pk)
    asked = request.GET.get("q", "") if request.method == "GET" else ""
    context = {
        **_guided_context(s, shown, trail, asked if asked in screening.guided_keys(rs) else "", worker),
        "can_edit": can_edit,
        "current": current,
        "error": error,
        "stale": stale,
    }
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "cases/_guided_card.html", context)
        if not error:
            response["HX-Push-Url"] = _guided_url(s, trail, worker=worker)
        return response
    status = 409 if stale else 400 if error else 200
    return render(request, "cases/screening_guided.html", context, status=status)


def _worker_languages() -> list[tuple[str, str]]:
    """(code, name in that language) of the languages a question can be shown in."""
    return [(c, get_language_info(c)["name_local"]) for c in rule_i18n.languages()]


def _guided_url(s: Screening, trail: list[tuple[str, str]], question: str = "", worker: str = "") -> str:
    from urllib.parse import urlencode

    query = {
        "trail": screening.format_trail(trail),
        **({"q": question} if question else {}),
        **({"worker": worker} if worker else {}),
    }
    return f"{reverse('cases:screening-guided', args=[s.pk])}?{urlencode(query, safe=':,')}"


_MARK_WORDS = {
    "y": gettext_lazy("yes"),
    "n": gettext_lazy("no"),
    "k": gettext_lazy("not known"),
    "r": gettext_lazy("refused"),
}


def _guided_question(s: Screening, rs: Any, key: str, worker: str) -> dict[str, Any]:
    """One question of the guided interview: ``key`` is its record key (``DR01``, or ``D1.PN04``
    for a penalty asked per stage, the stage named in the page's language and the worker's)."""
    stage, _dot, base = key.rpartition(".")
    ind = rs.by_id[base]
    installed = screening.ruleset_for(s)  # ``rs`` is the copy in the page's language
    page_lang = rule_i18n.normalise(translation.get_language())
    stage_label = screening.stage_labels(installed, page_lang).get(stage, stage) if stage else ""
    worker_text = worker_stage = ""
    if worker and worker != page_lang:
        _label, worker_text = rule_i18n.indicator_text(installed, base, worker)
        worker_stage = screening.stage_labels(installed, worker).get(stage, stage) if stage else ""
    return {
        "key": key,
        "ind": ind,
        "id": key,
        "text": ind.question or ind.label,
        "stage": stage,
        "stage_label": stage_label,
        "worker_text": worker_text or "",
        "worker_stage": worker_stage,
    }


def _guided_context(
    s: Screening, rs: Any, trail: list[tuple[str, str]], asked: str, worker: str = ""
) -> dict[str, Any]:
    """The question to ask (``asked`` when changing an answer), the answers so far with their
    change links, the back link and what the determination still needs."""
    det = s.determination or {}
    skip = screening.left_unanswered(s, trail)
    key = asked or screening.next_question(rs, det, s, skip)
    question = _guided_question(s, rs, key, worker) if key else None
    answered = []
    for ind, mark in trail:
        value = s.answers.get(ind)
        mark = "y" if value is True else "n" if value is False else mark if mark in "kr" else "k"
        answered.append(
            {
                **_guided_question(s, rs, ind, ""),
                "mark": mark,
                "words": _MARK_WORDS[mark],
                "change": _guided_url(s, trail, ind, worker),
            }
        )
    back = ""
    if key:
        ids = [ind for ind, _m in trail]
        before = ids[: ids.index(key)] if key in ids else ids
        back = _guided_url(s, trail, before[-1], worker) if before else ""
    # answers of this rule set given outside the trail (the full form, a colleague) count too
    in_trail = {ind for ind, _m in trail}
    others = sum(1 for ind in s.answers if ind not in in_trail)
    current_value = s.answers.get(key) if key else None
    current_mark = (
        "y"
        if current_value is True
        else "n"
        if current_value is False
        else dict(trail).get(key, "")
        if key
        else ""
    )
    return {
        **_determination_context(s, rs),
        "rs": rs,
        "question": question,
        "question_dimension": _dimension_label(rs, question["ind"].dimension) if question is not None else "",
        "worker": worker,
        "worker_languages": rule_i18n.languages(),
        "worker_question": question["worker_text"] if question is not None else "",
        "worker_dir": "rtl" if worker and get_language_info(worker)["bidi"] else "ltr",
        "current_mark": current_mark,
        "answered": answered,
        "others": others,
        "back": back,
        "trail": screening.format_trail(trail),
        "fixed": det.get("outcome") != "insufficient",
        "needs": _still_needed(rs, det, fixed=det.get("outcome") != "insufficient"),
        "open": len(screening.open_questions(rs, det, s, skip)),
        "full_url": reverse("cases:screening", args=[s.pk]),
    }


def _dimension_label(rs: Any, name: str) -> str:
    dim = rs.dimensions.get(name)
    return str(dim.label) if dim is not None else name


_STATE_WORDS = {
    "positive": gettext_lazy("present"),
    "negative": gettext_lazy("not present"),
    "insufficient": gettext_lazy("still needed"),
}
_NOT_NEEDED = gettext_lazy("not needed")


def _still_needed(rs: Any, det: dict[str, Any], fixed: bool) -> list[dict[str, str]]:
    """The progress line: each dimension of the determination, present, not present, still
    needed or (once the determination is fixed) not needed."""
    out = []
    for name, state in (det.get("dimensions") or {}).items():
        words = _NOT_NEEDED if fixed and state == "insufficient" else _STATE_WORDS.get(state, state)
        out.append({"name": name, "label": _dimension_label(rs, name), "state": state, "words": words})
    return out


def _save_answers(
    request: HttpRequest,
    s: Screening,
    changed: dict[str, bool | None],
    facts: dict[str, Any] | None = None,
    **age: Any,
) -> None:
    """The one save path of both interview modes: merged under a row lock, refused (``StaleEdit``)
    unless the screening is still at the version the page carried, and audited (which indicators
    and facts, never their values)."""
    expected = parse_id(request.POST.get("version")) or 0
    with transaction.atomic():
        screening.update(s, expected, answers=changed, facts=facts, **age)
        audit_page(
            request,
            "update",
            s.case,
            change="screening answered",
            screening=s.pk,
            indicators=sorted(changed),
            **({"facts": sorted(facts)} if facts else {}),
        )


def _determination_context(s: Screening, rs: Any, can_edit: bool = False) -> dict[str, Any]:
    """What the determination panel shows; ``rs`` is the copy in the user's language (the stored
    determination itself stays in English, so its ``label`` is looked up again here)."""
    det = s.determination or {}
    fired = [rs.by_id[i] for i in det.get("fired", []) if i in rs.by_id]
    label = rule_i18n.outcome_label(rs, det["outcome"], translation.get_language()) if det else ""
    return {
        "det": det,
        "det_label": label,
        "why_text": screening.why_text(s, translation.get_language()) if det else "",
        "fired": fired,
        "ask_next": screening.ask_next_questions(rs, det),
        "s": s,
        "prompt_possible": can_edit and _prompts_possible_victim(s.case, [s]),
        "case": s.case,
        "version": s.case.version,
    }

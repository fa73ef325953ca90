"""Server-rendered pages (templates + htmx). Records come only from ``vigil.server.scoping``;
every page that shows or changes a person or case writes an audit entry."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vigil.rules import i18n as rule_i18n
from vigil.server import exports, scoping
from vigil.server.api.problems import problem_response
from vigil.server.audit.log import record
from vigil.server.cases import screening
from vigil.server.cases.models import Case, Consent, Person, Screening, StaleEdit, has_consent
from vigil.server.followups import services as followup_services
from vigil.server.followups.models import FollowUp
from vigil.server.referrals import services as referral_services
from vigil.server.referrals.models import DEFAULT_SHARED, SHAREABLE
from vigil.server.web.forms import (
    CaseForm,
    ConsentForm,
    FollowUpDoneForm,
    FollowUpForm,
    PersonForm,
    SearchForm,
    StageForm,
)


def _audit(request: HttpRequest, action: str, obj: Any, **detail: Any) -> None:
    record(action, user=request.user, obj=obj, via="web", request=request, detail=detail)


def _require(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):  # type: ignore[union-attr]
        raise PermissionDeniedPage


class PermissionDeniedPage(Exception):
    pass


# --- errors --------------------------------------------------------------------------------------
def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return problem_response(request, 404)
    return render(request, "vigil/error.html", {"status": 404, "message": _("Page not found.")}, status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return problem_response(request, 403)
    return render(
        request,
        "vigil/error.html",
        {"status": 403, "message": _("Your role does not allow this.")},
        status=403,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return problem_response(request, 500, detail=_("The error was logged without personal data."))
    return render(
        request,
        "vigil/error.html",
        {"status": 500, "message": _("Something went wrong. The error was logged.")},
        status=500,
    )


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes: too many failed logins for this username from this address."""
    message = _("Too many failed attempts. Try again in an hour or ask an administrator.")
    if _is_api(request):
        return problem_response(
            request,
            429,
            type_="https://vigil.invalid/problems/locked-out",
            title=_("Account locked"),
            detail=message,
        )
    return render(request, "vigil/error.html", {"status": 429, "message": message}, status=429)


# --- login ---------------------------------------------------------------------------------------
class LoginView(auth_views.LoginView):
    template_name = "vigil/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:login")
    if request.user.can("referral.receive") and not request.user.can("case.view"):  # type: ignore[union-attr]
        return redirect("web:referral-inbox")
    if request.user.can("stats.view") and not request.user.can("case.view"):  # type: ignore[union-attr]
        return redirect("web:statistics")
    if request.user.can("breach.manage") and not request.user.can("case.view"):  # type: ignore[union-attr]
        return redirect("breaches:register")  # administrators: no case content, the register is theirs
    return redirect("web:case-list")


def _with_permission(view: Any) -> Any:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDeniedPage:
            return forbidden(request)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return login_required(wrapper)


# --- cases ---------------------------------------------------------------------------------------
@_with_permission
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases in scope. The search (reference or document number) is POSTed: an identity value
    never goes into a URL, so never into an access log or the browser history."""
    _require(request, "case.view")
    cases = scoping.cases_for(request.user).select_related("owner").order_by("-id")
    params = request.POST if request.method == "POST" else request.GET
    form = SearchForm(request.POST if request.method == "POST" else None)
    q = form.cleaned_data.get("q", "").strip() if form.is_bound and form.is_valid() else ""
    if q:
        by_document = Person.index_document(q)
        cases = cases.filter(reference=q.upper()) | cases.filter(person__document_index=by_document)
    status = params.get("status", "")
    if status in Case.Status.values:
        cases = cases.filter(status=status)
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    ids = [c.pk for c in page.object_list]
    record(
        "list",
        user=request.user,
        object_type="case",
        via="web",
        request=request,
        detail={"ids": ids, "searched": bool(q)},
    )
    template = "vigil/_case_rows.html" if request.htmx else "vigil/case_list.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {"page": page, "form": form, "statuses": Case.Status.choices, "status": status, "q": q},
    )


@_with_permission
def case_new(request: HttpRequest) -> HttpResponse:
    """Intake: a person and a case in one form."""
    _require(request, "case.create")
    user = request.user
    if user.organisation_id is None:  # type: ignore[union-attr]
        raise PermissionDeniedPage
    person_form = PersonForm(request.POST or None, prefix="person")
    case_form = CaseForm(request.POST or None, prefix="case")
    if request.method == "POST" and person_form.is_valid() and case_form.is_valid():
        with transaction.atomic():
            person = person_form.save(commit=False)
            person.organisation_id = user.organisation_id  # type: ignore[union-attr]
            person.created_by = user
            person.save()
            _audit(request, "create", person, fields=sorted(person_form.changed_data))
            case = case_form.save(commit=False)
            case.person = person
            case.organisation_id = user.organisation_id  # type: ignore[union-attr]
            case.owner = user
            case.save()
            _audit(request, "create", case, fields=sorted(case_form.changed_data))
        messages.success(request, _("Case %(ref)s created.") % {"ref": case.reference})
        return redirect("web:case-detail", pk=case.pk)
    return render(request, "vigil/case_new.html", {"person_form": person_form, "case_form": case_form})


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    return get_object_or_404(scoping.cases_for(request.user).select_related("person", "owner"), pk=pk)


@_with_permission
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "case.view")
    case = _case_or_404(request, pk)
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
                expected = int(request.POST.get("case-version") or 0)
                with transaction.atomic():
                    case.save_versioned(expected, fields)
                    _audit(request, "update", case, fields=sorted(fields), version=case.version)
                messages.success(request, _("Saved."))
                return redirect("web:case-detail", pk=case.pk)
            except StaleEdit:
                # Show the stored version, not the refused input: the user re-applies the change.
                stale = True
                case.refresh_from_db()
                form = CaseForm(instance=case, prefix="case", can_hold=can_hold)
    else:
        form = CaseForm(instance=case, prefix="case", can_hold=can_hold)
    _audit(request, "view", case)
    _audit(request, "view", case.person)
    return render(
        request,
        "vigil/case_detail.html",
        {
            "case": case,
            "person": case.person,
            "form": form,
            "can_edit": can_edit,
            "stale": stale,
            "stage_form": StageForm(prefix="stage"),
            "stages": case.stages.all(),
            "consents": case.consents.all(),
            "version": case.version,
            "screenings": case.screenings.select_related("created_by"),
            "rulesets": screening.screenable(),
            "default_ruleset": screening.DEFAULT_RULESET,
            "referrals": case.referrals.select_related("provider"),
            "providers": referral_services.provider_choices(case, scoping.providers_for(request.user)),
            "shareable": list(SHAREABLE.items()),
            "default_shared": DEFAULT_SHARED,
            "can_refer": can_edit and request.user.can("referral.create"),  # type: ignore[union-attr]
            "can_override": request.user.can("consent.override"),  # type: ignore[union-attr]
            "can_subject_request": request.user.can("subject.request"),  # type: ignore[union-attr]
            "referral_consent": has_consent(case, "referral"),
            "followups": case.followups.select_related("done_by"),
            "followup_form": FollowUpForm(prefix="fu"),
            "outcomes": FollowUp.Outcome.choices,
            "at_risk": case.followups.filter(retrafficking_risk=True).exists(),
        },
        status=409 if stale else 200,
    )


@_with_permission
@require_POST
def stage_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    form = StageForm(request.POST, prefix="stage")
    if form.is_valid():
        with transaction.atomic():
            stage = form.save(commit=False)
            stage.case = case
            stage.save()
            _audit(request, "update", case, change="stage added", stage=stage.pk)
        form = StageForm(prefix="stage")
    context = {"case": case, "stages": case.stages.all(), "stage_form": form, "can_edit": True}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "vigil/_stages.html", context)
    return redirect(reverse("web:case-detail", args=[case.pk]) + "#stages")


@_with_permission
def consent_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Consent per purpose: the current state, the history, a form to record a new decision."""
    _require(request, "case.view")
    case = _case_or_404(request, pk)
    can_record = request.user.can("consent.record") and scoping.can_edit_case(request.user, case)  # type: ignore[union-attr]
    form = ConsentForm(request.POST or None)
    if request.method == "POST":
        if not can_record:
            raise PermissionDeniedPage
        if form.is_valid():
            with transaction.atomic():
                consent = form.save(commit=False)
                consent.case = case
                consent.recorded_by = request.user
                consent.save()
                _audit(
                    request, "consent", case, consent=consent.pk, purpose=consent.purpose, given=consent.given
                )
            messages.success(request, _("Consent recorded."))
            return redirect("web:consent", pk=case.pk)
    else:
        _audit(request, "view", case, page="consent")
    history = case.consents.select_related("recorded_by", "withdrawn_by").order_by(
        "purpose", "-given_on", "-id"
    )
    current = {}
    for c in history:
        current.setdefault(c.purpose, c)
    rows = [(value, label, current.get(value)) for value, label in Consent.Purpose.choices]
    return render(
        request,
        "vigil/consent.html",
        {
            "case": case,
            "form": form,
            "rows": rows,
            "history": history,
            "can_record": can_record,
        },
    )


@_with_permission
@require_POST
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_object_or_404(scoping.consents_for(request.user).select_related("case"), pk=pk)
    if not (request.user.can("consent.record") and scoping.can_edit_case(request.user, consent.case)):  # type: ignore[union-attr]
        raise PermissionDeniedPage
    if not consent.in_force:
        raise Http404
    with transaction.atomic():
        consent.withdrawn_on = timezone.localdate()
        consent.withdrawn_by = request.user
        consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
        _audit(request, "consent_withdrawn", consent.case, consent=consent.pk, purpose=consent.purpose)
    messages.success(request, _("Consent withdrawn."))
    return redirect("web:consent", pk=consent.case_id)


# --- screening -----------------------------------------------------------------------------------
def _screening_or_404(request: HttpRequest, pk: int) -> Screening:
    return get_object_or_404(scoping.screenings_for(request.user).select_related("case"), pk=pk)


@_with_permission
@require_POST
def screening_start(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    try:
        with transaction.atomic():
            s = screening.start(case, request.POST.get("ruleset", screening.DEFAULT_RULESET), request.user)
            _audit(request, "update", case, change="screening started", screening=s.pk, ruleset=s.ruleset)
    except screening.ScreeningError:
        messages.error(request, _("Choose a rule set from the list."))
        return redirect("web:case-detail", pk=case.pk)
    return redirect("web:screening", pk=s.pk)


def _answer_value(raw: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(raw or "")


@_with_permission
def screening_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The interview, generated from the rule set's indicators; answers save on every change."""
    s = _screening_or_404(request, pk)
    rs = screening.ruleset_for(s)
    shown = rule_i18n.translate(rs, translation.get_language())  # wording only: rules stay English
    current = screening.is_current(s)
    can_edit = current and scoping.can_edit_case(request.user, s.case)
    error = ""
    if request.method == "POST":
        if not can_edit:
            raise PermissionDeniedPage
        try:
            with transaction.atomic():
                raw_age = (request.POST.get("age") or "").strip()
                s.age = Decimal(raw_age) if raw_age else None
                changed = []
                for ind in rs.indicators:
                    key = f"a-{ind.id}"
                    if key in request.POST:
                        value = _answer_value(request.POST.get(key))
                        if s.answers.get(ind.id) != value:
                            changed.append(ind.id)
                        screening.apply_answer(s, ind.id, value)
                screening.evaluate(s)
                s.save()
                _audit(
                    request, "update", s.case, change="screening answered", screening=s.pk, indicators=changed
                )
        except (screening.ScreeningError, InvalidOperation):
            error = _("The age must be a number from 0 to 120.")
        if request.htmx and not error:  # type: ignore[attr-defined]
            return render(request, "vigil/_determination.html", _determination_context(s, shown))
    else:
        _audit(request, "view", s.case, page="screening", screening=s.pk)
    context = {
        "s": s,
        "case": s.case,
        "groups": screening.groups(shown),
        "rs": shown,
        "can_edit": can_edit,
        "current": current,
        "error": error,
        **_determination_context(s, shown),
    }
    return render(request, "vigil/screening.html", context, status=400 if error else 200)


def _determination_context(s: Screening, rs: Any) -> dict[str, Any]:
    """What the determination panel shows; ``rs`` is the copy in the user's language (the stored
    determination itself stays in English, so its ``label`` is looked up again here)."""
    det = s.determination or {}
    fired = [rs.by_id[i] for i in det.get("fired", []) if i in rs.by_id]
    label = rule_i18n.outcome_label(rs, det["outcome"], translation.get_language()) if det else ""
    return {"det": det, "det_label": label, "fired": fired,
            "ask_next": screening.ask_next_questions(rs, det), "s": s}


# --- referrals -----------------------------------------------------------------------------------
@_with_permission
@require_POST
def referral_create(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if not (request.user.can("referral.create") and scoping.can_edit_case(request.user, case)):  # type: ignore[union-attr]
        raise PermissionDeniedPage
    provider = scoping.providers_for(request.user).filter(pk=request.POST.get("provider") or 0).first()
    if provider is None:
        messages.error(request, _("Choose a service."))
        return redirect(reverse("web:case-detail", args=[case.pk]) + "#referrals")
    try:
        referral_services.create(
            case,
            provider,
            request.user,
            shared_fields=request.POST.getlist("shared"),
            reason=request.POST.get("reason", ""),
            override_reason=request.POST.get("override_reason", ""),
            via="web",
            request=request,
        )
        messages.success(request, _("Referral sent."))
    except referral_services.ReferralError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("web:case-detail", args=[case.pk]) + "#referrals")


def _display(name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if name == "gender" and value in Person.Gender.values:
        return str(Person.Gender(value).label)
    return str(value)


@_with_permission
def referral_inbox(request: HttpRequest) -> HttpResponse:
    """Referrals received by the user's organisation, with only what each one shares."""
    _require(request, "referral.receive")
    refs = list(
        scoping.received_referrals_for(request.user)
        .select_related("case", "case__person", "provider")
        .order_by("-id")[:200]
    )
    rows = []
    for ref in refs:
        data = ref.shared_data()
        referral_services.audit_shared_view(ref, request.user, data, via="web", request=request)
        rows.append((ref, [(SHAREABLE[k], _display(k, v)) for k, v in data.items()]))
    return render(request, "vigil/referral_inbox.html", {"rows": rows})


@_with_permission
@require_POST
def referral_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require(request, "referral.receive")
    ref = get_object_or_404(scoping.received_referrals_for(request.user), pk=pk)
    if action not in {"accept", "decline", "complete"}:
        raise Http404
    try:
        referral_services.decide(
            ref, action, request.user, reason=request.POST.get("reason", ""), via="web", request=request
        )
        messages.success(request, _("Referral updated."))
    except referral_services.ReferralError as exc:
        messages.error(request, str(exc))
    return redirect("web:referral-inbox")


# --- follow-ups ----------------------------------------------------------------------------------
@_with_permission
@require_POST
def followup_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    form = FollowUpForm(request.POST, prefix="fu")
    if form.is_valid():
        with transaction.atomic():
            fu = form.save(commit=False)
            fu.case = case
            fu.created_by = request.user
            fu.save()
            _audit(request, "update", case, change="follow-up scheduled", followup=fu.pk)
        messages.success(request, _("Follow-up scheduled."))
    else:
        messages.error(request, _("Give a due date."))
    return redirect(reverse("web:case-detail", args=[case.pk]) + "#followups")


@_with_permission
@require_POST
def followup_done(request: HttpRequest, pk: int) -> HttpResponse:
    fu = get_object_or_404(scoping.followups_for(request.user).select_related("case"), pk=pk)
    if not scoping.can_edit_case(request.user, fu.case) or fu.done_on is not None:
        raise PermissionDeniedPage
    form = FollowUpDoneForm(request.POST, prefix=f"done{fu.pk}")
    if form.is_valid():
        with transaction.atomic():
            followup_services.complete(fu, request.user, **form.cleaned_data)
            _audit(
                request,
                "update",
                fu.case,
                change="follow-up done",
                followup=fu.pk,
                outcome=fu.outcome,
                retrafficking_risk=fu.retrafficking_risk,
            )
        messages.success(request, _("Follow-up recorded."))
    else:
        messages.error(request, _("Choose an outcome."))
    nxt = request.POST.get("next", "")
    if nxt == "worklist":
        return redirect("web:followup-worklist")
    return redirect(reverse("web:case-detail", args=[fu.case_id]) + "#followups")


@_with_permission
def followup_worklist(request: HttpRequest) -> HttpResponse:
    """Open follow-ups of the cases in scope, overdue first."""
    _require(request, "case.view")
    open_items = list(
        scoping.followups_for(request.user)
        .filter(done_on__isnull=True)
        .select_related("case")
        .order_by("due_on", "id")[:500]
    )
    record(
        "list",
        user=request.user,
        object_type="case",
        via="web",
        request=request,
        detail={"ids": sorted({f.case_id for f in open_items}), "page": "follow-ups"},
    )
    today = timezone.localdate()
    return render(
        request,
        "vigil/followups.html",
        {
            "overdue": [f for f in open_items if f.due_on < today],
            "upcoming": [f for f in open_items if f.due_on >= today],
            "outcomes": FollowUp.Outcome.choices,
        },
    )


# --- statistics (analysts) -----------------------------------------------------------------------
@_with_permission
def statistics_page(request: HttpRequest) -> HttpResponse:
    _require(request, "stats.view")
    row_dim = request.GET.get("rows", "sector")
    col_dim = request.GET.get("cols", "trafficking_status")
    if row_dim not in exports.DIMENSIONS or col_dim not in exports.DIMENSIONS:
        row_dim, col_dim = "sector", "trafficking_status"
    k = exports.min_k()
    table = exports.count_table(scoping.statistics_cases_for(request.user), row_dim, col_dim, k)
    record(
        "export",
        user=request.user,
        object_type="case",
        via="web",
        request=request,
        detail={"table": [row_dim, col_dim], "k": k, "hidden": table["hidden"]},
    )
    body = [(label, row) for label, row in zip(table["rows"], table["cells"], strict=True)]
    return render(
        request,
        "vigil/statistics.html",
        {
            "table": table,
            "body": body,
            "dimensions": sorted(exports.DIMENSIONS),
            "row_dim": row_dim,
            "col_dim": col_dim,
            "k": k,
        },
    )


@_with_permission
def statistics_csv(request: HttpRequest) -> HttpResponse:
    _require(request, "stats.view")
    k = exports.min_k()
    text, n, n_suppressed = exports.microdata_csv(scoping.statistics_cases_for(request.user), k)
    record(
        "export",
        user=request.user,
        object_type="case",
        via="web",
        request=request,
        detail={"records": n, "suppressed": n_suppressed, "k": k, "columns": list(exports.COLUMNS)},
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="vigil-cases-htcds.csv"'
    return response


@_with_permission
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the identity of the person of a case (R12: correction)."""
    _require(request, "case.edit")
    case = _case_or_404(request, pk)
    if not scoping.can_edit_case(request.user, case):
        raise PermissionDeniedPage
    person = case.person
    form = PersonForm(request.POST or None, instance=person, prefix="person")
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            _audit(request, "update", person, fields=sorted(form.changed_data), case=case.pk)
        messages.success(request, _("Saved."))
        return redirect("web:case-detail", pk=case.pk)
    if request.method != "POST":
        _audit(request, "view", person, page="edit", case=case.pk)
    return render(request, "vigil/person_edit.html", {"case": case, "form": form})


@_with_permission
@require_POST
def referral_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    ref = get_object_or_404(scoping.referrals_for(request.user).select_related("case"), pk=pk)
    if not (request.user.can("referral.create") and scoping.can_edit_case(request.user, ref.case)):  # type: ignore[union-attr]
        raise PermissionDeniedPage
    try:
        referral_services.decide(
            ref, "revoke", request.user, reason=request.POST.get("reason", ""), via="web", request=request
        )
        messages.success(request, _("Referral revoked."))
    except referral_services.ReferralError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("web:case-detail", args=[ref.case_id]) + "#referrals")

"""Pages of the agency registry.

Public (no login, rate-limited, ``/public/...``): the licence check, the offer check, the complaint
form returning a receipt code, and the follow-up page by receipt code. They show registry data only
(agency, licence status, validity, sectors, countries): never complainants, complaints' contents,
cases or fee reports.

Regulator (``recruitment.view``; changes ``recruitment.manage``, ``/recruitment/...``): agencies,
one agency with its licences, sanctions, complaints and fee reports, the risk worklist, and the
review of complaints. Every read of a complaint is audited."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigil.errors import InputError
from vigil.recruitment.offers import NO_SIGN_MESSAGE
from vigil.server import scoping
from vigil.server.audit.log import record
from vigil.server.recruitment import services
from vigil.server.recruitment.forms import (
    CaseLinkForm,
    ComplaintReviewForm,
    FollowUpForm,
    ImportForm,
    InspectionForm,
    JobOfferForm,
    LicenceCheckForm,
    LicenceStatusForm,
    OfferCheckForm,
    OfferReviewForm,
    PublicComplaintForm,
)
from vigil.server.recruitment.models import OFFER_COSTS, Agency, AgencyReview, Complaint, JobOffer, Licence
from vigil.server.recruitment.public import public_page
from vigil.server.web.access import audit_page, page_view, require_capability

# Each warning sign in plain words, and what to ask before accepting.
SIGNS: dict[str, tuple[str, str]] = {
    "fee_charged": (
        gettext_lazy("The offer asks you to pay for the job (a fee, deposit, training or medical costs)."),
        gettext_lazy("Ask who pays each cost. Under fair recruitment, the employer pays, not you."),
    ),
    "travel_on_credit": (
        gettext_lazy("Travel, visa or housing are paid in advance and taken back from your wages."),
        gettext_lazy("Ask for the total you would owe and how it is repaid. A debt can trap you."),
    ),
    "documents_held": (
        gettext_lazy("Your passport or identity papers would be kept by someone else."),
        gettext_lazy("Never hand over your passport. Ask why it is needed and refuse."),
    ),
    "employer_unnamed": (
        gettext_lazy("The offer does not name the employer."),
        gettext_lazy("Ask for the employer's name and address and check that the company exists."),
    ),
    "location_vague": (
        gettext_lazy("The workplace is not said precisely (only a country or a region)."),
        gettext_lazy("Ask for the city and the address of the workplace."),
    ),
    "pay_unrealistic": (
        gettext_lazy("The pay promised is far above what this work usually pays."),
        gettext_lazy("Ask for the pay in writing, per hour or month, before and after deductions."),
    ),
    "appearance_demand": (
        gettext_lazy("The offer asks for looks, age, gender, marital status or photos."),
        gettext_lazy("Ask why this matters for the job. Such demands are a warning sign."),
    ),
    "pressure": (
        gettext_lazy("You are pushed to decide or pay quickly."),
        gettext_lazy("Take your time. A real employer lets you read the contract first."),
    ),
    "no_contract": (
        gettext_lazy("There is no written contract, or it would be signed only on arrival."),
        gettext_lazy("Ask for the contract in a language you read, before you leave."),
    ),
    "messaging_only": (
        gettext_lazy("The only contact is a phone number or a messaging app."),
        gettext_lazy("Ask for the company's address and registration number, and check them here."),
    ),
    "wage_deductions": (
        gettext_lazy("Food, housing, transport or equipment would be taken from your wages."),
        gettext_lazy("Ask how much is deducted each month and what remains for you."),
    ),
    "restricted_movement": (
        gettext_lazy("You would live on site with limited freedom, or could not change employer."),
        gettext_lazy("Ask whether you may leave the premises and keep your phone."),
    ),
}


def _public_agency(agency: object) -> dict[str, object]:
    """What the public pages may show of an agency: registry data only."""
    licence = agency.current_licence()  # type: ignore[attr-defined]
    return {
        "legal_name": agency.legal_name,  # type: ignore[attr-defined]
        "country": agency.country,  # type: ignore[attr-defined]
        "sectors": agency.sectors,  # type: ignore[attr-defined]
        "countries_served": agency.countries_served,  # type: ignore[attr-defined]
        "status": agency.licence_status(),  # type: ignore[attr-defined]
        "licence": licence,
    }


# --- public pages --------------------------------------------------------------------------------


@public_page
def licence_check(request: HttpRequest) -> HttpResponse:
    form = LicenceCheckForm(request.GET or None)
    results = None
    if form.is_valid():
        results = [_public_agency(a) for a in services.search_agencies(form.cleaned_data["q"])]
    return render(request, "recruitment/public_licence_check.html", {"form": form, "results": results})


@public_page
def offer_check(request: HttpRequest) -> HttpResponse:
    form = OfferCheckForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        screen, named = services.screen_offer_text(form.cleaned_data["text"])
        result = {
            "signs": [
                {"id": s, "meaning": SIGNS[s][0], "ask": SIGNS[s][1], "evidence": screen.evidence[s]}
                for s in screen.signs
            ],
            "none": NO_SIGN_MESSAGE if not screen.signs else "",
            "agencies": [_public_agency(a) for a in named],
            "version": screen.version,
        }
    return render(request, "recruitment/public_offer_check.html", {"form": form, "result": result})


@public_page
def complain(request: HttpRequest) -> HttpResponse:
    form = PublicComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        found = services.search_agencies(data["agency_name"], limit=1)
        with transaction.atomic():
            complaint = Complaint.objects.create(
                agency=found[0] if found else None,
                agency_name_given=data["agency_name"],
                complainant_type=data["complainant_type"],
                description=data["description"],
                contact=data["contact"].strip(),
                severity=Complaint.Severity.MEDIUM,
            )
            record(
                "create",
                obj=complaint,
                via="public",
                detail={"fields": sorted(k for k, v in data.items() if v)},
            )
        return render(
            request, "recruitment/public_receipt.html", {"code": complaint.receipt_code}, status=201
        )
    return render(request, "recruitment/public_complain.html", {"form": form})


@public_page
def follow_up(request: HttpRequest) -> HttpResponse:
    form = FollowUpForm(request.POST or None)
    complaint = None
    searched = False
    if request.method == "POST" and form.is_valid():
        searched = True
        complaint = services.complaint_by_receipt(form.cleaned_data["code"])
    return render(
        request,
        "recruitment/public_follow_up.html",
        {"form": form, "complaint": complaint, "searched": searched},
    )


def _offer_card(offer: JobOffer) -> dict[str, object]:
    """What the public list shows of an approved offer: the offer, its agency's licence status and
    the result of the offer check."""
    labels = {key: label for key, label, _ilo in OFFER_COSTS}
    return {
        "offer": offer,
        "agency": _public_agency(offer.agency),
        "costs": offer.cost_lines(),
        "signs": [{"id": s, "meaning": SIGNS[s][0], "ask": SIGNS[s][1]} for s in offer.signs if s in SIGNS],
        "owed": [labels[c["cost"]] for c in offer.worker_costs if c.get("breach") and c["cost"] in labels],
        "none": NO_SIGN_MESSAGE if not offer.signs else "",
    }


@public_page
def public_offers(request: HttpRequest) -> HttpResponse:
    """Verified job offers: approved by the regulator, of agencies whose licence is in force now."""
    offers = services.listed_offers()
    country = request.GET.get("country", "").strip().upper()[:3]
    if country:
        offers = offers.filter(country=country)
    page = Paginator(offers, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "recruitment/public_offers.html",
        {"page": page, "cards": [_offer_card(o) for o in page.object_list], "country": country},
    )


# --- regulator pages -----------------------------------------------------------------------------


@page_view
def agency_list(request: HttpRequest) -> HttpResponse:
    require_capability(request, "recruitment.view")
    qs = (
        services.agency_counts(scoping.agencies_for(request.user))
        .prefetch_related("licences")
        .order_by("legal_name", "id")
    )
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(legal_name__icontains=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "recruitment/agency_list.html", {"page": page, "q": q})


@page_view
def agency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "recruitment.view")
    agency = get_object_or_404(scoping.agencies_for(request.user), pk=pk)
    may_manage = request.user.can("recruitment.manage")  # type: ignore[union-attr]
    posted = request.POST.get("form", "status") if request.method == "POST" else ""
    status_form = LicenceStatusForm(request.POST if posted == "status" else None) if may_manage else None
    inspection_form = InspectionForm(request.POST if posted == "inspection" else None) if may_manage else None
    if request.method == "POST":
        require_capability(request, "recruitment.manage")
        if posted == "inspection" and inspection_form is not None and inspection_form.is_valid():
            inspection = inspection_form.save(commit=False)
            inspection.agency = agency
            inspection.recorded_by = request.user
            inspection.save()
            audit_page(request, "create", inspection, fields=sorted(inspection_form.changed_data))
            messages.success(request, _("Inspection recorded."))
            return redirect("recruitment:agency-detail", pk=agency.pk)
        if posted == "review_open":
            services.open_review(agency, user=request.user)
            messages.success(request, _("Review opened."))
            return redirect("recruitment:agency-detail", pk=agency.pk)
        if posted == "review_close":
            review = get_object_or_404(AgencyReview, pk=request.POST.get("review") or 0, agency=agency)
            try:
                services.close_review(review, request.POST.get("outcome", ""), user=request.user)
            except services.RecruitmentError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Review closed."))
            return redirect("recruitment:agency-detail", pk=agency.pk)
        if posted == "status":
            licence = get_object_or_404(Licence, pk=request.POST.get("licence") or 0, agency=agency)
            if status_form is not None and status_form.is_valid():
                try:
                    services.change_licence_status(
                        licence,
                        status_form.cleaned_data["status"],
                        reason=status_form.cleaned_data["reason"],
                        user=request.user,
                    )
                except services.RecruitmentError as exc:
                    status_form.add_error(exc.field if exc.field in status_form.fields else None, exc.message)
                else:
                    audit_page(request, "status", licence, to=status_form.cleaned_data["status"])
                    messages.success(request, _("Licence status changed."))
                    return redirect("recruitment:agency-detail", pk=agency.pk)
    risk_line = services.worklist(scoping.agencies_for(request.user).filter(pk=agency.pk))[0]
    complaints = list(agency.complaints.all())
    audit_page(request, "view", agency, complaints=[c.pk for c in complaints])
    listed = set(services.listed_offers().filter(agency=agency).values_list("pk", flat=True))
    return render(
        request,
        "recruitment/agency_detail.html",
        {
            "agency": agency,
            "licences": agency.licences.prefetch_related("history__by"),
            "sanctions": agency.sanctions.all(),
            "complaints": complaints,
            "fees": agency.fee_reports.all(),
            "offers": agency.offers.all(),
            "listed": listed,
            "inspections": agency.inspections.all(),
            "reviews": agency.reviews.all(),
            "review_outcomes": AgencyReview.Outcome.choices,
            "may_manage": may_manage,
            "linked_cases": getattr(risk_line.agency, "linked_case_count", 0),
            "trafficking_cases": getattr(risk_line.agency, "trafficking_case_count", 0),
            "risk": risk_line,
            "status_form": status_form,
            "inspection_form": inspection_form,
        },
    )


@page_view
def worklist(request: HttpRequest) -> HttpResponse:
    require_capability(request, "recruitment.view")
    lines = services.worklist(scoping.agencies_for(request.user))
    record(
        "worklist",
        user=request.user,
        object_type="agency",
        via="web",
        request=request,
        detail={"ids": [ln.agency.pk for ln in lines]},
    )
    return render(request, "recruitment/worklist.html", {"lines": lines})


@page_view
def complaint_list(request: HttpRequest) -> HttpResponse:
    require_capability(request, "recruitment.view")
    qs = scoping.complaints_for(request.user).select_related("agency")
    status = request.GET.get("status", "")
    if status in Complaint.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    record(
        "list",
        user=request.user,
        object_type="complaint",
        via="web",
        request=request,
        detail={"ids": [c.pk for c in page.object_list]},
    )
    return render(
        request,
        "recruitment/complaint_list.html",
        {"page": page, "statuses": Complaint.Status.choices, "status": status},
    )


@page_view
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "recruitment.view")
    complaint = get_object_or_404(scoping.complaints_for(request.user).select_related("agency"), pk=pk)
    may_manage = request.user.can("recruitment.manage")  # type: ignore[union-attr]
    form = ComplaintReviewForm(request.POST or None, instance=complaint) if may_manage else None
    if request.method == "POST":
        require_capability(request, "recruitment.manage")
        if form is not None and form.is_valid():
            form.save()
            audit_page(request, "update", complaint, fields=sorted(form.changed_data))
            messages.success(request, _("Complaint updated."))
            return redirect("recruitment:complaint-detail", pk=complaint.pk)
    audit_page(request, "view", complaint, fields=["agency_name_given", "contact", "description"])
    return render(request, "recruitment/complaint_detail.html", {"complaint": complaint, "form": form})


@page_view
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a licensing list, complaints or fee reports (CSV/XLSX): all rows or none."""
    require_capability(request, "recruitment.manage")
    from vigil.server.recruitment.imports import import_files

    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_files(
                form.cleaned_data["kind"],
                [(upload.name, upload.read())],
                user=request.user,
                via="web",
                request=request,
            )
        except InputError as exc:
            form.add_error("file", _("Nothing was stored: %(error)s") % {"error": str(exc)})
        else:
            messages.success(request, _("Imported: %(summary)s") % {"summary": result.summary()})
            return redirect("recruitment:import")
    return render(request, "recruitment/import.html", {"form": form}, status=400 if form.errors else 200)


@page_view
def offer_list(request: HttpRequest) -> HttpResponse:
    require_capability(request, "recruitment.view")
    qs = scoping.offers_for(request.user).select_related("agency")
    status = request.GET.get("status", "")
    if status in JobOffer.Status.values:
        qs = qs.filter(status=status)
    listed = set(services.listed_offers().values_list("pk", flat=True))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "recruitment/offer_list.html",
        {"page": page, "statuses": JobOffer.Status.choices, "status": status, "listed": listed},
    )


@page_view
def offer_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Record an offer an agency submitted (or change one: an approved offer goes back for
    approval)."""
    require_capability(request, "recruitment.manage")
    offer = get_object_or_404(scoping.offers_for(request.user), pk=pk) if pk else None
    form = JobOfferForm(request.POST or None, instance=offer)
    if request.method == "POST" and form.is_valid():
        was_approved = offer is not None and offer.status == JobOffer.Status.APPROVED
        with transaction.atomic():
            saved = form.save(commit=False)
            if was_approved and form.has_changed():
                saved.status = JobOffer.Status.SUBMITTED
            saved.save()
        audit_page(request, "update" if offer else "create", saved, fields=sorted(form.changed_data))
        messages.success(request, _("Offer saved. It is listed once approved."))
        return redirect("recruitment:offer-detail", pk=saved.pk)
    return render(request, "recruitment/offer_form.html", {"form": form, "offer": offer})


@page_view
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_capability(request, "recruitment.view")
    offer = get_object_or_404(scoping.offers_for(request.user).select_related("agency"), pk=pk)
    may_manage = request.user.can("recruitment.manage")  # type: ignore[union-attr]
    form = OfferReviewForm(request.POST or None) if may_manage else None
    if request.method == "POST":
        require_capability(request, "recruitment.manage")
        if form is not None and form.is_valid():
            decision = form.cleaned_data["decision"]
            try:
                services.review_offer(offer, decision, note=form.cleaned_data["note"], user=request.user)
            except services.RecruitmentError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                audit_page(request, decision, offer)
                messages.success(request, _("Decision recorded."))
                return redirect("recruitment:offer-detail", pk=offer.pk)
    card = _offer_card(offer)
    card["evidence"] = offer.evidence
    listed = services.listed_offers().filter(pk=offer.pk).exists()
    return render(
        request,
        "recruitment/offer_detail.html",
        {"offer": offer, "card": card, "form": form, "listed": listed},
        status=400 if form is not None and form.errors else 200,
    )


@page_view
def case_link(request: HttpRequest) -> HttpResponse:
    """Link a case (one the user may edit) to the agency that recruited the person; the
    regulator then sees the count on the agency page and in the worklist, never the case."""
    require_capability(request, "case.edit")
    cases = scoping.editable_cases_for(request.user).order_by("-id")
    initial = {"case": request.GET.get("case")} if request.GET.get("case", "").isdigit() else None
    form = CaseLinkForm(request.POST or None, cases=cases, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            link, created = services.link_case(
                form.cleaned_data["agency"], form.cleaned_data["case"], user=request.user
            )
        except services.RecruitmentError as exc:
            form.add_error("case", exc.message)
        else:
            if created:
                audit_page(request, "create", link, case=link.case_id, agency=link.agency_id)
            messages.success(request, _("The case is linked to the agency."))
            return redirect("recruitment:case-link")
    links = scoping.case_links_for(request.user).select_related("agency", "case")[:50]
    return render(request, "recruitment/case_link.html", {"form": form, "links": links})


@page_view
def case_agency_link(request: HttpRequest, pk: int) -> HttpResponse:
    """One click on the case page: link the case to a suggested agency (POST only). Only for
    someone who may edit the case; a case out of scope is unknown (404); audited."""
    require_capability(request, "case.edit")
    if request.method != "POST":
        return redirect("cases:case-detail", pk=pk)
    case = get_object_or_404(scoping.editable_cases_for(request.user), pk=pk)
    agency_id = request.POST.get("agency", "")
    agency = get_object_or_404(services.active_agencies(), pk=int(agency_id) if agency_id.isdigit() else 0)
    with transaction.atomic():
        link, created = services.link_case(agency, case, user=request.user)
        if created:
            audit_page(request, "create", link, case=case.pk, agency=agency.pk, via_suggestion=True)
    messages.success(request, _("The case is linked to the agency."))
    return redirect(reverse("cases:case-detail", args=[case.pk]) + "#agencies")


def _entry(agency: Agency) -> dict[str, object]:
    """One side of a name pair, with what helps a reviewer decide."""
    licence = agency.current_licence()
    return {
        "agency": agency,
        "status": agency.licence_status(),
        "licence": licence,
        "complaints": agency.complaints.count(),
        "fees": agency.fee_reports.count(),
        "offers": agency.offers.count(),
    }


@page_view
def name_review(request: HttpRequest) -> HttpResponse:
    """The name review queue: merge or separate pairs of entries that may be one agency; the
    decisions with their history, each with an undo."""
    require_capability(request, "recruitment.view")
    from vigil.server.recruitment.models import NamePair

    if request.method == "POST":
        require_capability(request, "recruitment.manage")
        what = request.POST.get("action", "")
        try:
            if what == "find":
                with transaction.atomic():
                    n = services.find_name_pairs()
                record(
                    "find",
                    user=request.user,
                    object_type="name_pair",
                    via="web",
                    request=request,
                    detail={"new_pairs": n},
                )
                messages.success(request, _("%(n)d new pair(s) to review.") % {"n": n})
                return redirect("recruitment:name-review")
            pair = get_object_or_404(scoping.name_pairs_for(request.user), pk=request.POST.get("pair") or 0)
            if what in ("keep_a", "keep_b"):
                keep = pair.agency_a if what == "keep_a" else pair.agency_b
                services.merge_pair(pair, keep=keep, user=request.user)
                audit_page(request, "merge", pair, kept=keep.pk)
                messages.success(request, _("Merged into %(name)s.") % {"name": keep.legal_name})
            elif what == "separate":
                services.separate_pair(pair, user=request.user)
                audit_page(request, "separate", pair)
                messages.success(request, _("Kept as separate agencies."))
            elif what == "undo":
                services.undo_pair(pair, user=request.user)
                audit_page(request, "undo", pair)
                messages.success(request, _("Decision undone: the pair is back in the queue."))
            else:
                messages.error(request, _("Unknown action."))
        except services.RecruitmentError as exc:
            messages.error(request, exc.message)
        return redirect("recruitment:name-review")
    queue = [
        {"pair": p, "a": _entry(p.agency_a), "b": _entry(p.agency_b)} for p in services.review_queue()[:50]
    ]
    decided = (
        scoping.name_pairs_for(request.user)
        .exclude(status=NamePair.Status.PENDING)
        .select_related("agency_a", "agency_b", "kept")
        .prefetch_related("events__by")
        .order_by("-id")[:50]
    )
    return render(request, "recruitment/name_review.html", {"queue": queue, "decided": decided})

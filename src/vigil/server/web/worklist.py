"""The home page's work list: what needs the signed-in user today, each line one click from the
action. Only references, dates and kinds are shown (no name or other identifying data), all read
through ``vigil.server.scoping`` so a user sees only what the lists would show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vigil.server import scoping
from vigil.server.cases.models import Case, RetentionPolicy, Screening
from vigil.server.referrals.models import Referral

LIMIT = 20  # lines per section; the section links to the full list
SOON = 30  # days before the retention date that a closed case is listed


@dataclass
class Line:
    case_id: int
    reference: str
    what: str
    when: date | None
    url: str
    action: str
    kind: str = "case"  # what case_id is the id of: a case, or a visit, plan or alert


@dataclass
class Section:
    key: str
    title: Any
    lines: list[Line] = field(default_factory=list)
    total: int = 0
    more_url: str = ""


def work_for(user: Any, today: date) -> list[Section]:
    sections = [
        _overdue_followups(user, today),
        _waiting_referrals(user),
        _insufficient_screenings(user),
        _emergency_alerts(user),
        _near_retention(user, today),
        _overdue_milestones(user, today),
        _visits_due(user, today),
        _open_alerts(user, today),
    ]
    return [s for s in sections if s is not None]


def _section(key: str, title: Any, qs: Any, line: Any, more_url: str = "") -> Section:
    rows = list(qs[:LIMIT])
    total = qs.count() if len(rows) == LIMIT else len(rows)
    return Section(key, title, [line(r) for r in rows], total, more_url)


def _overdue_followups(user: Any, today: date) -> Section | None:
    if not user.can("case.view"):
        return None
    qs = scoping.followups_for(user).filter(done_on__isnull=True, due_on__lt=today).select_related("case")
    return _section(
        "followups",
        _("Overdue follow-ups"),
        qs.order_by("due_on", "id"),
        lambda f: Line(
            f.case_id,
            f.case.reference,
            str(f.get_kind_display()),
            f.due_on,
            reverse("cases:case-detail", args=[f.case_id]) + "#followups",
            str(_("Record it")),
        ),
        reverse("followups:followup-worklist"),
    )


def _waiting_referrals(user: Any) -> Section | None:
    if not user.can("case.view"):
        return None
    qs = (
        scoping.referrals_for(user)
        .filter(status=Referral.Status.PENDING, case__in=scoping.cases_for(user))
        .select_related("case", "provider")
        .order_by("created_at", "id")
    )
    return _section(
        "referrals",
        _("Referrals waiting for an answer"),
        qs,
        lambda r: Line(
            r.case_id,
            r.case.reference,
            str(r.provider.name),
            r.created_at.date(),
            reverse("cases:case-detail", args=[r.case_id]) + "#referrals",
            str(_("Open the referral")),
        ),
    )


def _insufficient_screenings(user: Any) -> Section | None:
    if not user.can("case.view"):
        return None
    newer = Screening.objects.filter(case=OuterRef("case"), created_at__gt=OuterRef("created_at"))
    qs = (
        scoping.screenings_for(user)
        .filter(outcome="insufficient")
        .exclude(case__status__in=[Case.Status.CLOSED, Case.Status.CLOSED_REFERRED])
        .exclude(Exists(newer))
        .select_related("case")
        .order_by("updated_at", "id")
    )
    from vigil.server.cases.screening import ruleset_title

    return _section(
        "screenings",
        _("Screenings left insufficient"),
        qs,
        lambda s: Line(
            s.case_id,
            s.case.reference,
            ruleset_title(s.ruleset),
            s.updated_at.date(),
            reverse("cases:screening-guided", args=[s.pk]),
            str(_("Continue the interview")),
        ),
    )


def _emergency_alerts(user: Any) -> Section | None:
    from vigil.server.emergency import services

    qs = services.alerts_for(user).order_by("granted_at", "id")
    return _section(
        "emergency",
        _("Emergency access to your cases, not yet acknowledged"),
        qs,
        lambda g: Line(
            g.case_id,
            g.case.reference,
            str(g.user),
            g.granted_at.date(),
            reverse("emergency:list"),
            str(_("Review and acknowledge")),
        ),
        reverse("emergency:list"),
    )


def _near_retention(user: Any, today: date) -> Section | None:
    if not user.can("case.view"):
        return None
    days = RetentionPolicy.days_for("closed_case")
    qs = (
        scoping.cases_for(user)
        .filter(
            status__in=[Case.Status.CLOSED, Case.Status.CLOSED_REFERRED],
            closed_on__isnull=False,
            anonymised_at__isnull=True,
            legal_hold=False,
            closed_on__lte=today - timedelta(days=days - SOON),
        )
        .order_by("closed_on", "id")
    )
    return _section(
        "retention",
        _("Closed cases near their retention date"),
        qs,
        lambda c: Line(
            c.pk,
            c.reference,
            str(_("anonymised after the retention period")),
            c.closed_on + timedelta(days=days),
            reverse("cases:case-detail", args=[c.pk]),
            str(_("Check the case or set a legal hold")),
        ),
    )


def _overdue_milestones(user: Any, today: date) -> Section | None:
    from vigil.server.supply.worklist import overdue_section

    return overdue_section(user, today)


def _visits_due(user: Any, today: date) -> Section | None:
    from vigil.server.inspections.worklist import visits_due_section

    return visits_due_section(user, today)


def _open_alerts(user: Any, today: date) -> Section | None:
    from vigil.server.national.worklist import open_alerts_section

    return open_alerts_section(user, today)

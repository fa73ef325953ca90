"""Access review from the audit log: who accessed record X, which records user Y accessed, and who
accessed any case of a breach during its window. Used by the pages, the API and the CSV downloads;
each query is itself audited (``access_review``).

Cost on a log of millions of entries:

- entries *about* a case or its person are found through the ``(object_type, object_id)`` index,
  restricted to the period by ``at``: cheap whatever the period;
- entries of *lists and searches* (``object_id`` empty, the records shown in ``detail.ids``) cannot
  be indexed portably (SQLite has no JSON containment; PostgreSQL would need a GIN index on
  ``detail``). They are read through the ``at`` index for the period only — the id and the ids
  list, in chunks — and matched here, so the cost grows with the number of list entries in the
  period. That is why a period is bounded (``VIGIL_ACCESS_REVIEW_MAX_DAYS``, 93 by default); on
  PostgreSQL, for a handful of cases, the database does the matching (``@>``);
- "records accessed by user Y" filters on ``actor_id`` within the period (``at`` index first).

Scope: a reviewer sees the entries ``scoping.audit_for`` gives them. In addition, for a case in the
reviewer's scope, list entries that *showed that case* are included whoever the actor (a user of
another organisation with an emergency grant or national scope): an access to your organisation's
record is yours to see. Only that the entry showed the case is reported, never its other ids.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vigil.io.spreadsheet import formula_safe
from vigil.server import scoping
from vigil.server.accounts.models import Scope
from vigil.server.api.params import parse_id
from vigil.server.audit.log import record
from vigil.server.audit.models import AuditEntry
from vigil.server.breaches import conf
from vigil.server.breaches.models import BreachIncident
from vigil.server.breaches.services import BreachError, visible_cases
from vigil.server.cases.models import Case

LIST_ACTIONS = ("list", "search")
READ_ACTIONS = frozenset({"view", "list", "search", "export"})
CHUNK = 5000
# On PostgreSQL, let the database match list entries (jsonb @>) when this few cases are reviewed.
PG_CONTAINS_MAX = 20


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive
    first_day: date
    last_day: date
    clipped: bool = False

    def as_detail(self) -> dict[str, str]:
        return {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def period_of_days(first: date, last: date, *, clipped: bool = False) -> Period:
    return Period(_day_start(first), _day_start(last + timedelta(days=1)), first, last, clipped)


def _parse_day(raw: str | None, name: str) -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise BreachError(name, _("Use an ISO 8601 date (YYYY-MM-DD).")) from None


def parse_period(raw_from: str | None, raw_to: str | None) -> Period:
    """From ``from`` and ``to`` (dates, both days included; default: the last 30 days to today)."""
    last = _parse_day(raw_to, "to") or timezone.localdate()
    first = _parse_day(raw_from, "from") or last - timedelta(days=conf.review_default_days() - 1)
    if first > last:
        raise BreachError("from", _("The start must not be after the end."))
    days = (last - first).days + 1
    if days > conf.review_max_days():
        raise BreachError(
            "from",
            _("A review covers at most %(n)s days; split the period (this one has %(days)s).")
            % {"n": conf.review_max_days(), "days": days},
        )
    return period_of_days(first, last)


def incident_period(incident: BreachIncident) -> Period:
    """The incident's window: ``occurred_from`` .. ``occurred_to`` (or the discovery); without a
    start, the default number of days before; clipped to the longest period allowed."""
    end = timezone.localtime(incident.occurred_to or incident.discovered_at).date()
    start_at = incident.occurred_from
    first = (
        timezone.localtime(start_at).date()
        if start_at
        else end - timedelta(days=conf.review_default_days() - 1)
    )
    clipped = (end - first).days + 1 > conf.review_max_days()
    if clipped:
        first = end - timedelta(days=conf.review_max_days() - 1)
    return period_of_days(min(first, end), end, clipped=clipped)


# --- who may review what -------------------------------------------------------------------------
def may_review(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.can("audit.view"))


def reviewable_cases(user: Any) -> QuerySet[Case]:
    """Cases whose accesses the user may review: all (scope *all*), else their scope's cases."""
    if not may_review(user):
        return Case.objects.none()
    if user.scope == Scope.ALL:
        return Case.objects.all()
    if user.scope == Scope.ORGANISATION and user.organisation_id:
        return Case.objects.filter(organisation_id=user.organisation_id)
    return scoping.cases_in_scope_for(user)


def reviewable_users(user: Any) -> QuerySet[Any]:
    """Users whose activity the user may review: all (scope *all*), else their organisation's."""
    users = get_user_model().objects.all()
    if not may_review(user):
        return users.none()
    if user.scope == Scope.ALL:
        return users
    if user.organisation_id:
        return users.filter(organisation_id=user.organisation_id)
    return users.filter(pk=user.pk)


def find_case(user: Any, token: str) -> Case | None:
    """A reviewable case by id or reference; ``None`` when unknown *or* out of scope (the caller
    answers 404 either way, so nothing says whether the case exists)."""
    token = (token or "").strip()
    if not token:
        return None
    cases = reviewable_cases(user)
    if (pk := parse_id(token)) is not None:
        found = cases.filter(pk=pk).first()
        if found is not None:
            return found
    return cases.filter(reference=token.upper()).first()


# --- who accessed record X -----------------------------------------------------------------------
@dataclass
class AccessRow:
    entry_id: int
    at: datetime
    actor_id: int | None
    actor_username: str
    action: str
    object_type: str
    object_id: str
    via: str
    ip: str | None
    reason: str
    match: str  # "case", "person" or "list"
    case_ids: list[int] = field(default_factory=list)
    case_references: list[str] = field(default_factory=list)


@dataclass
class Review:
    period: Period
    rows: list[Any]
    truncated: bool = False
    list_entries_scanned: int = 0
    cases: list[Case] = field(default_factory=list)


def _ids(value: Any) -> set[int]:
    if not isinstance(value, list):
        return set()
    out: set[int] = set()
    for v in value:
        if isinstance(v, int) and not isinstance(v, bool):
            out.add(v)
        elif isinstance(v, str) and v.isdigit():
            out.add(int(v))
    return out


def _list_entries_naming(
    period: Period, case_ids: set[int], person_cases: dict[int, set[int]]
) -> tuple[dict[int, set[int]], int]:
    """``{entry id: case ids it showed}`` for list/search entries of the period, and how many list
    entries were read. Not scoped by actor: see the module's docstring."""
    base = AuditEntry.objects.filter(
        at__gte=period.start, at__lt=period.end, object_id="", action__in=LIST_ACTIONS
    )
    if connection.vendor == "postgresql" and len(case_ids) + len(person_cases) <= PG_CONTAINS_MAX:
        q = Q(pk__in=[])
        for cid in case_ids:
            q |= Q(object_type="case", detail__ids__contains=[cid])
        for pid in person_cases:
            q |= Q(object_type="person", detail__ids__contains=[pid])
        base = base.filter(q)
    else:
        base = base.filter(object_type__in=("case", "person"))
    found: dict[int, set[int]] = {}
    scanned = 0
    for entry_id, object_type, ids in base.values_list("id", "object_type", "detail__ids").iterator(
        chunk_size=CHUNK
    ):
        scanned += 1
        shown = _ids(ids)
        if object_type == "case":
            hit = shown & case_ids
        else:
            hit = set().union(*(person_cases[p] for p in shown if p in person_cases))
        if hit:
            found[entry_id] = hit
    return found, scanned


def _who_accessed(user: Any, cases: list[Case], period: Period) -> Review:
    case_ids = {c.pk for c in cases}
    references = {c.pk: c.reference for c in cases}
    person_cases: dict[int, set[int]] = {}
    for c in cases:
        person_cases.setdefault(c.person_id, set()).add(c.pk)
    limit = conf.review_max_rows()
    direct = (
        scoping.audit_for(user)
        .filter(at__gte=period.start, at__lt=period.end)
        .filter(
            Q(object_type="case", object_id__in=[str(i) for i in case_ids])
            | Q(object_type="person", object_id__in=[str(i) for i in person_cases])
        )
        .order_by("at", "id")
    )
    direct_rows = list(direct[: limit + 1])
    listed, scanned = _list_entries_naming(period, case_ids, person_cases)
    list_rows = list(AuditEntry.objects.filter(pk__in=sorted(listed)[: limit + 1]).order_by("at", "id"))
    rows: list[AccessRow] = []
    for e in direct_rows:
        hit = {int(e.object_id)} if e.object_type == "case" else person_cases.get(int(e.object_id), set())
        rows.append(_row(e, e.object_type, hit, references))
    rows.extend(_row(e, "list", listed[e.pk], references) for e in list_rows)
    rows.sort(key=lambda r: (r.at, r.entry_id))
    truncated = len(rows) > limit
    return Review(period, rows[:limit], truncated, scanned, cases)


def _row(e: AuditEntry, match: str, case_ids: set[int], references: dict[int, str]) -> AccessRow:
    ids = sorted(case_ids)
    return AccessRow(
        entry_id=e.pk,
        at=e.at,
        actor_id=e.actor_id,
        actor_username=e.actor_username,
        action=e.action,
        object_type=e.object_type,
        object_id=e.object_id,
        via=e.via,
        ip=e.ip,
        reason=e.reason,
        match=match,
        case_ids=ids,
        case_references=[references[i] for i in ids if i in references],
    )


def who_accessed_case(user: Any, case: Case, period: Period, *, via: str, request: Any = None) -> Review:
    """Every entry on the case, on its person, and every list or search that showed either."""
    review = _who_accessed(user, [case], period)
    record(
        "access_review",
        user=user,
        object_type="audit",
        via=via,
        request=request,
        detail={"case": case.pk, **period.as_detail(), "entries": len(review.rows)},
    )
    return review


def who_accessed_incident(
    user: Any, incident: BreachIncident, *, via: str, request: Any = None, period: Period | None = None
) -> Review:
    """Who accessed any affected case (that the user may see) during the incident's window."""
    period = period or incident_period(incident)
    cases = list(visible_cases(user, incident).order_by("id"))
    review = _who_accessed(user, cases, period) if cases else Review(period, [], cases=[])
    record(
        "access_review",
        user=user,
        object_type="breach",
        object_id=incident.pk,
        via=via,
        request=request,
        detail={"cases": [c.pk for c in cases], **period.as_detail(), "entries": len(review.rows)},
    )
    return review


# --- records accessed by user Y ------------------------------------------------------------------
@dataclass
class RecordRow:
    object_type: str  # "case" or "person"
    object_id: int
    references: list[str]
    reads: int = 0
    changes: int = 0
    listed: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None

    def seen(self, at: datetime) -> None:
        self.first_at = at if self.first_at is None or at < self.first_at else self.first_at
        self.last_at = at if self.last_at is None or at > self.last_at else self.last_at


def records_accessed_by(user: Any, target: Any, period: Period, *, via: str, request: Any = None) -> Review:
    """Cases and persons ``target`` viewed, changed or saw in a list during the period, with counts."""
    entries = (
        scoping.audit_for(user)
        .filter(
            at__gte=period.start, at__lt=period.end, actor_id=target.pk, object_type__in=("case", "person")
        )
        .order_by("id")
        .values_list("at", "action", "object_type", "object_id", "detail__ids")
    )
    rows: dict[tuple[str, int], RecordRow] = {}

    def row(kind: str, pk: int) -> RecordRow:
        return rows.setdefault((kind, pk), RecordRow(kind, pk, []))

    n = 0
    for at, action, object_type, object_id, ids in entries.iterator(chunk_size=CHUNK):
        n += 1
        if object_id:
            if not object_id.isdigit():
                continue
            r = row(object_type, int(object_id))
            if action in READ_ACTIONS:
                r.reads += 1
            else:
                r.changes += 1
            r.seen(at)
        elif action in LIST_ACTIONS:
            for pk in _ids(ids):
                r = row(object_type, pk)
                r.listed += 1
                r.seen(at)
    _attach_references(rows.values())
    ordered = sorted(
        rows.values(), key=lambda r: (r.object_type, -(r.reads + r.changes), -r.listed, r.object_id)
    )
    limit = conf.review_max_rows()
    record(
        "access_review",
        user=user,
        object_type="audit",
        via=via,
        request=request,
        detail={"user": target.pk, **period.as_detail(), "entries": n, "records": len(ordered)},
    )
    return Review(period, ordered[:limit], len(ordered) > limit)


def _attach_references(rows: Iterable[RecordRow]) -> None:
    rows = list(rows)
    case_ids = [r.object_id for r in rows if r.object_type == "case"]
    person_ids = [r.object_id for r in rows if r.object_type == "person"]
    by_case = dict(Case.objects.filter(pk__in=case_ids).values_list("id", "reference"))
    by_person: dict[int, list[str]] = {}
    for pid, ref in Case.objects.filter(person_id__in=person_ids).values_list("person_id", "reference"):
        by_person.setdefault(pid, []).append(ref)
    for r in rows:
        if r.object_type == "case":
            r.references = [by_case[r.object_id]] if r.object_id in by_case else []
        else:
            r.references = sorted(by_person.get(r.object_id, []))


# --- CSV -----------------------------------------------------------------------------------------
def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for r in rows:
        writer.writerow([formula_safe(v) for v in r])
    return out.getvalue()


def access_csv(review: Review) -> str:
    return _csv(
        [
            "entry",
            "at",
            "user_id",
            "user",
            "action",
            "object_type",
            "object_id",
            "match",
            "cases",
            "via",
            "ip",
            "reason",
        ],
        (
            [
                r.entry_id,
                r.at,
                r.actor_id,
                r.actor_username,
                r.action,
                r.object_type,
                r.object_id,
                r.match,
                " ".join(r.case_references),
                r.via,
                r.ip,
                r.reason,
            ]
            for r in review.rows
        ),
    )


def records_csv(review: Review) -> str:
    return _csv(
        ["object_type", "object_id", "cases", "reads", "changes", "listed", "first_at", "last_at"],
        (
            [
                r.object_type,
                r.object_id,
                " ".join(r.references),
                r.reads,
                r.changes,
                r.listed,
                r.first_at,
                r.last_at,
            ]
            for r in review.rows
        ),
    )

"""Cached indicator results of the dashboards, invalidated when the data they are made of change.

Computing the indicator set reads every source (cases, screenings, referrals, follow-ups, stages,
agencies, licences, sanctions, complaints, inspections) and aggregates it: on a large register,
seconds. A dashboard, a pivot table and the API ask for the same figures again and again; they
now come from Django's cache.

**Key.** One entry per *scope*, period, k and indicator list. The scope is the SQL (with its
parameters) of the queryset of cases the user's figures are made of (``services.cases_of``), with
the user's role: two users share an entry only when their figures are computed over exactly the
same cases by the same role; a supervisor's figures over their own cases and a coordinator's over
the consented cases are different entries, and so are two caseworkers' or two organisations'.
Nobody reads a cell computed over cases outside their own scope.

**Invalidation.** Every key carries a *generation*, stored in the cache. Saving or deleting a
record of an app the figures read (cases and persons, consents, screenings, stages, referrals,
follow-ups, the recruitment register, inspections, organisations and users: a change of scope)
moves the generation on, in the same cache, at once and again at commit: every entry becomes
unreachable at once.
Bulk writes that send no signal (``QuerySet.update``, ``bulk_create``) are bounded by the entries'
lifetime, ``VIGIL_INDICATOR_CACHE_SECONDS`` (300 s by default; 0 turns the cache off).

With several application servers, configure a shared cache (``CACHES``, e.g. Redis or
memcached) so that a change on one server invalidates the others' entries too; with the default
per-process cache each process keeps (and invalidates) its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save

GENERATION_KEY = "vigil:national:generation"
# the apps whose records the figures (or the scopes they are computed over) are made of
SOURCE_APPS = frozenset(
    {"cases", "referrals", "followups", "recruitment", "inspections", "accounts", "emergency"}
)

T = TypeVar("T")


def lifetime() -> int:
    return int(getattr(settings, "VIGIL_INDICATOR_CACHE_SECONDS", 300))


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def invalidate() -> None:
    """Every cached figure is out of date (a source record changed)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet, or evicted: a new generation all the same
        cache.set(GENERATION_KEY, generation() + 1, timeout=None)


def scope_key(role: str, cases: QuerySet[Any]) -> str:
    """The digest of the role and the SQL of the cases a user's figures are made of."""
    try:
        sql, params = cases.query.sql_with_params()
    except Exception:  # an empty queryset (``.none()``) compiles to nothing
        sql, params = "none", ()
    text = f"{role}\x1f{sql}\x1f{params!r}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached(scope: str, parts: tuple[Any, ...], build: Callable[[], T]) -> T:
    """``build()`` once per scope, parts and generation (while the entry lives)."""
    seconds = lifetime()
    if seconds <= 0:
        return build()
    detail = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]
    key = f"vigil:national:{generation()}:{scope}:{detail}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout=seconds)
    return value  # type: ignore[no-any-return]


def _changed(sender: type, **_kwargs: Any) -> None:
    if sender._meta.app_label in SOURCE_APPS:
        # now (this transaction's own later reads), and again at commit: a request computing
        # in between read the data before the commit and cached them under the new generation
        invalidate()
        transaction.on_commit(invalidate)


def connect() -> None:
    """Invalidate on every save and delete of a source app's record (called once, at start)."""
    post_save.connect(_changed, dispatch_uid="vigil.national.cache.save")
    post_delete.connect(_changed, dispatch_uid="vigil.national.cache.delete")

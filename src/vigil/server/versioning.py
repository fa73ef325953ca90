"""No lost updates: optimistic versioning for every record edited through the API or the pages.

A model that mixes in ``Versioned`` carries a ``version`` (1 when created, +1 on every write).

* ``obj.save_versioned(expected_version, fields)`` writes *only* ``fields`` (plus ``version + 1``,
  ``updated_at`` if the model has it, and the columns derived from the fields written) in ONE
  conditional ``UPDATE ... WHERE id = %s AND version = %s``. Of many concurrent saves from the
  same version exactly one wins; the others raise ``StaleEdit`` (HTTP 409, a form error on a page)
  and nothing is overwritten.
* Derived columns (``Person``'s blind indexes) are declared in ``DERIVED``: when a field they
  depend on is written, their other inputs are re-read *in the same transaction, under a row lock,
  from the row at the expected version* (``SELECT ... FOR UPDATE WHERE version = expected``), so
  an update of ``given_name`` computes ``name_index`` from the stored ``family_name`` of exactly
  the version the UPDATE is conditioned on — never from a stale copy in memory.
* ``transition(obj, changes, expected_version=None, **when)`` is the same conditional UPDATE for
  state changes made by services (a referral accepted, a consent withdrawn, a request closed):
  ``when`` is the state the caller checked (``status="pending"``, ``withdrawn_on__isnull=True``),
  so two concurrent transitions cannot both succeed; the loser gets ``StaleEdit``.
* ``lock(obj, expected_version=None, **when)`` is for longer steps (an erasure, a breach status
  change that also writes a history row, a merge into stored answers): inside
  ``transaction.atomic()`` it re-reads the row with ``SELECT ... FOR UPDATE`` if it is still at the
  expected version and state; the rest of the step then works on a row nobody else can change.
* A plain ``save()`` of an existing row also increments the version (``version = version + 1``
  in the UPDATE), so a versioned save based on a version read before it is refused too.

Messages name versions and ids only, never a value of the record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

__all__ = ["Derived", "StaleEdit", "Versioned", "current_version", "lock", "transition"]

V = TypeVar("V", bound="Versioned")


class StaleEdit(Exception):
    """A write based on a version of the record that someone else has changed since."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"record changed since it was read (now at version {current_version})")
        self.current_version = current_version


@dataclass(frozen=True)
class Derived:
    """A column computed from others by ``save()``: ``compute(*values of inputs)``."""

    inputs: tuple[str, ...]
    compute: Callable[..., Any]


class Versioned(models.Model):
    """Abstract mixin: a ``version`` column and the conditional writes that use it."""

    version = models.PositiveIntegerField(default=1, editable=False)

    #: Fields ``save_versioned`` may write; ``None``: every concrete field except the primary
    #: key, ``version``, derived columns and automatic timestamps.
    EDITABLE: ClassVar[tuple[str, ...] | None] = None
    #: Columns ``save()`` computes from other fields: {column: Derived(inputs, compute)}.
    DERIVED: ClassVar[Mapping[str, Derived]] = {}

    class Meta:
        abstract = True

    # --- plain saves ---------------------------------------------------------------------------
    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding or self.pk is None or kwargs.get("force_insert")
        if adding:
            super().save(*args, **kwargs)
            return
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "version"}
        before = self.version
        self.version = F("version") + 1  # type: ignore[assignment]
        try:
            super().save(*args, **kwargs)
        except BaseException:
            self.version = before
            raise
        # In memory: the version this save produced if nobody wrote in between; if someone did,
        # the next versioned save from it is refused, which is the safe direction.
        self.version = (before or 0) + 1

    # --- versioned partial update --------------------------------------------------------------
    @classmethod
    def versioned_fields(cls) -> set[str]:
        if cls.EDITABLE is not None:
            return set(cls.EDITABLE)
        out = set()
        for f in cls._meta.concrete_fields:
            if f.primary_key or f.name == "version" or f.name in cls.DERIVED:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                continue
            out.add(f.name)
        return out

    @classmethod
    def _has_updated_at(cls) -> bool:
        try:
            return bool(getattr(cls._meta.get_field("updated_at"), "auto_now", False))
        except FieldDoesNotExist:
            return False

    def save_versioned(self, expected_version: int, fields: Mapping[str, Any]) -> None:
        """Write only ``fields``, and only if the stored version is still ``expected_version``.

        Raises ``StaleEdit(current_version)`` otherwise (nothing written), ``ValueError`` for a
        field that is not editable this way.
        """
        fields = dict(fields)
        unknown = set(fields) - self.versioned_fields()
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        model = type(self)
        now = timezone.now()
        values: dict[str, Any] = dict(fields)
        if self._has_updated_at():
            values["updated_at"] = now
        with transaction.atomic():
            derived = {name: d for name, d in self.DERIVED.items() if set(d.inputs) & set(fields)}
            if derived:
                # The other inputs of a derived column, as stored at the expected version, under
                # a row lock (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers).
                needed = sorted({i for d in derived.values() for i in d.inputs} - set(fields))
                row = (
                    model._base_manager.select_for_update()
                    .filter(pk=self.pk, version=expected_version)
                    .values(*needed)
                    .first()
                )
                if row is None:
                    raise StaleEdit(current_version(model, self.pk))
                state = {**row, **fields}
                for name, d in derived.items():
                    values[name] = d.compute(*(state[i] for i in d.inputs))
            updated = model._base_manager.filter(pk=self.pk, version=expected_version).update(
                **values, version=F("version") + 1
            )
            if not updated:
                raise StaleEdit(current_version(model, self.pk))
        for name, value in values.items():
            setattr(self, name, value)
        self.version = expected_version + 1


def current_version(model: type[models.Model], pk: Any) -> int:
    """The stored version (0 when the row is gone)."""
    found = model._base_manager.filter(pk=pk).values_list("version", flat=True).first()
    return int(found or 0)


def _conditions(obj: Versioned, expected_version: int | None, when: Mapping[str, Any]) -> Q:
    q = Q(pk=obj.pk, **when)
    if expected_version is not None:
        q &= Q(version=expected_version)
    return q


def transition(
    obj: V,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    **when: Any,
) -> V:
    """One conditional UPDATE of ``changes`` (+ version, ``updated_at``) where the row is still in
    the state ``when`` (lookups, e.g. ``status="pending"``) and, if given, at ``expected_version``.

    Raises ``StaleEdit(current_version)`` when it is not (nothing written). Derived columns are not
    recomputed here: transitions change state fields, use ``save_versioned`` for identity fields.
    """
    model = type(obj)
    values = dict(changes)
    clash = set(values) & set(obj.DERIVED)
    if clash:
        raise ValueError(f"derived columns are written by save_versioned: {sorted(clash)}")
    if obj._has_updated_at():
        values["updated_at"] = timezone.now()
    updated = model._base_manager.filter(_conditions(obj, expected_version, when)).update(
        **values, version=F("version") + 1
    )
    if not updated:
        raise StaleEdit(current_version(model, obj.pk))
    for name, value in values.items():
        setattr(obj, name, value)
    obj.version = current_version(model, obj.pk)
    return obj


def lock(obj: V, *, expected_version: int | None = None, **when: Any) -> V:
    """Re-read ``obj`` under a row lock for a multi-step change, inside ``transaction.atomic()``.

    ``SELECT ... FOR UPDATE`` of the row if it is still at ``expected_version`` (when given) and in
    the state ``when``; ``obj`` is refreshed from it, so the caller decides on the stored state
    and no concurrent step can interleave (PostgreSQL holds the lock until commit; SQLite's
    IMMEDIATE transactions serialise writers). Raises ``StaleEdit`` otherwise. Write afterwards
    with ``save_versioned(obj.version, ...)``, ``transition(..., expected_version=obj.version)``
    or a plain ``save()`` (which bumps the version).
    """
    from django.db import connection

    if not connection.in_atomic_block:
        raise RuntimeError("versioning.lock() must run inside transaction.atomic()")
    model = type(obj)
    rows = model._base_manager.select_for_update().filter(_conditions(obj, expected_version, when))
    try:
        obj.refresh_from_db(from_queryset=rows)
    except model.DoesNotExist:
        raise StaleEdit(current_version(model, obj.pk)) from None
    return obj

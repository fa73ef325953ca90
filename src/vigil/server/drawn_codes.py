"""Saving a new row under a random code (case reference, breach reference, complaint receipt):
draw, insert, and draw again when another row already holds the code."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, models, transaction


def save_with_drawn_code(
    instance: models.Model, field: str, draw: Callable[[], str], save: Callable[[], None], attempts: int = 5
) -> None:
    """Set ``field`` from ``draw()`` and ``save()``; on a clash of that code, draw again."""
    for _attempt in range(attempts):
        setattr(instance, field, draw())
        try:
            with transaction.atomic():
                save()
            return
        except IntegrityError:
            if type(instance)._default_manager.filter(**{field: getattr(instance, field)}).exists():
                continue
            raise
    raise IntegrityError(f"could not draw a unique {field}")

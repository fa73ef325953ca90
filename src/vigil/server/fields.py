"""Django side of field encryption: the process keyring and an encrypted text field."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldError
from django.core.signals import setting_changed
from django.db import models

from vigil.server.crypto import Keyring


@cache
def keyring() -> Keyring:
    return Keyring.from_spec(settings.VIGIL_FIELD_KEYS, settings.VIGIL_INDEX_KEY)


def _reset_keyring(*, setting: str, **_: Any) -> None:
    if setting in {"VIGIL_FIELD_KEYS", "VIGIL_INDEX_KEY"}:
        keyring.cache_clear()


setting_changed.connect(_reset_keyring)


class EncryptedTextField(models.TextField):
    """Text encrypted with AES-GCM before it reaches the database; ``""`` stays ``""``.

    The associated data is ``<app>.<model>.<field>``, so ciphertexts cannot be moved between
    columns. The database cannot filter on it: use a blind-index column for exact matches.
    """

    description = "Text encrypted at rest (AES-256-GCM)"

    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return keyring().decrypt(value, self.context())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return keyring().encrypt(str(value), self.context())

    def get_lookup(self, lookup_name: str):  # type: ignore[no-untyped-def]
        if lookup_name != "isnull":
            raise FieldError(f"{self.name} is encrypted: filter on its blind index, not with '{lookup_name}'")
        return super().get_lookup(lookup_name)


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]

"""Keep identity values out of the short free-text fields that are stored in plain text.

Reasons (for closing a case, a legal hold, a referral, declining or revoking it, an emergency
access) and notes of data-subject requests are not encrypted: they must say *why*, never *who*.
``identity_in`` finds the person's own identity values in such a text: a given or family name as a
whole word (3 letters or more), the document number (letters and digits, whatever the separators)
or the phone number (6 digits or more, whatever the formatting). It cannot find other people's
names; the forms say so.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _

MESSAGE = _(
    "Do not write the person's name, document or phone number here: this field is not encrypted. "
    "Say why, not who."
)


def _alnum(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.casefold())


def _digits(value: str) -> str:
    return re.sub(r"\D+", "", value)


def identity_in(person: Any, text: str | None) -> str | None:
    """The name of the first identity field of ``person`` whose value appears in ``text``."""
    if not text or person is None:
        return None
    folded = text.casefold()
    for name in ("given_name", "family_name"):
        value = (getattr(person, name, "") or "").strip().casefold()
        if len(value) >= 3 and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", folded):
            return name
    document = _alnum(getattr(person, "document_number", "") or "")
    if len(document) >= 4 and document in _alnum(text):
        return "document_number"
    phone = _digits(getattr(person, "phone", "") or "")[-8:]  # with or without the country code
    if len(phone) >= 6 and phone in _digits(text):
        return "phone"
    return None

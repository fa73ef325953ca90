"""Pages side of ``vigil.server.versioning``: a hidden ``version`` in every edit form.

``VersionedForm`` (before ``forms.Form`` / ``forms.ModelForm`` in the bases) adds a hidden
``version`` field, filled from ``instance.version`` (a ``ModelForm``) or ``version=`` (any form).
``save_form(form, instance)`` writes only the fields the user changed through ``save_versioned``;
on a stale version it adds ``STALE`` as a form error and returns False: the view then shows the
stored record (``fresh_form``) with the message, and nothing was saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigil.server.versioning import StaleEdit, Versioned

STALE = _(
    "Someone else changed this record while you were editing it. Nothing was saved: the form now "
    "shows their version; apply your change again."
)
SEND_VERSION = _("The form is missing the version it was read at: reload the page.")


class VersionedForm(forms.Form):
    """A hidden ``version``: required on edit forms; ``version_required=False`` for forms of
    transitions, where the service checks the state and a version, when posted, must match."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        required=True,
        error_messages={"required": SEND_VERSION},
    )

    def __init__(
        self, *args: Any, version: int | None = None, version_required: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if version is None and instance is not None and instance.pk is not None:
            version = getattr(instance, "version", None)
        if version is not None:
            self.fields["version"].initial = version
        self.fields["version"].required = version_required

    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")


def changed_fields(form: forms.BaseForm, editable: Iterable[str] | None = None) -> dict[str, Any]:
    """The cleaned values of the fields the user changed (``version`` never), limited to
    ``editable`` when given."""
    allowed = set(editable) if editable is not None else None
    return {
        name: form.cleaned_data[name]
        for name in form.changed_data
        if name != "version" and name in form.cleaned_data and (allowed is None or name in allowed)
    }


def save_form(form: VersionedForm, instance: Versioned, fields: dict[str, Any] | None = None) -> bool:
    """Write ``fields`` (default: the changed fields of ``form``) if ``instance`` is still at the
    version the form was read at. False, with ``STALE`` as a form error, when it is not."""
    values = changed_fields(form, instance.versioned_fields()) if fields is None else fields
    try:
        instance.save_versioned(form.cleaned_data["version"], values)
    except StaleEdit:
        refuse_stale(form)
        return False
    return True


def refuse_stale(form: forms.BaseForm) -> None:
    """Add ``STALE`` as a form error (also to an unbound form showing the stored record)."""
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}
    form.add_error(None, STALE)


def fresh_form(form_class: type[forms.BaseForm], instance: Versioned, **kwargs: Any) -> forms.BaseForm:
    """An unbound form showing the stored record (after a refused stale save)."""
    instance.refresh_from_db()
    return form_class(instance=instance, **kwargs)

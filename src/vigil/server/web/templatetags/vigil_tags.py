from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_info

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def shared_labels(names: list[str]) -> str:
    """The labels of a referral's shared fields, in the page's language."""
    from vigil.server.referrals.models import SHAREABLE

    return ", ".join(str(SHAREABLE.get(n, n)) for n in names)


@register.filter
def section(messages: Any, name: str) -> list[Any]:
    """The messages meant for one section of a page (``extra_tags="section-<name>"``), shown next
    to it rather than at the top, where a page that jumps to the section would hide them."""
    return [m for m in messages if f"section-{name}" in (m.extra_tags or "").split()]


@register.filter
def page_level(messages: Any) -> list[Any]:
    """The messages shown at the top of the page: all but those meant for a section."""
    return [m for m in messages if not any(t.startswith("section-") for t in (m.extra_tags or "").split())]


# The outcome of a determination is said in words; the colour and the mark beside them only
# repeat it (WCAG 1.4.1: colour is never the only carrier of meaning).
OUTCOME_MARKS = {"positive": "\u25cf", "insufficient": "\u25d0", "negative": "\u25cb"}


@register.simple_tag
def outcome_badge(outcome: str | None, words: Any) -> str:
    from django.utils.html import format_html

    if not outcome:
        return ""
    mark = OUTCOME_MARKS.get(outcome, "\u25aa")
    return format_html(
        '<span class="outcome-badge outcome-{}"><span aria-hidden="true">{}</span> {}</span>',
        outcome, mark, words,
    )


@register.filter
def num(value: Any) -> str:
    """A number in the page's language, with its thousands separator (1 234 in French, 1,234 in
    English); plain numbers elsewhere (ids, versions in forms) stay unformatted."""
    from django.utils import formats

    if value is None or value == "":
        return ""
    return formats.number_format(value, force_grouping=True)


@register.filter
def consent_recorded(rows: list[dict[str, Any]]) -> bool:
    """True when some purpose has a recorded decision (given, refused or withdrawn)."""
    return any(r.get("state") != "none" for r in rows)


# --- the base page's navigation and language list, rendered once per what they depend on --------

_NAV: dict[tuple[Any, ...], SafeString] = {}
_LANGUAGES: dict[str, SafeString] = {}
_COUNTED_ROLES = "caseworker inspector supervisor administrator"  # the roles with the badge (base.html)


@register.simple_tag(takes_context=True)
def main_nav(context: Any) -> SafeString:
    """The main navigation (``vigil/_main_nav.html``). Its links depend only on the user's role,
    whether they are staff, the language and the emergency badge's number: rendered once per
    such key in a process (a few dozen at most) and reused; nothing of the user themself (name,
    organisation) is in it. The badge's count is asked only for the roles that show it, as before."""
    user = context["user"]
    role = str(user.role)
    count = context.get("emergency_alert_count") if role in _COUNTED_ROLES else None
    n = int(count) if count is not None else 0
    key = (translation.get_language() or "", get_script_prefix(), role, bool(user.is_staff), n)
    html = _NAV.get(key)
    if html is None:
        if len(_NAV) > 1000:  # many distinct badge numbers: start again rather than grow
            _NAV.clear()
        html = SafeString(
            render_to_string(
                "vigil/_main_nav.html", {"role": role, "is_staff": user.is_staff, "emergency_alert_count": n}
            ).rstrip("\n")
        )
        _NAV[key] = html
    return html


@register.simple_tag
def language_options(current: str) -> SafeString:
    """The <option>s of the language selector, the current one selected, once per language."""
    html = _LANGUAGES.get(current)
    selected = mark_safe(" selected")
    if html is None:
        html = _LANGUAGES[current] = format_html_join(
            "",
            '\n      <option value="{}"{}>{}</option>',
            (
                (code, selected if code == current else "", get_language_info(code)["name_local"])
                for code, _name in settings.LANGUAGES
            ),
        )
    return html

from typing import Any

from django import template

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

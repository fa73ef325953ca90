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

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

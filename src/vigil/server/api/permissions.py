"""The capability permission shared by every app's API: a view maps its actions to capabilities
of the user's role (``accounts.models.CAPABILITIES``)."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions


class HasCapability(permissions.BasePermission):
    """Maps the view's action to a capability of the user's role (``view.capabilities``)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = view.capabilities.get(view.action or "", view.capabilities.get("read"))
        return needed is None or user.can(needed)


READ = {"list": "case.view", "retrieve": "case.view", "read": "case.view"}
WRITE = {
    "create": "case.create",
    "update": "case.edit",
    "partial_update": "case.edit",
    "destroy": "case.edit",
}
# Actions that change a record: they see only what the user may change (an emergency grant is
# read-only, see scoping.editable_cases_for).
CHANGES = frozenset({"update", "partial_update", "destroy", "withdraw", "complete"})

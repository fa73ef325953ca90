"""Edited submissions: which versions of a set are replaced by an edit in the same set.

An edit of a submission (ODK Collect, Enketo, KoboToolbox, ODK Central) has a new
``meta/instanceID`` and ``meta/deprecatedID`` = the instance id of the version it replaces.
In one export holding A, its edit B and B's edit C (A -> B -> C), only C is current, whatever
the order of the rows. Plain data, no framework.

    >>> sorted(superseded({1: ("c", "b"), 2: ("a", None), 3: ("b", "a"), 4: ("x", "gone")}))
    [2, 3]
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def superseded(versions: Mapping[K, tuple[str, str | None]]) -> set[K]:
    """The keys of ``versions`` (key -> (instance id, id of the version it replaces or None))
    whose version another entry replaces. An edit whose original is absent replaces nothing;
    a version that names itself is not replaced."""
    by_instance: dict[str, list[K]] = {}
    for key, (instance, _) in versions.items():
        by_instance.setdefault(instance, []).append(key)
    out: set[K] = set()
    for key, (_, deprecated) in versions.items():
        if deprecated is not None:
            out.update(k for k in by_instance.get(deprecated, ()) if k != key)
    return out

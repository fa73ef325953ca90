"""Edited submissions: which versions of a set are replaced by an edit in the same set.

An edit of a submission (ODK Collect, Enketo, KoboToolbox, ODK Central) has a new
``meta/instanceID`` and ``meta/deprecatedID`` = the instance id of the version it replaces.
In one export holding A, its edit B and B's edit C (A -> B -> C), only C is current, whatever
the order of the rows. Plain data, no framework.

    >>> sorted(superseded({1: ("c", "b"), 2: ("a", None), 3: ("b", "a"), 4: ("x", "gone")}))
    [2, 3]
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
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


def edit_order(versions: Sequence[tuple[str, str | None]]) -> list[int]:
    """The indices of ``versions`` ((instance id, id of the version it replaces or None) each),
    in file order except that a version comes after the one it replaces when that one is in the
    set too: a chain A -> B -> C read as C, B, A is processed A, B, C. Stable otherwise; a cycle
    (not produced by ODK or Kobo) is broken where it was entered.

    >>> edit_order([("c", "b"), ("z", None), ("b", "a"), ("a", None)])
    [3, 2, 0, 1]
    """
    first: dict[str, int] = {}
    for n, (instance, _) in enumerate(versions):
        first.setdefault(instance, n)
    done = [False] * len(versions)
    out: list[int] = []
    for n in range(len(versions)):
        chain: list[int] = []
        at: int | None = n
        while at is not None and not done[at]:
            done[at] = True
            chain.append(at)
            deprecated = versions[at][1]
            parent = first.get(deprecated) if deprecated is not None else None
            at = parent if parent != at else None
        out.extend(reversed(chain))
    return out

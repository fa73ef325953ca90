"""Reading a YAML file (design, mapping, list configuration) with errors naming the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from vigil.errors import InputError


def read_yaml(path: str | Path, what: str, label: str | None = None) -> Any:
    """Parse the YAML file at ``path``; ``what`` names it in messages ("design file"), ``label``
    names it in places (default: the path as given). Missing, unreadable or invalid files raise
    ``InputError``; an invalid file's place names the line."""
    file = Path(path)
    where = label if label is not None else str(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{what} not found", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {what}: {type(exc).__name__}", str(path)) from None
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise InputError("not valid YAML: nested too deeply", where) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"{where}, line {mark.line + 1}" if mark is not None else where
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"not valid YAML: {problem}", place) from None

"""``vigil recruiters``: screen job offers, classify fees, match agency names, rank agencies.

Every command reads and checks its whole input before it prints or writes anything; bad
input is one line naming the file and the place (line, row, column) and exit status 2.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.cli.main import app
from vigil.errors import InputError
from vigil.io.records import MAX_LINE, text_lines
from vigil.recruitment import NO_SIGN_MESSAGE, OfferScreen, load_signs, screen_offer

recruiters_app = typer.Typer(
    help="Prevent at the source: job-offer screening, fees, agency matching and risk.",
    no_args_is_help=True,
)
app.add_typer(recruiters_app, name="recruiters")


class OfferLang(str, Enum):
    auto = "auto"
    en = "en"
    fr = "fr"


class OfferFormat(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"


def _name(path: str) -> str:
    return "stdin" if path == "-" else Path(path).name


def read_offers(path: str) -> list[tuple[Any, str]]:
    """(id, text) of each offer: a JSON Lines file of ``{"id": ..., "text": ...}`` (by the
    ``.jsonl``/``.ndjson`` suffix, or when the first line is such an object), else the whole
    file is one offer whose id is the file name."""
    name = _name(path)
    if path != "-" and not Path(path).is_file():
        raise InputError("file not found" if not Path(path).exists() else "not a file", name)
    try:
        lines = list(text_lines(path))
    except OSError as exc:
        raise InputError(f"cannot read file: {type(exc).__name__}", name) from None
    first = next((ln for ln in lines if ln.strip()), "")
    jsonl = path.lower().endswith((".jsonl", ".ndjson"))
    if not jsonl and first.lstrip().startswith("{"):
        try:
            obj = json.loads(first)
            jsonl = isinstance(obj, dict) and "text" in obj
        except (json.JSONDecodeError, RecursionError):
            jsonl = False
    if not jsonl:
        text = "".join(lines)
        if not text.strip():
            raise InputError("empty file: no offer to check", name)
        return [(Path(path).stem if path != "-" else "stdin", text)]
    offers: list[tuple[Any, str]] = []
    for n, line in enumerate(lines, start=1):
        place = f"{name}, line {n}"
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            raise InputError("line longer than 1 MiB", place)
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg}, column {exc.colno})", place) from None
        except RecursionError:
            raise InputError("invalid JSON (nested too deeply)", place) from None
        if not isinstance(obj, dict):
            raise InputError('expected an object {"id": ..., "text": ...}', place)
        if "id" not in obj:
            raise InputError("missing key 'id'", place)
        if not isinstance(obj["id"], str | int) or isinstance(obj["id"], bool):
            raise InputError("key 'id': expected a string or an integer", place)
        if "text" not in obj:
            raise InputError("missing key 'text'", place)
        if not isinstance(obj["text"], str):
            raise InputError("key 'text': expected a string", place)
        offers.append((obj["id"], obj["text"]))
    if not offers:
        raise InputError("empty file: no offer to check", name)
    return offers


def _text_report(r: OfferScreen, title: str) -> str:
    head = f"offer {r.id} ({r.lang}, {title} {r.version})"
    if not r.signs:
        return f"{head}: {NO_SIGN_MESSAGE}\n"
    n = len(r.signs)
    out = [f"{head}: {n} warning sign{'s' if n > 1 else ''} (a reason to look closer, not a conclusion)"]
    for s in r.signs:
        out.append(f"  {s}: the offer {r.descriptions.get(s, '')}")
        out.append("    words: " + "; ".join(f'"{p}"' for p in r.evidence[s]))
    return "\n".join(out) + "\n"


@recruiters_app.command("check-offer")
def check_offer(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="a text file (one offer) or JSONL of {id, text}")
    ],
    lang: Annotated[
        OfferLang, typer.Option("--lang", help="language of the offers; auto detects en/fr")
    ] = OfferLang.auto,
    fmt: Annotated[OfferFormat, typer.Option("--format")] = OfferFormat.text,
    signs_file: Annotated[
        Path | None, typer.Option("--signs", help="a warning-sign YAML file instead of the shipped one")
    ] = None,
) -> None:
    """Screen job offers for warning signs of deceptive or coercive recruitment."""
    signset = load_signs(signs_file)
    offers = read_offers(file)
    results = [screen_offer(text, lang=lang.value, signs=signset, offer_id=oid) for oid, text in offers]
    out = sys.stdout
    if fmt is OfferFormat.jsonl:
        for r in results:
            out.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
    elif fmt is OfferFormat.json:
        payload = [{**r.to_dict(), "lang": r.lang, "signset": signset.id,
                    "descriptions": {s: r.descriptions[s] for s in r.signs},
                    **({} if r.signs else {"message": NO_SIGN_MESSAGE})} for r in results]
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        for r in results:
            out.write(_text_report(r, signset.id))
    out.flush()

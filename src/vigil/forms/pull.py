"""Submissions pulled from a server: ODK Central's REST and OData API, KoboToolbox's API v2.

Only what the pull needs, on the standard library's ``urllib`` (no pyodk: see decision 33):

* **ODK Central**: ``POST /v1/sessions`` with the e-mail and password (from the environment)
  gives a session token, sent as ``Authorization: Bearer``; the submissions come from the form's
  OData table ``/v1/projects/<project>/forms/<form>.svc/Submissions`` with ``$top`` and
  ``$skip`` for pages, ``$count=true`` for the total (the progress bar), ``$expand=*`` so that
  repeat groups come inline, and, on an incremental pull, ``$filter=__system/submissionDate ge
  <last pulled>``. The session is ended (``DELETE /v1/sessions/current``) afterwards.
* **KoboToolbox**: ``GET /api/v2/assets/<form>/data/?format=json`` with ``limit`` and ``start``
  (or the answer's ``next`` link), ``Authorization: Token <KOBO_TOKEN>``, and on an incremental
  pull ``query={"_submission_time": {"$gte": <last pulled>}}``.

A state file remembers, per server, project and form, the submission date of the last pulled
submission and the ids pulled at that date: the next pull asks from that date on (``ge``, so two
submissions of the same millisecond are not lost) and drops the ids already seen. A submission
seen twice within a pull (pages shift while people submit) is kept once.

Credentials come only from the environment and never appear in errors or on disk. A plain
``http://`` server is refused unless it is this machine (a loopback address): a password or token
is not sent in clear over a network. A ``next`` link to another server is refused too.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil.errors import VigilError

PAGE = 500
TIMEOUT = 60.0
#: one page of an answer is at most this big (a Kobo page of 30,000 submissions is far less)
MAX_ANSWER = 256 << 20
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
KINDS = ("central", "kobo")

Progress = Callable[[int, int | None], None]  # (submissions so far, total if known)


class PullError(VigilError):
    """A server that could not be reached or refused, or credentials missing."""


@dataclass
class State:
    """What the last pull of one form got: its last submission date and the ids at that date."""

    kind: str
    server: str
    project: str
    form: str
    last: str | None = None
    seen: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.kind} {self.server} {self.project} {self.form}"


def read_state(path: Path, kind: str, server: str, project: str, form: str) -> State:
    """The state of this form in the file ``path`` (a fresh one when the file or entry is absent)."""
    state = State(kind, server.rstrip("/"), project, form)
    if not path.exists():
        return state
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PullError(f"not a state file of vigil forms pull ({type(exc).__name__})", path.name) from None
    entry = data.get("forms", {}).get(state.key) if isinstance(data, dict) else None
    if entry is None:
        return state
    last, seen = entry.get("last"), entry.get("seen", [])
    if not (last is None or isinstance(last, str)) or not isinstance(seen, list) \
            or not all(isinstance(s, str) for s in seen):
        raise PullError(f"a malformed entry for {state.key}", path.name)
    state.last, state.seen = last, list(seen)
    return state


def write_state(path: Path, state: State) -> None:
    """Record ``state`` in ``path`` (other forms' entries kept), atomically."""
    data: dict[str, Any] = {"forms": {}}
    if path.exists():
        try:
            old = json.loads(path.read_text("utf-8"))
            if isinstance(old, dict) and isinstance(old.get("forms"), dict):
                data = old
        except (UnicodeDecodeError, json.JSONDecodeError):
            pass
    data["forms"][state.key] = {"last": state.last, "seen": sorted(state.seen)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_server(server: str) -> str:
    """The server's base URL; ``http://`` only to this machine."""
    parts = urllib.parse.urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PullError(f"--server {server!r}: an http(s) URL (https://central.example.org)")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise PullError(f"--server {server!r}: plain http sends the credentials in clear; use https")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


class Client:
    """JSON over HTTP to one server: every URL must be on it."""

    def __init__(self, server: str, headers: dict[str, str] | None = None) -> None:
        self.server = check_server(server)
        self.origin = urllib.parse.urlsplit(self.server)[:2]
        self.headers = dict(headers or {})

    def url(self, path: str, query: dict[str, str] | None = None) -> str:
        url = self.server + path
        return url + "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else url

    def request(self, method: str, url: str, body: Any = None) -> Any:
        if urllib.parse.urlsplit(url)[:2] != self.origin:
            other = urllib.parse.urlsplit(url).netloc
            raise PullError(f"the server sent a link to another server ({other}); not followed", self.server)
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json", **self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        where = urllib.parse.urlsplit(url).path
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # the scheme is checked
                raw = resp.read(MAX_ANSWER + 1)
        except urllib.error.HTTPError as exc:
            raise PullError(f"HTTP {exc.code} {exc.reason} for {method} {where}{_problem(exc)}",
                            self.server) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PullError(f"cannot reach the server ({reason})", self.server) from None
        if len(raw) > MAX_ANSWER:
            raise PullError(f"an answer larger than {MAX_ANSWER >> 20} MiB for {where}", self.server)
        if not raw.strip():
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise PullError(f"the answer to {method} {where} is not JSON", self.server) from None


def _problem(exc: urllib.error.HTTPError) -> str:
    """The server's own message, when it sends one (Central: ``{"message": ...}``, Kobo: ``detail``)."""
    try:
        body = json.loads(exc.read(65536).decode("utf-8"))
    except Exception:  # any unreadable body: no message
        return ""
    message = body.get("message") or body.get("detail") if isinstance(body, dict) else None
    return f": {str(message)[:200]}" if message else ""


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise PullError(f"set {name} in the environment (credentials are never taken on the command line)")
    return value


@dataclass
class Pulled:
    """The new submissions of one pull, as the API gave them, and the state after it."""

    kind: str
    submissions: list[dict[str, Any]]
    state: State
    total: int | None = None

    def document(self) -> dict[str, Any]:
        """The submissions as the API's own document (what ``vigil forms import`` reads)."""
        return {"value": self.submissions} if self.kind == "central" else {
            "count": len(self.submissions), "next": None, "previous": None, "results": self.submissions}


def _date(sub: dict[str, Any], kind: str) -> str | None:
    if kind == "central":
        system = sub.get("__system")
        value = system.get("submissionDate") if isinstance(system, dict) else None
    else:
        value = sub.get("_submission_time")
    return value if isinstance(value, str) else None


def _sid(sub: dict[str, Any], kind: str) -> str | None:
    value = sub.get("__id") if kind == "central" else sub.get("_uuid")
    return str(value) if value not in (None, "") else None


def pull(state: State, page: int = PAGE, progress: Progress | None = None) -> Pulled:
    """Every submission of the form newer than ``state`` (all of them on a first pull)."""
    if state.kind not in KINDS:
        raise PullError(f"unknown server kind {state.kind!r} ({', '.join(KINDS)})")
    pages = _central(state, page) if state.kind == "central" else _kobo(state, page)
    got: list[dict[str, Any]] = []
    ids: set[str] = set(state.seen)
    total: int | None = None
    last, at_last = state.last, set(state.seen)
    for items, count in pages:
        total = count if count is not None else total
        for n, sub in enumerate(items):
            if not isinstance(sub, dict):
                raise PullError(f"submission {len(got) + n} of the answer is not a JSON object", state.server)
        for sub in items:
            sid = _sid(sub, state.kind)
            if sid is None:
                raise PullError("a submission without its id (__id or _uuid)", state.server)
            if sid in ids:
                continue
            ids.add(sid)
            got.append(sub)
            date = _date(sub, state.kind)
            if date is not None and (last is None or date > last):
                last, at_last = date, {sid}
            elif date is not None and date == last:
                at_last.add(sid)
        if progress is not None:
            progress(len(got), None if total is None else max(total - len(state.seen), len(got)))
    new = State(state.kind, state.server, state.project, state.form, last, sorted(at_last))
    return Pulled(state.kind, got, new, total)


Pages = Iterator[tuple[list[Any], int | None]]


def _central(state: State, page: int) -> Pages:
    client = Client(state.server)
    answer = client.request("POST", client.url("/v1/sessions"),
                            {"email": _env("ODK_CENTRAL_EMAIL"), "password": _env("ODK_CENTRAL_PASSWORD")})
    token = answer.get("token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise PullError("the session answer has no token", state.server)
    client.headers["Authorization"] = f"Bearer {token}"
    project = urllib.parse.quote(state.project, safe="")
    form = urllib.parse.quote(state.form, safe="")
    path = f"/v1/projects/{project}/forms/{form}.svc/Submissions"
    try:
        skip = 0
        while True:
            query = {"$top": str(page), "$skip": str(skip), "$count": "true", "$expand": "*"}
            if state.last:
                query["$filter"] = f"__system/submissionDate ge {state.last}"
            doc = client.request("GET", client.url(path, query))
            items, count = _odata(doc, state.server)
            yield items, count
            if len(items) < page:
                return
            skip += len(items)
    finally:
        with contextlib.suppress(PullError):  # the token expires by itself
            client.request("DELETE", client.url("/v1/sessions/current"))


def _odata(doc: Any, server: str) -> tuple[list[Any], int | None]:
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
        raise PullError("the OData answer has no 'value' list", server)
    count = doc.get("@odata.count")
    return doc["value"], count if isinstance(count, int) else None


def _kobo(state: State, page: int) -> Pages:
    client = Client(state.server, {"Authorization": f"Token {_env('KOBO_TOKEN')}"})
    form = urllib.parse.quote(state.form, safe="")
    query = {"format": "json", "limit": str(page), "start": "0"}
    if state.last:
        query["query"] = json.dumps({"_submission_time": {"$gte": state.last}})
    url: str | None = client.url(f"/api/v2/assets/{form}/data/", query)
    start = 0
    while url is not None:
        doc = client.request("GET", url)
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
            raise PullError("the Kobo answer has no 'results' list", state.server)
        items = doc["results"]
        count = doc.get("count")
        yield items, count if isinstance(count, int) else None
        nxt = doc.get("next")
        if isinstance(nxt, str) and nxt:
            url = nxt
        elif len(items) == page and "next" not in doc:
            start += len(items)
            url = client.url(f"/api/v2/assets/{form}/data/", {**query, "start": str(start)})
        else:
            url = None

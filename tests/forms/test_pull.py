"""``vigil forms pull`` against a loopback HTTP server answering in ODK Central's and Kobo's
documented shapes (tests/forms/recorded/): no real Central or Kobo runs here."""

from __future__ import annotations

import copy
import datetime
import json
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.forms.synth import answers, central_json, kobo_json_repeat, visits
from vigil.forms import build_form, write_form
from vigil.forms.pull import PullError, State, check_server, pull
from vigil.rules import load_ruleset

RECORDED = Path(__file__).parent / "recorded"
VIGIL = [sys.executable, "-m", "vigil"]
EMAIL, PASSWORD, TOKEN = "field@example.org", "correct horse battery", "kobo-token-123"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text("utf-8"))


class Fake:
    """The server's data and what it was asked."""

    def __init__(self) -> None:
        self.central: list[dict[str, Any]] = []
        self.kobo: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.session = recorded("central-session.json")
        self.fail_page: int | None = None
        self.next_host: str | None = None


class Handler(BaseHTTPRequestHandler):
    fake: Fake

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, code: int, body: Any) -> None:
        raw = json.dumps(body).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _record(self) -> tuple[str, dict[str, list[str]]]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.fake.requests.append((self.command, self.path, dict(self.headers), body))
        parts = urllib.parse.urlsplit(self.path)
        return parts.path, urllib.parse.parse_qs(parts.query)

    def do_POST(self) -> None:
        path, _ = self._record()
        body = json.loads(self.fake.requests[-1][3])
        if path == "/v1/sessions" and body == {"email": EMAIL, "password": PASSWORD}:
            self._send(200, self.fake.session)
        else:
            self._send(401, recorded("central-401.json"))

    def do_DELETE(self) -> None:
        self._record()
        self._send(200, {"success": True})

    def do_GET(self) -> None:
        path, query = self._record()
        auth = self.headers.get("Authorization")
        if path.startswith("/v1/projects/7/forms/") and path.endswith(".svc/Submissions"):
            if auth != f"Bearer {self.fake.session['token']}":
                return self._send(401, recorded("central-401.json"))
            return self._central(query)
        if path.startswith("/api/v2/assets/aBcD3f/data"):
            if auth != f"Token {TOKEN}":
                return self._send(401, {"detail": "Invalid token."})
            return self._kobo(query)
        return self._send(404, {"code": 404.1, "message": "Could not find the resource."})

    def _central(self, query: dict[str, list[str]]) -> None:
        subs = self.fake.central
        if "$filter" in query:
            field, op, value = query["$filter"][0].split(" ")
            assert (field, op) == ("__system/submissionDate", "ge")
            subs = [s for s in subs if s["__system"]["submissionDate"] >= value]
        top, skip = int(query["$top"][0]), int(query["$skip"][0])
        if self.fake.fail_page is not None and skip // top == self.fake.fail_page:
            return self._send(500, {"code": 500.1, "message": "Internal Server Error"})
        doc = recorded("central-submissions.json")
        doc["@odata.count"] = len(subs)
        doc["value"] = subs[skip:skip + top]
        self._send(200, doc)

    def _kobo(self, query: dict[str, list[str]]) -> None:
        subs = self.fake.kobo
        if "query" in query:
            since = json.loads(query["query"][0])["_submission_time"]["$gte"]
            subs = [s for s in subs if s["_submission_time"] >= since]
        limit, start = int(query["limit"][0]), int(query.get("start", ["0"])[0])
        doc = recorded("kobo-data.json")
        doc["count"] = len(subs)
        doc["results"] = subs[start:start + limit]
        if start + limit < len(subs):
            host = self.fake.next_host or f"127.0.0.1:{self.server.server_address[1]}"
            q = {k: v[0] for k, v in query.items()}
            doc["next"] = f"http://{host}/api/v2/assets/aBcD3f/data/?" + urllib.parse.urlencode(
                {**q, "start": start + limit})
        self._send(200, doc)


@pytest.fixture
def server() -> Iterator[tuple[str, Fake]]:
    fake = Fake()
    handler = type("H", (Handler,), {"fake": fake})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", fake
    finally:
        httpd.shutdown()
        httpd.server_close()


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("ODK_CENTRAL_EMAIL", "ODK_CENTRAL_PASSWORD", "KOBO_TOKEN")}
    return {**base, **extra}


def run(*args: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VIGIL, *args], capture_output=True, text=True, timeout=300, env=environ)


Subs = list[dict[str, Any]]


def central_subs(rs_id: str, n: int, seed: int, tmp: Path) -> tuple[Subs, Subs]:
    rs = load_ruleset(rs_id)
    subs = answers(rs, n, seed)
    central_json(subs, rs, tmp / "c.json")
    value = json.loads((tmp / "c.json").read_text("utf-8"))["value"]
    start = datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
    for i, v in enumerate(value):  # rising submission dates, two at each second
        date = start + datetime.timedelta(seconds=i // 2)
        v["__system"]["submissionDate"] = date.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return value, [s["__record"] for s in subs]


def assess(rs_id: str, records: list[dict[str, Any]], tmp: Path) -> str:
    path = tmp / "expected.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    res = subprocess.run([*VIGIL, "assess", "--ruleset", rs_id, str(path)], capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_central_pull_pages_screens_like_assess_and_then_only_new(tmp_path: Path,
                                                                  server: tuple[str, Fake]) -> None:
    url, fake = server
    rs_id = "ilo-2012-forced-labour"
    form = tmp_path / "form.xlsx"
    write_form(build_form(load_ruleset(rs_id), ["en", "es"]), form)
    value, records = central_subs(rs_id, 1205, 5, tmp_path)
    fake.central = value[:1100]
    state, saved = tmp_path / "state.json", tmp_path / "pulled.json"
    args = ["forms", "pull", "--server", url, "--project", "7", "--form", "vigil-fl", "--xlsform", str(form),
            "--state", str(state)]
    environ = env(ODK_CENTRAL_EMAIL=EMAIL, ODK_CENTRAL_PASSWORD=PASSWORD)
    res = run(*args, "--save", str(saved), environ=environ)
    assert res.returncode == 0, res.stderr
    assert res.stdout == assess(rs_id, records[:1100], tmp_path)
    assert "1100 new submission(s) pulled" in res.stderr
    assert PASSWORD not in res.stderr and fake.session["token"] not in res.stderr
    # the API's conversation: a session, pages of 500 with $count and $expand, the session ended
    methods = [(m, urllib.parse.urlsplit(p).path) for m, p, _, _ in fake.requests]
    odata = "/v1/projects/7/forms/vigil-fl.svc/Submissions"
    assert methods == [("POST", "/v1/sessions"), ("GET", odata), ("GET", odata), ("GET", odata),
                       ("DELETE", "/v1/sessions/current")]
    queries = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query) for _, p, _, _ in fake.requests[1:4]]
    assert [q["$skip"] for q in queries] == [["0"], ["500"], ["1000"]]
    assert all(q["$top"] == ["500"] and q["$count"] == ["true"] and q["$expand"] == ["*"]
               and "$filter" not in q for q in queries)
    bearer = f"Bearer {fake.session['token']}"
    assert all(h.get("Authorization") == bearer for _, _, h, _ in fake.requests[1:])
    # the saved document is what vigil forms import reads, and gives the same screenings
    again = run("forms", "import", "--form", str(form), str(saved), environ=environ)
    assert again.stdout == res.stdout
    last = max(v["__system"]["submissionDate"] for v in value[:1100])
    st = json.loads(state.read_text("utf-8"))["forms"][f"central {url} 7 vigil-fl"]
    assert st["last"] == last
    assert st["seen"] == sorted(v["__id"] for v in value[:1100] if v["__system"]["submissionDate"] == last)
    # new submissions, one of them at the same millisecond as the last pulled: only those come
    fake.central = value
    value[1100]["__system"]["submissionDate"] = last
    fake.requests.clear()
    res = run(*args, environ=environ)
    assert res.returncode == 0, res.stderr
    assert res.stdout == assess(rs_id, records[1100:], tmp_path)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(fake.requests[1][1]).query)
    assert q["$filter"] == [f"__system/submissionDate ge {last}"]
    # nothing new
    res = run(*args, environ=environ)
    assert res.returncode == 0 and res.stdout == "" and "vigil-fl: no new submissions" in res.stderr


def test_central_refusals_leave_state_and_output_untouched(tmp_path: Path, server: tuple[str, Fake]) -> None:
    url, fake = server
    form = tmp_path / "form.xlsx"
    write_form(build_form(load_ruleset("ilo-11"), ["en"]), form)
    value, _ = central_subs("ilo-11", 700, 2, tmp_path)
    fake.central = value
    state, out = tmp_path / "state.json", tmp_path / "out.jsonl"
    args = ["forms", "pull", "--server", url, "--project", "7", "--form", "f", "--xlsform", str(form),
            "--state", str(state), "-o", str(out)]
    good = env(ODK_CENTRAL_EMAIL=EMAIL, ODK_CENTRAL_PASSWORD=PASSWORD)
    res = run(*args, environ=env(ODK_CENTRAL_EMAIL=EMAIL, ODK_CENTRAL_PASSWORD="wrong"))
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1] == (
        f"vigil: {url}: HTTP 401 Unauthorized for POST /v1/sessions: Could not authenticate with the "
        "provided credentials.")
    assert "wrong" not in res.stderr
    res = run(*args, environ=env())
    assert res.returncode == 2 and "set ODK_CENTRAL_EMAIL in the environment" in res.stderr
    fake.fail_page = 1
    res = run(*args, environ=good)
    assert res.returncode == 2 and "HTTP 500 Internal Server Error for GET" in res.stderr
    fake.fail_page = None
    value[612]["interview"]["g_ILO11"]["ILO11.03"] = "perhaps"
    res = run(*args, environ=good)
    assert res.returncode == 2
    assert ("vigil: f (pulled), value[612], key interview/g_ILO11/ILO11.03: unknown choice 'perhaps'"
            in res.stderr)
    assert not state.exists() and not out.exists()
    res = run("forms", "pull", "--server", url, "--form", "f", "--xlsform", str(form), environ=good)
    assert res.returncode == 2 and "--project is needed for ODK Central" in res.stderr


def test_kobo_pull_follows_next_links_and_is_incremental(tmp_path: Path, server: tuple[str, Fake]) -> None:
    url, fake = server
    rs = load_ruleset("palermo-2000")
    form = tmp_path / "form.xlsx"
    write_form(build_form(rs, ["en", "ar"], repeat="workers"), form)
    vs = visits(rs, 260, seed=8)
    kobo_json_repeat(vs, rs, tmp_path / "k.json")
    results = json.loads((tmp_path / "k.json").read_text("utf-8"))["results"]
    for i, r in enumerate(results):
        r["_submission_time"] = f"2026-02-01T10:{i // 60:02d}:{i % 60:02d}"
    fake.kobo = results[:250]
    state = tmp_path / "state.json"
    args = ["forms", "pull", "--kind", "kobo", "--server", url, "--form", "aBcD3f", "--xlsform", str(form),
            "--state", str(state), "--page-size", "100"]
    environ = env(KOBO_TOKEN=TOKEN)
    res = run(*args, environ=environ)
    assert res.returncode == 0, res.stderr
    people = [p["__record"] for _, g in vs[:250] for p in g if p["consent"] == "yes"]
    assert res.stdout == assess(rs.id, people, tmp_path)
    starts = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query)["start"] for _, p, _, _ in fake.requests]
    assert starts == [["0"], ["100"], ["200"]]
    assert all(h.get("Authorization") == f"Token {TOKEN}" for _, _, h, _ in fake.requests)
    fake.kobo = results
    fake.requests.clear()
    res = run(*args, environ=environ)
    assert res.returncode == 0, res.stderr
    people = [p["__record"] for _, g in vs[250:] for p in g if p["consent"] == "yes"]
    assert res.stdout == assess(rs.id, people, tmp_path)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(fake.requests[0][1]).query)
    assert json.loads(q["query"][0]) == {"_submission_time": {"$gte": results[249]["_submission_time"]}}
    # a wrong token; a next link to another host is not followed (the token would go there)
    res = run(*args, "--full", environ=env(KOBO_TOKEN="nope"))
    assert res.returncode == 2
    assert "HTTP 401 Unauthorized for GET /api/v2/assets/aBcD3f/data/: Invalid token." in res.stderr
    fake.next_host = "collector.example.net"
    res = run(*args, "--full", environ=environ)
    assert res.returncode == 2
    assert "a link to another server (collector.example.net); not followed" in res.stderr


def test_plain_http_only_to_this_machine() -> None:
    assert check_server("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert check_server("https://central.example.org/") == "https://central.example.org"
    with pytest.raises(PullError, match="plain http sends the credentials in clear"):
        check_server("http://central.example.org")
    with pytest.raises(PullError, match="an http"):
        check_server("ftp://central.example.org")


def test_pull_keeps_a_submission_once_when_pages_shift(server: tuple[str, Fake],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    url, fake = server
    base = recorded("central-submissions.json")["value"][0]
    subs = []
    for i in range(6):
        s = copy.deepcopy(base)
        s["__id"] = f"uuid:{i}"
        s["__system"]["submissionDate"] = f"2026-01-05T09:0{i}:00.000Z"
        subs.append(s)
    fake.central = [subs[0], subs[1], subs[1], subs[2], subs[3], subs[4], subs[5]]  # a page shifted
    monkeypatch.setenv("ODK_CENTRAL_EMAIL", EMAIL)
    monkeypatch.setenv("ODK_CENTRAL_PASSWORD", PASSWORD)
    seen: list[tuple[int, int | None]] = []
    got = pull(State("central", url, "7", "f"), page=3, progress=lambda d, t: seen.append((d, t)))
    assert [s["__id"] for s in got.submissions] == [f"uuid:{i}" for i in range(6)]
    assert got.state.last == "2026-01-05T09:05:00.000Z" and got.state.seen == ["uuid:5"]
    assert seen == [(2, 7), (5, 7), (6, 7)]

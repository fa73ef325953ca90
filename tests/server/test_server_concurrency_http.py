"""Many clients save one case at the same time through the HTTP API: each edit lands exactly once
(stale saves get 409 and are retried by the client), none is lost, and every refusal is a clear
conflict (a ``stale-edit`` problem document naming the current version)."""

from __future__ import annotations

import html
import http.cookies
import re
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from tests.server.conftest import http_call, make_case, make_user

from vigil.server.accounts.models import ApiToken
from vigil.server.audit.log import seal_pending, verify_chain
from vigil.server.cases.models import Case

ALPHABET = string.digits + string.ascii_letters  # one character per editor: 50 edits fit in 200


def _race(live_server: Any, orgs: Any, editors: int, per_client: int, doc: str) -> dict[str, Any]:
    users = [make_user(f"{doc.lower()}-worker{i}", "caseworker", orgs["a"]) for i in range(editors)]
    case = make_case(users[0], doc=doc)
    keys = [ApiToken.issue(u)[1] for u in users]
    url = f"{live_server.url}/api/cases/{case.pk}/"
    conflicts: list[int] = []
    errors: list[str] = []
    saved_versions: list[int] = []
    start = threading.Barrier(editors)

    def client(idx: int) -> None:
        start.wait()  # all editors begin together
        for n in range(per_client):
            while True:
                status, current = http_call(url, keys[idx])
                if status != 200:
                    errors.append(f"GET {status}")
                    return
                # Each edit appends a token to a text field: a lost update would lose a token.
                text = f"{current['closure_reason']}{ALPHABET[idx]}{n};"
                status, body = http_call(
                    url, keys[idx], "PATCH", {"version": current["version"], "closure_reason": text}
                )
                if status == 200:
                    saved_versions.append(body["version"])
                    break
                if (
                    status == 409
                    and body.get("type", "").endswith("/stale-edit")
                    and body.get("current_version", 0) > current["version"]
                    and body.get("detail")
                ):
                    conflicts.append(idx)
                    continue
                errors.append(f"PATCH {status} {body}")  # any other refusal is not a clear conflict
                return

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(editors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - began
    assert not errors, errors
    final = Case.objects.get(pk=case.pk)
    expected = sorted(f"{ALPHABET[i]}{n}" for i in range(editors) for n in range(per_client))
    assert sorted(t for t in final.closure_reason.split(";") if t) == expected  # every edit, once
    assert final.version == 1 + len(expected)
    # each save answered a version of its own: no two saves were built on the same read
    assert sorted(saved_versions) == list(range(2, 2 + len(expected)))
    seal_pending()
    report = verify_chain()
    assert report.ok and report.unsealed == 0
    return {"edits": len(expected), "conflicts": len(conflicts), "seconds": seconds}


@pytest.mark.django_db(transaction=True)
def test_parallel_api_saves_lose_no_update(live_server, orgs):
    _race(live_server, orgs, editors=6, per_client=4, doc="HTTP-RACE")


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_editors_lose_no_update(live_server, orgs):
    """Issue 14: 50 editors of one case at once, each saving once (retrying on conflict)."""
    figures = _race(live_server, orgs, editors=50, per_client=1, doc="HTTP-FIFTY")
    assert figures["edits"] == 50
    print(f"CONCURRENCY editors=50 edits=50 lost=0 conflicts={figures['conflicts']} "
          f"seconds={figures['seconds']:.1f}")


# --- the same through the pages (the case page's edit form) ----------------------------------

REASON = re.compile(r'<input type="text" name="case-closure_reason"(?: value="([^"]*)")?')
VERSION = re.compile(r'<input type="hidden" name="case-version" value="(\d+)">')
CSRF = re.compile(r'id="case-form"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">')
STALE_WORDS = "Someone else changed this case while you were editing it. Nothing was saved"


class Browser:
    """A logged-in session of ``user`` on the live server: sends its cookies, keeps the ones set
    (the CSRF cookie), does not follow redirects."""

    def __init__(self, user: Any) -> None:
        from django.conf import settings
        from django.test import Client

        c = Client()
        c.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        self.cookies = {name: c.cookies[name].value}

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        self.opener = urllib.request.build_opener(NoRedirect)

    def open(self, url: str, data: bytes | None = None) -> tuple[int, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        req = urllib.request.Request(url, data=data, headers={"Cookie": cookie})
        try:
            with self.opener.open(req, timeout=60) as r:
                status, headers, body = r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read().decode()
        for header in headers.get_all("Set-Cookie") or []:
            jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            jar.load(header)
            self.cookies.update({k: m.value for k, m in jar.items()})
        return status, body


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_editors_through_the_pages_lose_no_update(live_server, orgs):
    """Issue 14: 50 editors save the case page's form at once (each reads the page, appends its
    token to the closure reason, posts with the version it read; on a refusal it reads again).
    Each refusal is the 409 page with the conflict message; no edit is lost or applied twice."""
    editors = 50
    users = [make_user(f"page-worker{i}", "caseworker", orgs["a"]) for i in range(editors)]
    case = make_case(users[0], doc="PAGE-FIFTY")
    fixed = {  # the form's other fields, posted unchanged
        "case-status": case.status,
        "case-trafficking_status": case.trafficking_status,
        "case-sector": case.sector,
        "case-opened_on": case.opened_on.isoformat() if case.opened_on else "",
        "case-closed_on": "",
    }
    browsers = [Browser(u) for u in users]
    url = f"{live_server.url}/cases/{case.pk}/"
    conflicts: list[int] = []
    errors: list[str] = []
    start = threading.Barrier(editors)

    def editor(idx: int) -> None:
        start.wait()
        while True:
            status, page = browsers[idx].open(url + "?edit=1")  # the page with its edit form open
            if status != 200:
                errors.append(f"GET {status}")
                return
            text, version, csrf = REASON.search(page), VERSION.search(page), CSRF.search(page)
            if not (text and version and csrf):
                errors.append(f"the page has no edit form {bool(text)} {bool(version)} {bool(csrf)}")
                return
            form = {**fixed, "csrfmiddlewaretoken": csrf.group(1), "case-version": version.group(1),
                    "case-closure_reason": html.unescape(text.group(1) or "") + f"{ALPHABET[idx]}0;"}
            status, answer = browsers[idx].open(url, urllib.parse.urlencode(form).encode())
            if status == 302:
                return
            if status == 409 and STALE_WORDS in answer and 'id="stale" role="alert"' in answer:
                conflicts.append(idx)
                continue
            errors.append(f"POST {status} {answer[:300]}")  # any other answer is not a clear conflict
            return

    began = time.monotonic()
    threads = [threading.Thread(target=editor, args=(i,)) for i in range(editors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - began
    assert not errors, errors[:5]
    final = Case.objects.get(pk=case.pk)
    expected = sorted(f"{ALPHABET[i]}0" for i in range(editors))
    assert sorted(t for t in final.closure_reason.split(";") if t) == expected  # every edit, once
    assert final.version == 1 + editors
    seal_pending()
    report = verify_chain()
    assert report.ok and report.unsealed == 0
    print(f"CONCURRENCY-PAGES editors=50 edits=50 lost=0 conflicts={len(conflicts)} seconds={seconds:.1f}")

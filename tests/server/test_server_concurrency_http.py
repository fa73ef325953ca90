"""Many clients save one case at the same time through the HTTP API: each edit lands exactly once
(stale saves get 409 and are retried by the client), none is lost."""

from __future__ import annotations

import threading

import pytest
from tests.server.conftest import http_call, make_case, make_user

from vigil.server.accounts.models import ApiToken
from vigil.server.audit.log import seal_pending, verify_chain
from vigil.server.cases.models import Case


@pytest.mark.django_db(transaction=True)
def test_parallel_api_saves_lose_no_update(live_server, orgs):
    users = [make_user(f"worker{i}", "caseworker", orgs["a"]) for i in range(6)]
    case = make_case(users[0], doc="HTTP-RACE")
    keys = [ApiToken.issue(u)[1] for u in users]
    url = f"{live_server.url}/api/cases/{case.pk}/"
    per_client = 4
    conflicts: list[int] = []
    errors: list[str] = []

    def client(idx: int) -> None:
        for n in range(per_client):
            while True:
                status, current = http_call(url, keys[idx])
                if status != 200:
                    errors.append(f"GET {status}")
                    return
                # Each edit appends a token to a text field: a lost update would lose a token.
                text = f"{current['closure_reason']}c{idx}-{n};"
                status, body = http_call(
                    url, keys[idx], "PATCH", {"version": current["version"], "closure_reason": text}
                )
                if status == 200:
                    break
                if status == 409 and body.get("type", "").endswith("/stale-edit"):
                    conflicts.append(idx)
                    continue
                errors.append(f"PATCH {status} {body}")
                return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    final = Case.objects.get(pk=case.pk)
    expected = sorted(f"c{i}-{n}" for i in range(len(users)) for n in range(per_client))
    assert sorted(t for t in final.closure_reason.split(";") if t) == expected  # every edit, once
    assert final.version == 1 + len(expected)
    seal_pending()
    report = verify_chain()
    assert report.ok and report.unsealed == 0

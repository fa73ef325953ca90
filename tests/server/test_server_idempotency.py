"""``Idempotency-Key`` on the API's writes (issue 14, faults; ``vigil.server.api.idempotency``):
a retry replays the first answer and writes nothing again; the same key with another body is a
422; keys are per user; a refused write keeps no key; keys expire after 24 hours; a retry while
the first request runs is a 409."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
from tests.server.conftest import client_for

from vigil.server.api.idempotency import HEADER, REPLAYED, _digest
from vigil.server.api.models import IdempotencyKey
from vigil.server.audit.models import AuditEntry
from vigil.server.cases.models import Screening

SCREENING = {"ruleset": "ilo-ec-2009-adult-labour", "age": 30, "answers": {"DR01": True, "DR08": True}}


def _post(client: Any, path: str, body: dict[str, Any], key: str | None) -> Any:
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, body, format="json", **extra)


@pytest.mark.django_db
def test_a_retry_with_the_same_key_replays_and_writes_once(users, cases) -> None:
    case = cases["a_caseworker"]
    c = client_for(users["caseworker"])
    body = {"case": case.pk, **SCREENING}
    first = _post(c, "/api/screenings/", body, "k-0001")
    assert first.status_code == 201, first.content
    assert REPLAYED not in first
    assert Screening.objects.filter(case=case).count() == 1
    views_before = AuditEntry.objects.filter(action="view").count()
    for _ in range(2):
        again = _post(c, "/api/screenings/", {**SCREENING, "case": case.pk}, "k-0001")  # other key order
        assert again.status_code == 201 and again[REPLAYED] == "true"
        assert again.json() == first.json()
    assert Screening.objects.filter(case=case).count() == 1  # written once
    assert IdempotencyKey.objects.count() == 1
    # the replay is re-rendered by retrieve, and the read audited as any read
    assert AuditEntry.objects.filter(action="view").count() == views_before + 2
    stored = IdempotencyKey.objects.get()
    assert stored.object_id == first.json()["id"] and stored.body == ""  # no answer body kept
    assert stored.key_hash == _digest("k-0001") and "k-0001" not in stored.key_hash
    # without a key, the same body is a new screening (the header is what makes a retry safe)
    assert _post(c, "/api/screenings/", body, None).status_code == 201
    assert Screening.objects.filter(case=case).count() == 2


@pytest.mark.django_db
def test_a_replay_shows_the_record_as_it_is_now_with_todays_permissions(users, cases) -> None:
    case = cases["a_caseworker"]
    c = client_for(users["caseworker"])
    body = {"case": case.pk, **SCREENING}
    first = _post(c, "/api/screenings/", body, "k-now")
    screening = Screening.objects.get(pk=first.json()["id"])
    change = {"version": screening.version, "age": 31}
    edit = c.patch(f"/api/screenings/{screening.pk}/", change, format="json")
    assert edit.status_code == 200, edit.content
    again = _post(c, "/api/screenings/", body, "k-now")
    assert again.status_code == 201 and again.json()["version"] == edit.json()["version"]
    case.owner = users["caseworker_b"]  # the case moves out of the user's scope
    case.organisation = users["caseworker_b"].organisation
    case.save()
    gone = _post(c, "/api/screenings/", body, "k-now")
    assert gone.status_code == 404 and gone["Content-Type"] == "application/problem+json"
    assert Screening.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_or_path_is_a_422_naming_the_header(users, cases) -> None:
    case = cases["a_caseworker"]
    c = client_for(users["caseworker"])
    assert _post(c, "/api/screenings/", {"case": case.pk, **SCREENING}, "k-0002").status_code == 201
    other = _post(c, "/api/screenings/", {"case": case.pk, **SCREENING, "age": 31}, "k-0002")
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    doc = other.json()
    assert doc["type"].endswith("/idempotency-key-reused") and doc["header"] == HEADER
    assert HEADER in doc["detail"] and doc["instance"] == "/api/screenings/"
    referral = _post(c, "/api/referrals/", {"case": case.pk, **SCREENING}, "k-0002")  # another path
    assert referral.status_code == 422
    assert Screening.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_keys_are_per_user(users, cases) -> None:
    case = cases["a_caseworker"]
    body = {"case": case.pk, **SCREENING}
    first = _post(client_for(users["caseworker"]), "/api/screenings/", body, "shared-key")
    assert first.status_code == 201
    supervisor = _post(client_for(users["supervisor"]), "/api/screenings/", body, "shared-key")
    assert supervisor.status_code == 201 and REPLAYED not in supervisor  # not the caseworker's answer
    assert supervisor.json()["id"] != first.json()["id"]
    assert Screening.objects.filter(case=case).count() == 2
    assert IdempotencyKey.objects.filter(key_hash=_digest("shared-key")).count() == 2
    # a user who may not see the case gets no replay of it either: refused before any key is read
    outsider = _post(client_for(users["caseworker_b"]), "/api/screenings/", body, "shared-key")
    assert outsider.status_code in (400, 403, 404) and REPLAYED not in outsider


@pytest.mark.django_db
def test_a_refused_write_keeps_no_key_so_a_corrected_retry_succeeds(users, cases) -> None:
    case = cases["a_caseworker"]
    c = client_for(users["caseworker"])
    bad = _post(c, "/api/screenings/", {"case": case.pk, "age": 30}, "k-0003")  # no rule set
    assert bad.status_code == 400 and any(e["field"] == "ruleset" for e in bad.json()["errors"])
    assert IdempotencyKey.objects.count() == 0 and Screening.objects.count() == 0
    fixed = _post(c, "/api/screenings/", {"case": case.pk, **SCREENING}, "k-0003")
    assert fixed.status_code == 201 and REPLAYED not in fixed
    assert IdempotencyKey.objects.count() == 1 and Screening.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "two words", "clé"])
def test_a_malformed_key_is_a_400_naming_the_header(users, cases, key) -> None:
    c = client_for(users["caseworker"])
    r = _post(c, "/api/screenings/", {"case": cases["a_caseworker"].pk, **SCREENING}, key)
    assert r.status_code == 400 and [e["field"] for e in r.json()["errors"]] == [HEADER]
    assert Screening.objects.count() == 0


@pytest.mark.django_db
def test_keys_expire_after_24_hours(users, cases) -> None:
    from django.utils import timezone

    from vigil.server.jobs.runner import run_due

    case = cases["a_caseworker"]
    c = client_for(users["caseworker"])
    body = {"case": case.pk, **SCREENING}
    assert _post(c, "/api/screenings/", body, "old").status_code == 201
    assert _post(c, "/api/screenings/", body, "recent").status_code == 201
    IdempotencyKey.objects.filter(key_hash=_digest("old")).update(
        created_at=timezone.now() - dt.timedelta(hours=24, minutes=1)
    )
    run = run_due(only="idempotency_purge", force=True)[0]
    assert run.status == "ok" and run.summary == {"keys_deleted": 1}
    assert list(IdempotencyKey.objects.values_list("key_hash", flat=True)) == [_digest("recent")]
    # an expired key met by a request (before the job ran) is a new key: the request runs again
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    again = _post(c, "/api/screenings/", body, "recent")
    assert again.status_code == 201 and REPLAYED not in again
    assert Screening.objects.filter(case=case).count() == 3 and IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_an_answer_that_is_not_a_record_of_its_view_is_kept_encrypted(users) -> None:
    from django.db import connection

    admin = client_for(users["administrator"])
    victim = users["caseworker_a2"]
    path = f"/api/accounts/{victim.pk}/suspend/"
    first = _post(admin, path, {"reason": "containment after the phishing"}, "suspend-1")
    assert first.status_code == 200, first.content
    again = _post(admin, path, {"reason": "containment after the phishing"}, "suspend-1")
    assert again.status_code == 200 and again[REPLAYED] == "true" and again.content == first.content
    with connection.cursor() as cur:
        cur.execute("SELECT body FROM api_idempotencykey")
        raw = cur.fetchone()[0]
    assert raw and "phishing" not in raw and "caseworker_a2" not in raw  # ciphertext at rest
    assert json.loads(IdempotencyKey.objects.get().body) == first.json()


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_runs_is_a_409(users, cases, monkeypatch) -> None:
    from vigil.server.cases import screening as screening_service

    case = cases["a_caseworker"]
    entered, release = threading.Event(), threading.Event()
    create = screening_service.create

    def slow_create(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(60)
        return create(*args, **kwargs)

    monkeypatch.setattr(screening_service, "create", slow_create)
    token_client = client_for(users["caseworker"])
    body = {"case": case.pk, **SCREENING}
    answer: dict[str, Any] = {}

    def first() -> None:
        from django.db import connection

        try:
            answer["first"] = _post(token_client, "/api/screenings/", body, "k-busy")
        finally:
            connection.close()

    t = threading.Thread(target=first)
    t.start()
    try:
        assert entered.wait(60)
        busy = _post(token_client, "/api/screenings/", body, "k-busy")
    finally:
        release.set()
        t.join(60)
    assert busy.status_code == 409 and busy.json()["type"].endswith("/idempotency-key-in-flight")
    assert busy.json()["header"] == HEADER
    assert answer["first"].status_code == 201
    later = _post(token_client, "/api/screenings/", body, "k-busy")
    assert later.status_code == 201 and later[REPLAYED] == "true"
    assert Screening.objects.filter(case=case).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_retry_in_another_process_while_the_first_runs_is_a_409_on_postgresql(users, cases) -> None:
    """The other process is played by a second connection holding the key's advisory lock."""
    import hashlib

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite writers queue on BEGIN IMMEDIATE")
    import psycopg

    user = users["caseworker"]
    number = int.from_bytes(
        hashlib.sha256(f"{user.pk}:{_digest('k-other')}".encode()).digest()[:8], "big", signed=True
    )
    params = connection.get_connection_params()
    wanted = {"host", "port", "user", "password", "dbname"}
    body = {"case": cases["a_caseworker"].pk, **SCREENING}
    with psycopg.connect(**{k: v for k, v in params.items() if k in wanted}, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (number,))
        r = _post(client_for(user), "/api/screenings/", body, "k-other")
        other.execute("SELECT pg_advisory_unlock(%s)", (number,))
    assert r.status_code == 409 and Screening.objects.count() == 0 and IdempotencyKey.objects.count() == 0


def test_every_api_write_takes_the_key_but_the_login() -> None:
    from django.urls import get_resolver

    from vigil.server.api.idempotency import IdempotentMixin

    def walk(patterns: Any, prefix: str = "") -> Any:
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.callback

    without = set()
    for route, callback in walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if not route.startswith("api/") or cls is None:
            continue
        actions = getattr(callback, "actions", None)
        methods = set(actions) if actions else {m for m in cls.http_method_names if hasattr(cls, m)}
        if methods & {"post", "put", "patch"} and not issubclass(cls, IdempotentMixin):
            without.add(cls.__name__)
    # the login has no user to keep a key for, and its answer is a secret token
    assert without == {"TokenView"}


def test_the_schema_documents_the_header_on_writes_only() -> None:
    from pathlib import Path

    import yaml

    schema = yaml.safe_load((Path(__file__).parent / "snapshots" / "openapi.yaml").read_text("utf-8"))

    def header_of(path: str, method: str) -> list[dict[str, Any]]:
        operation = schema["paths"][path][method]
        return [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == HEADER]

    post = schema["paths"]["/api/screenings/"]["post"]
    assert header_of("/api/screenings/", "post") and "422" in post["responses"]
    assert header_of("/api/screenings/{id}/", "patch") and header_of("/api/referrals/", "post")
    assert not header_of("/api/screenings/", "get") and not header_of("/api/auth/token/", "post")


@pytest.mark.django_db
def test_a_retried_patch_is_replayed_not_refused_as_stale(users, cases) -> None:
    from rest_framework.test import APIClient

    from vigil.server.cases.models import Person

    person = cases["a_caseworker"].person
    c = APIClient()  # a session, as the pages' scripts use
    c.force_login(users["caseworker"])
    change = {"version": person.version, "narrative": "Recruited with a false offer (edited)."}
    first = c.patch(f"/api/persons/{person.pk}/", change, format="json", HTTP_IDEMPOTENCY_KEY="edit-1")
    assert first.status_code == 200, first.content
    version = Person.objects.get(pk=person.pk).version
    # without the key the same request is now stale; with it, the retry gets the first answer
    assert c.patch(f"/api/persons/{person.pk}/", change, format="json").status_code == 409
    again = c.patch(f"/api/persons/{person.pk}/", change, format="json", HTTP_IDEMPOTENCY_KEY="edit-1")
    assert again.status_code == 200 and again[REPLAYED] == "true" and again.json() == first.json()
    assert Person.objects.get(pk=person.pk).version == version

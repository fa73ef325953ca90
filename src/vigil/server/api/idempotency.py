"""``Idempotency-Key`` on the API's writes (issue 14, faults; decision 56).

A POST that the server answers 503 while its database connection is cut may nevertheless have
committed: a client that simply sends it again could create a second screening or referral. A
client that sends an ``Idempotency-Key`` header (any text of 1 to 255 visible ASCII characters,
e.g. a UUID, new for each logical write) on a POST, PUT or PATCH can retry safely:

- the first request with a key runs in one transaction with the row that keeps the key (user,
  hash of the key, method, path, hash of the body, status of the answer, what the answer was):
  a write rolled back leaves no key, a write committed always leaves it. Only a success (2xx)
  keeps a key: a request refused (400, 403, 409...) can be corrected and sent with the same key;
- a retry with the same key, method, path and body does not run the view again: it gets the
  stored status and the answer, with ``Idempotent-Replayed: true``. An answer that was one record
  of the view (what ``retrieve`` shows: a created screening, a referral after ``accept``) is
  re-rendered by the view's ``retrieve``, with today's permissions and scope, and the read is
  audited as any read; another answer (a document that is not one record of the view) is
  replayed from its body stored encrypted with the field keys;
- the same key with another body, method or path is a 422 problem naming the header;
- a retry while the first request is still running is a 409 problem (try again in a moment):
  a set of the keys in flight in this process, and on PostgreSQL a transaction-scoped advisory
  lock for the other processes (SQLite writers queue on ``BEGIN IMMEDIATE`` and then replay);
- keys are per user: another user's key is another key;
- keys expire after 24 hours (``TTL``): the hourly job ``idempotency_purge`` deletes them, and
  an expired key met by a request is deleted first.

Answers that are not JSON (an export file) keep no key: running such a request again makes a
new export, not a duplicate record. Requests without a user (the login) ignore the header.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
METHODS = frozenset({"POST", "PUT", "PATCH"})
TTL = timedelta(hours=24)
MAX_LENGTH = 255

_inflight: set[tuple[int, str]] = set()
_inflight_lock = threading.Lock()


class KeyReused(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_detail = _(
        "This Idempotency-Key was already used for another request (another body, method or path). "
        "Use a new key for a new request."
    )
    problem_extra: ClassVar[dict[str, str]] = {"header": HEADER}


class KeyInFlight(exceptions.APIException):
    status_code = 409
    default_code = "idempotency_key_in_flight"
    default_detail = _(
        "A request with this Idempotency-Key is still being processed. Try again in a moment: "
        "you will then get its answer."
    )
    problem_extra: ClassVar[dict[str, str]] = {"header": HEADER}


def requested_key(request: Any) -> str | None:
    """The key of a write by a signed-in user (None without one); 400 naming the header if bad."""
    if request.method not in METHODS:
        return None
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return None
    if not (1 <= len(raw) <= MAX_LENGTH) or not all("!" <= ch <= "~" for ch in raw):
        raise exceptions.ValidationError(
            {HEADER: [_("Send 1 to 255 visible ASCII characters (e.g. a UUID), new for each request.")]}
        )
    return raw


def fingerprint(request: Any) -> str:
    """SHA-256 of the body: of its JSON with sorted keys when it is JSON (spacing and key order do
    not matter), else of its bytes."""
    raw: bytes = request._request.body
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _lock_across_processes(user_id: int, digest: str) -> bool:
    """On PostgreSQL, a lock held until the transaction ends; False if another holds it."""
    if connection.vendor != "postgresql":
        return True
    number = int.from_bytes(hashlib.sha256(f"{user_id}:{digest}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [number])
        row = cur.fetchone()
    return bool(row and row[0])


def _record_of(view: Any, response: Any) -> Model | None:
    """The record the answer shows if ``retrieve`` of the same view would show it the same way."""
    serializer = getattr(getattr(response, "data", None), "serializer", None)
    instance = getattr(serializer, "instance", None)
    if not isinstance(instance, Model) or getattr(serializer, "many", False) or not hasattr(view, "retrieve"):
        return None
    if not hasattr(view, "get_object") or not isinstance(instance.pk, int):
        return None
    action = getattr(view, "action", None)
    try:
        view.action = "retrieve"
        shown_by_retrieve = view.get_serializer_class()
    except Exception:  # a view without a serializer for retrieve
        return None
    finally:
        view.action = action
    return instance if type(serializer) is shown_by_retrieve else None


def _replay(view: Any, request: Any, record: Any) -> Response:
    if record.object_id is not None:
        lookup = view.lookup_url_kwarg or view.lookup_field
        view.action = "retrieve"
        view.kwargs = {**view.kwargs, lookup: record.object_id}
        view.check_permissions(request)  # today's permissions; get_object applies today's scope
        response: Response = view.retrieve(request, **view.kwargs)
        response.status_code = record.status
    else:
        response = Response(json.loads(record.body) if record.body else None, status=record.status)
    response[REPLAYED] = "true"
    return response


def run(view: Any, request: Any, key: str, handler: Callable[[], Any]) -> Any:
    """Answer ``request`` (which carries ``key``) by ``handler`` once, then by replaying."""
    from vigil.server.api.models import IdempotencyKey

    user_id = request.user.pk
    digest = _digest(key)
    body_hash = fingerprint(request)
    slot = (user_id, digest)
    with _inflight_lock:
        if slot in _inflight:
            raise KeyInFlight()
        _inflight.add(slot)
    try:
        with transaction.atomic():
            if not _lock_across_processes(user_id, digest):
                raise KeyInFlight()
            now = timezone.now()
            stored = IdempotencyKey.objects.filter(user_id=user_id, key_hash=digest).first()
            if stored is not None and stored.created_at <= now - TTL:
                stored.delete()  # expired: the key is new again
                stored = None
            if stored is not None:
                sent = (request.method, request.path[:500], body_hash)
                if (stored.method, stored.path, stored.body_hash) != sent:
                    raise KeyReused()
                return _replay(view, request, stored)
            try:
                response = handler()
            except Exception as exc:  # answered as without a key; a database error re-raises
                response = view.handle_exception(exc)
            if 200 <= response.status_code < 300 and isinstance(response, Response):
                record = _record_of(view, response)
                body = ""
                if record is None and response.data is not None:
                    body = json.dumps(response.data, cls=JSONEncoder, ensure_ascii=False)
                try:
                    with transaction.atomic():
                        IdempotencyKey.objects.create(
                            user_id=user_id,
                            key_hash=digest,
                            method=request.method,
                            path=request.path[:500],
                            body_hash=body_hash,
                            status=response.status_code,
                            object_id=record.pk if record is not None else None,
                            body=body,
                            created_at=now,
                        )
                except IntegrityError:  # another process stored the key meanwhile: undo this write
                    raise KeyInFlight() from None
            return response
    finally:
        with _inflight_lock:
            _inflight.discard(slot)


def purge_expired(now: Any = None) -> int:
    """Delete the keys older than ``TTL``; the number deleted."""
    from vigil.server.api.models import IdempotencyKey

    cutoff = (now or timezone.now()) - TTL
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted


class IdempotentMixin:
    """Before ``APIView`` in the bases: its ``dispatch`` is DRF's, with the handler run through
    ``run`` when the request carries an ``Idempotency-Key`` (after authentication, permissions
    and throttling, so a key never answers before them)."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        view: Any = self
        if request.method in METHODS and HEADER in request.headers:
            # read (and cached) before anything parses the stream: the session's CSRF check reads
            # a multipart body, after which Django refuses ``request.body``
            request.body  # noqa: B018
        view.args = args
        view.kwargs = kwargs
        request = view.initialize_request(request, *args, **kwargs)
        view.request = request
        view.headers = view.default_response_headers
        try:
            view.initial(request, *args, **kwargs)
            method = request.method.lower()
            handler = getattr(view, method, view.http_method_not_allowed)
            if method not in view.http_method_names:
                handler = view.http_method_not_allowed
            key = requested_key(request)
            if key is None:
                response = handler(request, *args, **kwargs)
            else:
                response = run(view, request, key, lambda: handler(request, *view.args, **kwargs))
        except Exception as exc:
            response = view.handle_exception(exc)
        view.response = view.finalize_response(request, response, *args, **kwargs)
        return view.response

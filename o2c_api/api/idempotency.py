"""`Idempotency-Key` for every endpoint that creates: a retried request never creates twice.

A client sends `Idempotency-Key: <1 to 255 printable ASCII characters>` with a POST (the
OpenAPI schema says the same with `KEY_PATTERN`, so a fuzzer's keys agree with it). Keys are
scoped to the authenticated user and remembered `O2C_IDEMPOTENCY_TTL_HOURS`.

- First request with a key: the key is claimed (an INSERT into `IdempotencyKey` in the
  transaction of the request's work, which does nothing if another request holds the key:
  the unique (user, key) constraint), then the view runs. A 2xx response is stored and the
  key is done, committed with the work; any other outcome (4xx, exception) changed nothing,
  so the key is released and the client may fix and retry with the same key.
- Same key, same request (method, path with query string, canonical JSON body): the stored
  response is replayed (status and body) with the header `Idempotent-Replayed: true`; nothing
  is created. A request that arrives while the first is still running waits for its commit
  at the INSERT, then replays it (or, if the first failed, runs itself).
- Same key, another request: 422 `idempotency_key_reused`.
- Same key stored `in_progress` (a claim committed on its own, as earlier versions of the
  service did): 409 `idempotency_in_progress` while it is fresh; a retry takes it over after
  `O2C_IDEMPOTENCY_STALE_SECONDS`.

The claim, the view's work and the "done" mark are one transaction, so a request that dies
mid-way leaves no trace, and the claim costs no commit of its own.

Use it on a viewset with `IdempotentCreateMixin` (wraps `create`), or decorate any handler
or `@action` with `@idempotent` (below `@action`).
"""

import functools
import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.http import QueryDict
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from o2c_api.api.exceptions import error_response
from o2c_api.db import retry_on_deadlock
from o2c_api.errors import ErrorCode
from o2c_api.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII (space to tilde), at least one of them visible: what an HTTP header carries
# unchanged through proxies (other characters reach the server as latin-1 guesses).
KEY_PATTERN = r"^[ -~]*[!-~][ -~]*$"


def fingerprint(request) -> str:
    """sha256 of method, full path and the body as canonical JSON (key order does not matter)."""
    data = request.data
    if isinstance(data, QueryDict):
        data = sorted(data.lists())
    body = json.dumps(data, sort_keys=True, cls=JSONEncoder, separators=(",", ":"))
    raw = "\n".join((request.method, request.get_full_path(), body))
    return hashlib.sha256(raw.encode()).hexdigest()


def _error(code: str, message: str, status_code: int) -> Response:
    return error_response([{"code": code, "field": HEADER, "message": message}], status_code)


def _replay(record: IdempotencyKey) -> Response:
    return Response(
        record.response_body,
        status=record.response_status,
        headers={REPLAYED_HEADER: "true"},
    )


def _insert(user, key: str, print_: str, now) -> IdempotencyKey | None:
    """Insert the key as in progress; None if the user already holds it (one statement: the
    INSERT waits for a concurrent transaction that inserted the same key, and does nothing if
    that one commits)."""
    connection = connections[router.db_for_write(IdempotencyKey)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("user_id", "key", "fingerprint", "state", "created_at"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(IdempotencyKey._meta.db_table)} ({columns}) "
            "VALUES (%s, %s, %s, %s, %s) "
            f"ON CONFLICT ({quote('user_id')}, {quote('key')}) DO NOTHING RETURNING {quote('id')}",
            [
                user.pk,
                key,
                print_,
                IdempotencyKey.State.IN_PROGRESS,
                connection.ops.adapt_datetimefield_value(now),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return IdempotencyKey(
        pk=row[0],
        user=user,
        key=key,
        fingerprint=print_,
        state=IdempotencyKey.State.IN_PROGRESS,
        created_at=now,
    )


def _claim(user, key: str, print_: str) -> IdempotencyKey | Response:
    """Insert the key as in progress, or answer from the request that already holds it."""
    now = timezone.now()
    expired_before = now - timedelta(hours=settings.O2C_IDEMPOTENCY_TTL_HOURS)
    stale_before = now - timedelta(seconds=settings.O2C_IDEMPOTENCY_STALE_SECONDS)
    for _ in range(3):
        claimed = _insert(user, key, print_, now)
        if claimed is not None:
            return claimed
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is None:
            continue  # released between our INSERT and our read: try again
        if existing.created_at < expired_before:
            # Lazy purge: an expired key is a new key. Conditional delete, so that of two
            # requests racing here only one removes it and both retry the INSERT.
            IdempotencyKey.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
            continue
        if existing.fingerprint != print_:
            return _error(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "This Idempotency-Key was used for a different request; use a new key.",
                status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        if existing.state == IdempotencyKey.State.DONE:
            return _replay(existing)
        if existing.created_at < stale_before:
            # The request holding it died; take it over (only one retry wins the UPDATE).
            taken = IdempotencyKey.objects.filter(
                pk=existing.pk,
                state=IdempotencyKey.State.IN_PROGRESS,
                created_at=existing.created_at,
            ).update(created_at=now)
            if taken:
                existing.created_at = now
                return existing
            continue
        break
    return _error(
        ErrorCode.IDEMPOTENCY_IN_PROGRESS,
        "A request with this Idempotency-Key is still being processed; retry later.",
        status.HTTP_409_CONFLICT,
    )


def _complete(record: IdempotencyKey, response: Response) -> None:
    body = json.loads(json.dumps(response.data, cls=JSONEncoder))
    IdempotencyKey.objects.filter(pk=record.pk).update(
        state=IdempotencyKey.State.DONE,
        response_status=response.status_code,
        response_body=body,
        completed_at=timezone.now(),
    )


def _release(record: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=record.pk, state=IdempotencyKey.State.IN_PROGRESS).delete()


def run_idempotent(request, handler) -> Response:
    """Run `handler()` (returning a DRF Response) under the request's Idempotency-Key, if any.

    Returns:
        The handler's response, a replay of the first response, or a 400/409/422 error.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if len(key) > MAX_KEY_LENGTH or not re.fullmatch(KEY_PATTERN, key):
        return _error(
            ErrorCode.INVALID_IDEMPOTENCY_KEY,
            f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            status.HTTP_400_BAD_REQUEST,
        )
    print_ = fingerprint(request)

    def work() -> Response:
        with transaction.atomic():
            claimed = _claim(request.user, key, print_)
            if isinstance(claimed, Response):
                return claimed
            response = handler()
            if status.is_success(response.status_code):
                _complete(claimed, response)
            else:
                _release(claimed)
        return response

    return retry_on_deadlock(work)


def idempotent(method):
    """Decorate a viewset handler or `@action` (place it below `@action`)."""

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        return run_idempotent(request, lambda: method(self, request, *args, **kwargs))

    wrapper.idempotent = True  # read by the OpenAPI schema (`is_idempotent`)
    return wrapper


def is_idempotent(view, action: str | None) -> bool:
    """Whether `view`'s handler of `action` honours the Idempotency-Key header."""
    return bool(action) and getattr(getattr(view, action, None), "idempotent", False)


class IdempotentCreateMixin:
    """Viewset mixin: `create` honours the `Idempotency-Key` header."""

    def create(self, request, *args, **kwargs):
        return run_idempotent(
            request, lambda: super(IdempotentCreateMixin, self).create(request, *args, **kwargs)
        )

    create.idempotent = True

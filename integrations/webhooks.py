"""Webhooks: subscriptions, signing, fan-out of the feed, delivery with retries.

Delivery is at least once: the worker reads the feed (`dispatch`) into one `WebhookDelivery`
per (subscription, event), then POSTs the due ones (`deliver_due`). A delivery is claimed by
moving its next attempt one lease ahead before the POST, so a worker that dies mid-request
leaves it to be sent again; receivers deduplicate on the `O2C-Event-Id` header.

Signature (header `O2C-Signature: t=<unix seconds>,v1=<hex>`): HMAC-SHA256 with the
subscription's secret over `<t>.<raw body>`. A receiver recomputes it, compares in constant
time and refuses timestamps older than a few minutes (replays). See docs/rest-api.md.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.scoping import is_scoped, own_customer_ids, scope
from integrations import feed
from integrations.errors import ErrorCode
from integrations.models import (
    EventType,
    FeedPosition,
    WebhookDelivery,
    WebhookSubscription,
)

DISPATCHER = "webhooks"
SIGNATURE_HEADER = "O2C-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `O2C-Signature` header value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def check_event_types(event_types) -> list[str]:
    """The subscription's event types, checked (a list of `EventType` values; empty: all).

    Raises:
        ValidationError: unknown_event_type.
    """
    if not isinstance(event_types, list) or not all(isinstance(t, str) for t in event_types):
        raise ValidationError(
            {
                "event_types": ValidationError(
                    "A list of event type names.", ErrorCode.UNKNOWN_EVENT_TYPE
                )
            }
        )
    unknown = [t for t in event_types if t not in EventType.values]
    if unknown:
        raise ValidationError(
            {
                "event_types": ValidationError(
                    f"Unknown event type {unknown[0]!r}.", ErrorCode.UNKNOWN_EVENT_TYPE
                )
            }
        )
    return sorted(set(event_types))


@transaction.atomic
def save_subscription(subscription: WebhookSubscription | None = None, **fields):
    """Create or change a subscription. Turning it back on clears the failure count.

    Raises:
        ValidationError: unknown_event_type, and the model's field errors (e.g. invalid url).
    """
    subscription = subscription or WebhookSubscription()
    if "event_types" in fields:
        fields["event_types"] = check_event_types(fields["event_types"])
    reactivated = fields.get("is_active") and not subscription.is_active
    for name, value in fields.items():
        setattr(subscription, name, value)
    if reactivated:
        subscription.consecutive_failures = 0
        subscription.disabled_reason = ""
        subscription.disabled_at = None
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again as soon as the worker runs, with a fresh retry budget."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    return delivery


def visible_subscriptions(queryset, user):
    """The subscriptions `user` may see and change: a user limited to their customers
    (accounts.scoping) only their own (one that changed another's URL would receive every
    customer's events); everyone else all of them."""
    return queryset.filter(owner=user) if is_scoped(user) else queryset


def visible_deliveries(queryset, user):
    """The delivery log `user` may see: a scoped user's own subscriptions' deliveries of
    their customers' events; everyone else all of it."""
    if not is_scoped(user):
        return queryset
    return scope(queryset, user).filter(subscription__owner=user)


def _reach(subscriptions: list[WebhookSubscription], known: dict) -> dict[int, set[int] | None]:
    """For each subscription, the customers whose events it gets (None: every event).

    A subscription owned by a user limited to their customers gets only those customers'
    events, as the user's feed; judged per owner (two queries each, once per `dispatch`),
    never per event.
    """
    for subscription in subscriptions:
        owner = subscription.owner
        if owner is not None and owner.pk not in known:
            ids = own_customer_ids(owner)
            known[owner.pk] = None if ids is None else set(ids)
    return {s.pk: known[s.owner_id] if s.owner_id else None for s in subscriptions}


def dispatch(batch: int = feed.MAX_LIMIT, max_batches: int = 20) -> int:
    """Turn new feed events into deliveries for the subscriptions that want them.

    Returns:
        The number of deliveries created.
    """
    created = 0
    owners: dict[int, set[int] | None] = {}
    for _ in range(max_batches):
        with transaction.atomic():
            position, _ = FeedPosition.objects.select_for_update().get_or_create(name=DISPATCHER)
            page = feed.page(position.cursor or None, limit=batch)
            subscriptions = list(WebhookSubscription.objects.select_related("owner"))
            reach = _reach(subscriptions, owners)
            deliveries = [
                WebhookDelivery(subscription=subscription, event=event)
                for event in page.events
                for subscription in subscriptions
                if subscription.wants(event.type)
                and (reach[subscription.pk] is None or event.customer_id in reach[subscription.pk])
            ]
            WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            created += len(deliveries)
            position.cursor = page.next_cursor
            position.save(update_fields=["cursor", "updated_at"])
        if not page.has_more:
            break
    return created


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt after `attempts` failed ones: doubling, capped."""
    base = settings.O2C_WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(
        seconds=min(base * 2 ** (attempts - 1), settings.O2C_WEBHOOK_RETRY_CAP_SECONDS)
    )


def _claim(limit: int) -> list[WebhookDelivery]:
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event", "subscription")
            .filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .order_by("next_attempt_at", "id")[:limit]
        )
        lease = now + timedelta(seconds=settings.O2C_WEBHOOK_TIMEOUT_SECONDS * 2 + 30)
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(next_attempt_at=lease)
    return due


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer like any other non-2xx: a failed attempt


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class Attempt:
    ok: bool
    response_code: int | None
    latency_ms: int
    error: str


def post(delivery: WebhookDelivery) -> Attempt:
    """POST one delivery's event to its subscription's URL, signed; never raises."""
    body = json.dumps(feed.envelope(delivery.event), separators=(",", ":")).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(
        delivery.subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "o2c-api-webhooks/1",
            "O2C-Event-Id": str(delivery.event_id),
            "O2C-Event-Type": delivery.event.type,
            "O2C-Delivery-Id": str(delivery.pk),
            SIGNATURE_HEADER: sign(delivery.subscription.secret, timestamp, body),
        },
    )
    started = time.perf_counter()
    code, error = None, ""
    try:
        with _opener.open(request, timeout=settings.O2C_WEBHOOK_TIMEOUT_SECONDS) as response:
            code = response.status
            response.read(1024)
    except urllib.error.HTTPError as exc:
        code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    latency = int((time.perf_counter() - started) * 1000)
    ok = code is not None and 200 <= code < 300
    return Attempt(ok, code, latency, "" if ok else error or f"HTTP {code}")


def deliver_due(limit: int = 100) -> dict:
    """Send the deliveries that are due (one attempt each) and record what happened.

    Returns:
        Counts: sent (2xx), failed (attempts that failed), disabled (subscriptions turned off).
    """
    from o2c_api import observability

    counts = {"sent": 0, "failed": 0, "disabled": 0}
    disabled: set[int] = set()
    for delivery in _claim(limit):
        if delivery.subscription_id in disabled:  # turned off during this round: release it
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
            continue
        attempt = post(delivery)
        counts["sent" if attempt.ok else "failed"] += 1
        if not attempt.ok:
            observability.count_webhook_failure()
        if _record_attempt(delivery, attempt):
            counts["disabled"] += 1
            disabled.add(delivery.subscription_id)
    return counts


@transaction.atomic
def _record_attempt(delivery: WebhookDelivery, attempt: Attempt) -> int:
    now = timezone.now()
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    delivery.attempts += 1
    delivery.response_code = attempt.response_code
    delivery.latency_ms = attempt.latency_ms
    delivery.last_error = attempt.error
    delivery.last_attempt_at = now
    disabled = 0
    if attempt.ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        subscription.consecutive_failures = 0
    else:
        subscription.consecutive_failures += 1
        if delivery.attempts >= settings.O2C_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        limit = settings.O2C_WEBHOOK_DISABLE_AFTER
        if subscription.is_active and subscription.consecutive_failures >= limit:
            subscription.is_active = False
            subscription.disabled_at = now
            subscription.disabled_reason = (
                f"Disabled after {subscription.consecutive_failures} failed attempts in a row; "
                f"the last: {attempt.error} (event {delivery.event_id}, delivery {delivery.pk})."
            )
            disabled = 1
    delivery.save()
    subscription.save(
        update_fields=[
            "consecutive_failures",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "updated_at",
        ]
    )
    return disabled

"""The outbox of domain events, webhook subscriptions and their deliveries, the job schedule.

Events are written by the services in the transaction of the change they describe
(`integrations.events.record`), read in commit order by the feed (`integrations.feed`) and
fanned out to webhook subscriptions by the worker (`integrations.webhooks`).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class EventType(models.TextChoices):
    """What happened. `<object>.<verb>`; the values are part of the API."""

    INVOICE_ISSUED = "invoice.issued", "Invoice issued"
    INVOICE_PAID = "invoice.paid", "Invoice paid"
    INVOICE_VOIDED = "invoice.voided", "Invoice voided"
    INVOICE_CREDITED = "invoice.credited", "Invoice credited (credit note or write-off)"
    PAYMENT_POSTED = "payment.posted", "Payment posted"
    PAYMENT_APPLIED = "payment.applied", "Payment applied"
    PAYMENT_UNAPPLIED = "payment.unapplied", "Payment unapplied"
    DISPUTE_OPENED = "dispute.opened", "Dispute opened"
    DISPUTE_RESOLVED = "dispute.resolved", "Dispute resolved"
    PROMISE_MADE = "promise.made", "Promise made"
    PROMISE_KEPT = "promise.kept", "Promise kept"
    PROMISE_BROKEN = "promise.broken", "Promise broken"
    CREDIT_HOLD_PLACED = "credit_hold.placed", "Credit hold placed"
    CREDIT_HOLD_LIFTED = "credit_hold.lifted", "Credit hold lifted"
    CUSTOMER_CREATED = "customer.created", "Customer created"
    CUSTOMER_CHANGED = "customer.changed", "Customer changed"
    RECORD_DELETED = "record.deleted", "Record deleted (tombstone)"
    KPI_STATUS_CHANGED = "kpi.status_changed", "KPI status changed"


class Event(models.Model):
    """A domain event, inserted in the same transaction as the change it records (an outbox).

    `txid` is the id of the inserting transaction on PostgreSQL (0 on SQLite): the feed is
    ordered by (txid, id) and only shows transactions older than every one still running, so
    a reader's cursor never passes an event that commits later (see `integrations.feed`).
    """

    type = models.CharField(max_length=40, choices=EventType.choices)
    object_type = models.CharField(max_length=40, help_text="invoice, payment, customer, kpi …")
    object_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    txid = models.BigIntegerField(default=0, help_text="The writing transaction (PostgreSQL).")
    # The customer the event is about, set when it is recorded (`integrations.events`): what
    # narrows the feed and webhooks of a user limited to their customers (accounts.scoping).
    # No foreign-key constraint: a tombstone outlives its row, and the outbox insert must
    # not lock the customer. Null for events of no customer (KPI status changes).
    customer = models.ForeignKey(
        "accounts.Customer",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["txid", "id"]
        indexes = [
            models.Index(fields=["txid", "id"], name="event_feed_order"),
            models.Index(fields=["type", "txid", "id"], name="event_feed_by_type"),
            models.Index(fields=["customer", "txid", "id"], name="event_feed_by_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.object_type} {self.object_id}"

    @property
    def cursor(self) -> str:
        return f"{self.txid}_{self.pk}"


class FeedPosition(models.Model):
    """Where an internal reader of the feed (the webhook dispatcher) has got to."""

    name = models.CharField(max_length=40, unique=True)
    cursor = models.CharField(max_length=60, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.cursor or 'the start'}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookSubscription(models.Model):
    """A URL that receives events as signed POSTs (see docs/rest-api.md, "Webhooks").

    Disabled automatically after `O2C_WEBHOOK_DISABLE_AFTER` failed attempts in a row, with the
    reason in `disabled_reason`; turning `is_active` back on resumes its pending deliveries.
    """

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=list, blank=True, help_text="Event types sent; empty sends every type."
    )
    secret = models.CharField(
        max_length=100, default=new_secret, help_text="Key of the HMAC-SHA256 signature."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who created it: a user limited to their customers (accounts.scoping) gets "
        "only their customers' events, and sees only their own subscriptions.",
    )
    is_active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event for one subscription: the delivery log (attempts, last answer, next try)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (gave up)"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_due")]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription} ({self.status})"


class ScheduledJob(models.Model):
    """A job the worker runs every `interval_seconds` (edit the schedule in the admin).

    The worker enqueues a due job as a task (`integrations.tasks.run_job`); a failed run is
    retried up to `max_attempts` times with a growing delay, and its error stays here and in
    the task results.
    """

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=60, unique=True)
    enabled = models.BooleanField(default=True)
    interval_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField(default=timezone.now)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    last_result = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed runs in a row.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A worker process saying it is alive (`/readyz` wants one seen recently)."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"


class KPIStatus(models.Model):
    """The last status seen for a KPI of the default scope (to detect a change)."""

    kpi = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=5, blank=True)
    checked_at = models.DateTimeField()

    class Meta:
        verbose_name = "KPI status"
        verbose_name_plural = "KPI statuses"

    def __str__(self) -> str:
        return f"{self.kpi}: {self.status or 'none'}"

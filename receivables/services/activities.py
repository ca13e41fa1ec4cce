"""Collection activities (calls, emails, reminders): their rules and writes.

Every write here keeps `Invoice.activity_count` (the number of the invoice's activities) in
the same transaction: activities are written through these services only (the demo seed,
which bulk-writes, sets the counts itself; tests/invariants.py checks them).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from accounts.models import Customer
from integrations import events
from integrations.models import EventType
from metrics import rollup
from receivables.errors import ErrorCode
from receivables.models import (
    CollectionActivity,
    Invoice,
)


def check_activity_rules(activity: CollectionActivity) -> None:
    """The rules an activity holds on create and on every change."""
    if activity.invoice_id is not None and activity.invoice.customer_id != activity.customer_id:
        raise ValidationError(
            {
                "invoice": ValidationError(
                    f"Invoice {activity.invoice.number} belongs to another customer.",
                    ErrorCode.CUSTOMER_MISMATCH,
                )
            }
        )
    if activity.clicked_at is not None and activity.clicked_at < activity.occurred_at:
        raise ValidationError(
            {
                "clicked_at": ValidationError(
                    "Clicked before the message was sent.", ErrorCode.CLICKED_BEFORE_OCCURRED
                )
            }
        )


@transaction.atomic
@rollup.tracked
def create_activity(
    *,
    customer: Customer,
    kind: str,
    occurred_at,
    invoice: Invoice | None = None,
    clicked_at=None,
    outcome: str = "",
    notes: str = "",
    user=None,
) -> CollectionActivity:
    """Log a reminder, email, call, SMS or note in the collection of a customer or an invoice.

    Raises:
        ValidationError: customer_mismatch (the invoice is another customer's),
            clicked_before_occurred, or the model's field errors (e.g. an unknown kind).
    """
    activity = CollectionActivity(
        customer=customer,
        invoice=invoice,
        kind=kind,
        occurred_at=occurred_at,
        clicked_at=clicked_at,
        outcome=outcome,
        notes=notes,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    check_activity_rules(activity)
    activity.full_clean()
    activity.save()
    _count_activities({activity.invoice_id: 1})
    rollup.added(activities=[activity.pk])
    return activity


@transaction.atomic
@rollup.tracked
def update_activity(activity: CollectionActivity, **changes) -> CollectionActivity:
    """Change a collection activity under a row lock, holding the rules of `create_activity`.

    Raises:
        ValidationError: as `create_activity`.
    """
    activity = CollectionActivity.objects.select_for_update().get(pk=activity.pk)
    rollup.touch(activities=[activity.pk])
    invoice_before = activity.invoice_id
    for field, value in changes.items():
        setattr(activity, field, value)
    check_activity_rules(activity)
    activity.full_clean()
    activity.save()
    if activity.invoice_id != invoice_before:
        # Moved to another invoice (or onto one, or off it): one less there, one more here.
        _count_activities({invoice_before: -1, activity.invoice_id: 1})
    return activity


@transaction.atomic
@rollup.tracked
def delete_activity(activity: CollectionActivity) -> None:
    """Delete a collection activity (no money moves with it; its KPI facts go with it)."""
    activity = CollectionActivity.objects.select_for_update().get(pk=activity.pk)
    rollup.touch(activities=[activity.pk])
    events.record(EventType.RECORD_DELETED, ("collectionactivity", activity.pk))
    activity.delete()
    _count_activities({activity.invoice_id: -1})


def _count_activities(deltas: dict[int | None, int]) -> None:
    """Add each delta to its invoice's `activity_count` (None: an activity without invoice).

    An UPDATE of `activity_count + delta`, not a value computed here, so concurrent writers
    of the same invoice wait for each other's row lock and none loses the other's count; in
    invoice order, as the cash services lock invoices, so two invoices' locks never cross.
    A set-based UPDATE: no history row (the count is not part of the audit trail, see
    `Invoice.history`) and `updated_at` stays the time of the invoice's own last change.
    """
    for invoice_id in sorted(pk for pk, delta in deltas.items() if pk is not None and delta):
        Invoice.objects.filter(pk=invoice_id).update(
            activity_count=F("activity_count") + deltas[invoice_id]
        )

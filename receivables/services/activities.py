"""Collection activities (calls, emails, reminders): their rules and writes."""

from django.core.exceptions import ValidationError
from django.db import transaction

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
    for field, value in changes.items():
        setattr(activity, field, value)
    check_activity_rules(activity)
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
@rollup.tracked
def delete_activity(activity: CollectionActivity) -> None:
    """Delete a collection activity (no money moves with it; its KPI facts go with it)."""
    activity = CollectionActivity.objects.select_for_update().get(pk=activity.pk)
    rollup.touch(activities=[activity.pk])
    events.record(EventType.RECORD_DELETED, ("collectionactivity", activity.pk))
    activity.delete()

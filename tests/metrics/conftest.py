"""Helpers for the KPI tests: money, scopes and cash that is received and applied in one go."""

from datetime import date
from decimal import Decimal

import pytest

from metrics.scope import Scope
from receivables import services
from tests.factories import PaymentFactory


def D(value) -> Decimal:  # noqa: N802 - reads like a literal in the hand-worked examples
    return Decimal(str(value))


def scope(start: date, end: date, **filters) -> Scope:
    return Scope(start=start, end=end, currency=filters.pop("currency", "USD"), **filters)


def pay(invoice, amount, on: date, *, automatic: bool = False, applied_date: date | None = None):
    """Receive `amount` from the invoice's customer on `on` and apply it to the invoice."""
    payment = PaymentFactory(
        customer=invoice.customer, amount=D(amount), received_date=on, currency=invoice.currency
    )
    services.apply_payment(
        payment, invoice, D(amount), applied_date=applied_date, automatic=automatic
    )
    return payment


@pytest.fixture
def thresholds_off(db):
    """No thresholds: statuses are null (for tests about values only)."""
    from metrics.models import Threshold

    Threshold.objects.all().delete()

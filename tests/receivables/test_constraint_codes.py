"""Model constraints carry the codes the services raise, so a write that reaches the database
rules through `full_clean` (admin, a model form) is refused with the same code."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from receivables.errors import ErrorCode
from receivables.models import CollectionActivity, Dispute, Invoice, PromiseToPay
from tests.factories import CustomerFactory, InvoiceFactory


def codes(instance) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        instance.validate_constraints()
    return sorted(error.code for errors in refused.value.error_dict.values() for error in errors)


def test_check_constraints_answer_the_service_codes(db):
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, issue_date=date(2026, 1, 10))
    assert codes(
        Invoice(
            customer=customer,
            number="X-1",
            issue_date=date(2026, 1, 10),
            due_date=date(2026, 1, 9),
            amount=Decimal("0.00"),
            open_amount=Decimal("0.00"),
            currency="USD",
        )
    ) == sorted([ErrorCode.NOT_POSITIVE, ErrorCode.DUE_BEFORE_ISSUE])
    assert codes(
        PromiseToPay(
            invoice=invoice,
            customer=invoice.customer,
            created_date=date(2026, 2, 1),
            promised_date=date(2026, 1, 31),
            amount=Decimal("5.00"),
        )
    ) == [ErrorCode.PROMISED_BEFORE_CREATED]
    assert codes(
        Dispute(
            invoice=invoice,
            reason="pricing",
            amount=Decimal("5.00"),
            opened_date=date(2026, 2, 1),
            status="resolved",
            resolved_date=date(2026, 1, 20),
        )
    ) == [ErrorCode.DATE_BEFORE_OPENED]
    sent = datetime(2026, 2, 1, 9, tzinfo=UTC)
    assert codes(
        CollectionActivity(
            customer=customer,
            kind="reminder",
            occurred_at=sent,
            clicked_at=sent.replace(hour=8),
        )
    ) == [ErrorCode.CLICKED_BEFORE_OCCURRED]

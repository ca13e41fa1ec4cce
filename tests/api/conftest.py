"""Fixtures of the REST API tests: one small world with a row of every resource."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Customer, Opportunity, SalesRep, Segment
from receivables import services
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    Order,
    Payment,
    PaymentApplication,
    PromiseToPay,
)
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    SalesRepFactory,
    SegmentFactory,
)

MODELS = (
    Segment,
    SalesRep,
    Customer,
    Opportunity,
    Order,
    Invoice,
    Adjustment,
    Payment,
    PaymentApplication,
    Dispute,
    PromiseToPay,
    CollectionActivity,
)


def snapshot() -> dict:
    """Every row of every domain table: equal before and after means nothing changed."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


@dataclass
class World:
    segment: Segment
    spare_segment: Segment
    rep: SalesRep
    spare_rep: SalesRep
    customer: Customer
    held_customer: Customer
    opportunity: Opportunity
    order: Order
    invoice: Invoice
    draft: Invoice
    adjustment: Adjustment
    dispute: Dispute
    promise: PromiseToPay
    activity: CollectionActivity


@pytest.fixture
def world(db) -> World:
    segment = SegmentFactory(name="Enterprise", code="ENT")
    rep = SalesRepFactory(name="Ada Rep", email="ada@example.com")
    customer = CustomerFactory(name="Acme", segment=segment, rep=rep)
    invoice = InvoiceFactory(
        customer=customer, number="INV-1", amount=Decimal("100.00"), issue_date=date(2026, 1, 1)
    )
    return World(
        segment=segment,
        spare_segment=SegmentFactory(name="Spare", code="SPARE"),
        rep=rep,
        spare_rep=SalesRepFactory(name="Spare Rep", email="spare@example.com"),
        customer=customer,
        held_customer=CustomerFactory(name="Held", segment=segment, on_credit_hold=True),
        opportunity=OpportunityFactory(customer=customer, name="Deal"),
        order=OrderFactory(customer=customer, number="SO-1"),
        invoice=invoice,
        draft=InvoiceFactory(
            customer=customer, number="INV-DRAFT", status="draft", issue_date=date(2026, 1, 5)
        ),
        adjustment=services.add_adjustment(
            invoice, kind="credit_note", amount=Decimal("10.00"), adjustment_date=date(2026, 1, 2)
        ),
        dispute=services.open_dispute(
            invoice, reason="pricing", amount=Decimal("20.00"), opened_date=date(2026, 1, 3)
        ),
        promise=services.create_promise(
            invoice,
            promised_date=date(2026, 2, 1),
            amount=Decimal("50.00"),
            created_date=date(2026, 1, 4),
        ),
        activity=ActivityFactory(
            customer=customer,
            invoice=invoice,
            occurred_at=timezone.make_aware(timezone.datetime(2026, 1, 6, 9, 0)),
        ),
    )

"""A posting's answer, written out by `render_postings`, is PaymentPostingSerializer's."""

import json
from datetime import date
from decimal import Decimal

import pytest

from receivables.api.payments.render import render_postings
from receivables.api.payments.serializers import PaymentPostingSerializer
from receivables.cash_application import RemittanceLine, batch, post_payment, post_payments
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
RECEIVED = date(2026, 2, 1)


def serialized(postings) -> list[dict]:
    for posting in postings:
        posting.payment.posting = posting
    return PaymentPostingSerializer([posting.payment for posting in postings], many=True).data


def assert_rendered_as_serialized(postings) -> None:
    rendered, expected = render_postings(postings), serialized(postings)
    assert rendered == expected
    # Same keys in the same order, same JSON (types included: "1.00" is not 1.00).
    assert json.dumps(rendered) == json.dumps(expected)


def test_every_rule_and_exception_with_a_client():
    user = UserFactory(username="erp")
    customer = CustomerFactory(external_id="ERP-ACME")
    InvoiceFactory(customer=customer, number="INV-1", amount=D("100.00"))
    InvoiceFactory(customer=customer, number="INV-2", amount=D("80.00"))
    InvoiceFactory(customer=customer, number="INV-3", amount=D("30.00"))
    InvoiceFactory(
        customer=customer, number="INV-4", amount=D("45.50"), issue_date=date(2026, 3, 1)
    )

    postings = [
        post_payment(
            customer=customer,
            amount=D("150"),
            received_date=RECEIVED,
            method="ach",
            reference="ACME INV-1",
            external_id="BANK-1",
            remittance=[
                RemittanceLine(invoice_number="inv-1", amount=D("100.00")),
                RemittanceLine(invoice_number="INV-9", amount=D("20.00")),
                RemittanceLine(invoice_number="INV-2", amount=D("90.00")),
            ],
            posted_by=user,
        ),
        post_payment(
            customer=customer,
            amount=D("200.00"),
            received_date=RECEIVED,
            reference="INV-1, INV-2 and INV-4",
            posted_by=user,
        ),
        post_payment(customer=customer, amount=D("30.00"), received_date=RECEIVED),
        post_payment(customer=customer, amount=D("12.34"), received_date=RECEIVED),
    ]

    assert [p.rule for p in postings] == ["remittance", "reference", "exact_amount", "none"]
    assert [e.code for e in postings[0].exceptions] == [
        "invoice_not_found",
        "exceeds_unapplied_amount",
    ]
    assert [e.code for e in postings[1].exceptions] == ["invoice_paid"]
    assert_rendered_as_serialized(postings)


def test_customer_without_rep_segment_or_external_id_and_no_client():
    customer = CustomerFactory(rep=None, segment=None)
    InvoiceFactory(customer=customer, number="INV-1", amount=D("10.00"))

    posting = post_payment(customer=customer, amount=D("10.00"), received_date=RECEIVED)

    assert posting.payment.posted_by is None
    assert [a.created_by for a in posting.applications] == [None]
    assert_rendered_as_serialized([posting])


def test_a_batch_of_postings():
    user = UserFactory(username="erp")
    customers = [CustomerFactory(), CustomerFactory(rep=None)]
    for n, customer in enumerate(customers):
        InvoiceFactory(customer=customer, number=f"INV-{n}", amount=D("60.00"))

    with batch():
        postings = post_payments(
            [
                {
                    "customer": customer,
                    "amount": D("40.00"),
                    "received_date": RECEIVED,
                    "reference": f"INV-{n}",
                    "external_id": f"B-{n}-{k}",
                }
                for n, customer in enumerate(customers)
                for k in range(2)
            ],
            posted_by=user,
        )

    assert [a.amount for p in postings for a in p.applications] == [D(40), D(20)] * 2
    assert_rendered_as_serialized(postings)

"""post_payment: every matching rule, every exception code, the invariants after each."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from o2c_api.errors import Conflict
from receivables import services
from receivables.cash_application import (
    RemittanceLine,
    batch,
    post_payment,
    post_payments,
    reference_tokens,
    resolve_customer,
)
from receivables.models import Invoice, Payment, PaymentApplication, PromiseToPay
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory
from tests.invariants import assert_invariants

pytestmark = pytest.mark.django_db

D = Decimal
RECEIVED = date(2026, 2, 1)


def post(customer, amount, **kwargs):
    kwargs.setdefault("received_date", RECEIVED)
    return post_payment(customer=customer, amount=D(amount), **kwargs)


@pytest.fixture
def customer():
    return CustomerFactory()


def test_remittance_lines_applied_as_given(customer, check_rollup):
    inv1 = InvoiceFactory(customer=customer, number="INV-1", amount=D("100.00"))
    inv2 = InvoiceFactory(customer=customer, number="INV-2", amount=D("200.00"))

    result = post(
        customer,
        "250.00",
        reference="INV-2",
        remittance=[
            RemittanceLine(invoice_number="inv-1", amount=D("100.00")),
            RemittanceLine(invoice=inv2.pk, amount=D("120.00")),
        ],
    )

    assert result.rule == "remittance"
    assert [(a.invoice_id, a.amount, a.automatic, a.applied_date) for a in result.applications] == [
        (inv1.pk, D("100.00"), True, RECEIVED),
        (inv2.pk, D("120.00"), True, RECEIVED),
    ]
    assert result.exceptions == []
    assert result.unapplied_amount == D("30.00")
    inv1.refresh_from_db()
    inv2.refresh_from_db()
    assert (inv1.open_amount, inv1.status, inv1.paid_date) == (D("0.00"), "paid", RECEIVED)
    assert (inv2.open_amount, inv2.status) == (D("80.00"), "open")
    assert Payment.objects.get().unapplied_amount == D("30.00")
    check_rollup()
    assert_invariants()


def test_remittance_exceptions_keep_the_cash(customer, check_rollup):
    other = CustomerFactory()
    good = InvoiceFactory(customer=customer, number="INV-GOOD", amount=D("100.00"))
    foreign = InvoiceFactory(customer=other, number="INV-OTHER", amount=D("50.00"))
    void = InvoiceFactory(customer=customer, number="INV-VOID", amount=D("50.00"))
    services.void_invoice(void)
    eur = InvoiceFactory(customer=customer, number="INV-EUR", amount=D("50.00"), currency="EUR")
    small = InvoiceFactory(customer=customer, number="INV-SMALL", amount=D("10.00"))

    result = post(
        customer,
        "300.00",
        remittance=[
            RemittanceLine(invoice_number="INV-GOOD", amount=D("100.00")),
            RemittanceLine(invoice_number="NOPE-1", amount=D("10.00")),
            RemittanceLine(invoice=foreign.pk, amount=D("20.00")),
            RemittanceLine(invoice_number="INV-VOID", amount=D("30.00")),
            RemittanceLine(invoice_number="INV-EUR", amount=D("40.00")),
            RemittanceLine(invoice_number="INV-SMALL", amount=D("11.00")),
            RemittanceLine(invoice=999999, amount=D("5.00")),
            RemittanceLine(invoice_number="INV-SMALL", amount=D("0.00")),
        ],
    )

    assert [(a.invoice_id, a.amount) for a in result.applications] == [(good.pk, D("100.00"))]
    assert [(e.line, e.invoice, e.code, e.amount) for e in result.exceptions] == [
        (1, "NOPE-1", "invoice_not_found", D("10.00")),
        (2, str(foreign.pk), "customer_mismatch", D("20.00")),
        (3, "INV-VOID", "invoice_not_open", D("30.00")),
        (4, "INV-EUR", "currency_mismatch", D("40.00")),
        (5, "INV-SMALL", "exceeds_open_amount", D("11.00")),
        (6, "999999", "invoice_not_found", D("5.00")),
        (7, "INV-SMALL", "not_positive", D("0.00")),
    ]
    assert all(e.message for e in result.exceptions)
    assert result.unapplied_amount == D("200.00")
    for invoice, open_amount in ((foreign, "50.00"), (eur, "50.00"), (small, "10.00")):
        invoice.refresh_from_db()
        assert invoice.open_amount == D(open_amount)
    check_rollup()
    assert_invariants()


def test_remittance_beyond_the_payment_is_an_exception(customer):
    inv1 = InvoiceFactory(customer=customer, amount=D("100.00"))
    inv2 = InvoiceFactory(customer=customer, amount=D("100.00"))

    result = post(
        customer,
        "150.00",
        remittance=[
            RemittanceLine(invoice=inv1.pk, amount=D("100.00")),
            RemittanceLine(invoice=inv2.pk, amount=D("100.00")),
        ],
    )

    assert [a.invoice_id for a in result.applications] == [inv1.pk]
    assert [(e.line, e.code, e.amount) for e in result.exceptions] == [
        (1, "exceeds_unapplied_amount", D("100.00"))
    ]
    assert result.unapplied_amount == D("50.00")
    assert_invariants()


def test_remittance_line_for_an_invoice_issued_later_is_dated_on_its_issue(customer):
    invoice = InvoiceFactory(customer=customer, issue_date=date(2026, 3, 1), amount=D("10.00"))

    result = post(customer, "10.00", remittance=[RemittanceLine(invoice=invoice.pk, amount=D(10))])

    assert result.applications[0].applied_date == date(2026, 3, 1)


def test_reference_numbers_applied_oldest_first_up_to_open_amount(customer, check_rollup):
    newer = InvoiceFactory(customer=customer, number="INV-00013", issue_date=date(2026, 1, 20))
    older = InvoiceFactory(customer=customer, number="INV-00012", issue_date=date(2026, 1, 5))
    InvoiceFactory(customer=customer, number="INV-00014", amount=D("150.00"))

    result = post(customer, "150.00", reference="Payment inv-00013, INV-00012 thanks")

    assert result.rule == "reference"
    assert [(a.invoice_id, a.amount) for a in result.applications] == [
        (older.pk, D("100.00")),
        (newer.pk, D("50.00")),
    ]
    assert result.unapplied_amount == D("0.00")
    check_rollup()
    assert_invariants()


def test_reference_leftover_stays_unapplied(customer):
    invoice = InvoiceFactory(customer=customer, number="INV-7")

    result = post(customer, "130.00", reference="INV-7")

    assert [(a.invoice_id, a.amount) for a in result.applications] == [(invoice.pk, D("100.00"))]
    assert result.unapplied_amount == D("30.00")


def test_reference_names_a_paid_void_and_foreign_currency_invoice(customer):
    paid = InvoiceFactory(customer=customer, number="INV-PAID", amount=D("10.00"))
    post(customer, "10.00", remittance=[RemittanceLine(invoice=paid.pk, amount=D("10.00"))])
    void = InvoiceFactory(customer=customer, number="INV-VOID")
    services.void_invoice(void)
    InvoiceFactory(customer=customer, number="INV-EUR", currency="EUR")
    InvoiceFactory(customer=customer, amount=D("100.00"))  # would match by amount: not used

    result = post(customer, "100.00", reference="INV-PAID INV-VOID INV-EUR")

    assert result.rule == "reference"
    assert result.applications == []
    assert sorted((e.line, e.invoice, e.code, e.amount) for e in result.exceptions) == [
        (None, "INV-EUR", "currency_mismatch", D("0.00")),
        (None, "INV-PAID", "invoice_paid", D("0.00")),
        (None, "INV-VOID", "invoice_not_open", D("0.00")),
    ]
    assert result.unapplied_amount == D("100.00")


def test_reference_ignores_other_customers_numbers_and_partial_tokens(customer):
    InvoiceFactory(customer=CustomerFactory(), number="INV-9")
    InvoiceFactory(customer=customer, number="INV-12")

    result = post(customer, "55.00", reference="INV-9 inv 12 INV-123 XINV-12")

    assert (result.rule, result.applications, result.exceptions) == ("none", [], [])


@pytest.mark.parametrize(
    ("reference", "tokens"),
    [
        ("INV-00012, INV-00013", ["INV-00012", "INV-00013"]),
        ("inv-00012;inv-00013.", ["INV-00012", "INV-00013"]),
        ("Pmt INV-1/INV-2", ["PMT", "INV-1/INV-2", "INV-1", "INV-2"]),
        ("ref 2026/0012 (x)", ["REF", "2026/0012", "2026", "0012", "X"]),
        ("", []),
    ],
)
def test_reference_tokens(reference, tokens):
    assert reference_tokens(reference) == tokens


def test_number_with_slash_matches(customer):
    invoice = InvoiceFactory(customer=customer, number="2026/0012")

    result = post(customer, "40.00", reference="ACME 2026/0012")

    assert [(a.invoice_id, a.amount) for a in result.applications] == [(invoice.pk, D("40.00"))]


def test_exact_amount_single_open_invoice(customer, check_rollup):
    InvoiceFactory(customer=customer, amount=D("99.00"))
    match = InvoiceFactory(customer=customer, amount=D("123.45"))
    InvoiceFactory(customer=customer, amount=D("123.45"), currency="EUR")

    result = post(customer, "123.45", reference="no numbers here")

    assert result.rule == "exact_amount"
    assert [(a.invoice_id, a.amount) for a in result.applications] == [(match.pk, D("123.45"))]
    assert result.unapplied_amount == D("0.00")
    check_rollup()


def test_exact_amount_uses_open_amount_after_partial_payment(customer):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    post(customer, "60.00", remittance=[RemittanceLine(invoice=invoice.pk, amount=D("60.00"))])

    result = post(customer, "40.00")

    assert [(a.invoice_id, a.amount) for a in result.applications] == [(invoice.pk, D("40.00"))]


def test_exact_amount_ambiguous_leaves_cash_on_account(customer):
    InvoiceFactory(customer=customer, amount=D("50.00"))
    InvoiceFactory(customer=customer, amount=D("50.00"))

    result = post(customer, "50.00")

    assert (result.rule, result.applications, result.unapplied_amount) == ("none", [], D("50"))


def test_no_match_stays_on_account(customer):
    InvoiceFactory(customer=customer, amount=D("50.00"))

    result = post(customer, "70.00")

    assert (result.rule, result.applications, result.exceptions) == ("none", [], [])
    assert Payment.objects.get().unapplied_amount == D("70.00")


def test_oldest_first_is_opt_in(customer, settings, check_rollup):
    settings.O2C_AUTO_APPLY_OLDEST_FIRST = True
    newer = InvoiceFactory(customer=customer, issue_date=date(2026, 1, 20), amount=D("100.00"))
    older = InvoiceFactory(customer=customer, issue_date=date(2026, 1, 2), amount=D("100.00"))
    named = InvoiceFactory(customer=customer, issue_date=date(2026, 1, 25), amount=D("30.00"))

    result = post(customer, "180.00", reference=named.number)

    assert [(a.invoice_id, a.amount) for a in result.applications] == [
        (named.pk, D("30.00")),
        (older.pk, D("100.00")),
        (newer.pk, D("50.00")),
    ]
    assert result.unapplied_amount == D("0.00")
    check_rollup()
    assert_invariants()


def test_oldest_first_skipped_when_a_line_needs_a_person(customer, settings):
    settings.O2C_AUTO_APPLY_OLDEST_FIRST = True
    InvoiceFactory(customer=customer, amount=D("100.00"))

    result = post(customer, "100.00", remittance=[RemittanceLine(invoice_number="X", amount=D(1))])

    assert (result.applications, [e.code for e in result.exceptions]) == (
        [],
        ["invoice_not_found"],
    )


def test_payoff_is_dated_on_the_latest_application_or_adjustment(customer):
    invoice = InvoiceFactory(customer=customer, number="INV-1", amount=D("100.00"))
    services.add_adjustment(
        invoice, kind="credit_note", amount=D("10.00"), adjustment_date=date(2026, 3, 1)
    )
    post(customer, "30.00", reference="INV-1", received_date=date(2026, 4, 1))

    result = post(customer, "60.00", reference="INV-1")  # received before both

    assert [a.applied_date for a in result.applications] == [RECEIVED]
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (
        D("0.00"),
        "paid",
        date(2026, 4, 1),
    )
    assert_invariants()


def test_payoff_in_a_batch_is_dated_on_its_latest_application(customer):
    invoice = InvoiceFactory(customer=customer, number="INV-1", amount=D("100.00"))
    services.add_adjustment(
        invoice, kind="credit_note", amount=D("10.00"), adjustment_date=date(2026, 3, 1)
    )
    postings = [
        {"customer": customer, "amount": D("50.00"), "received_date": date(2026, 5, 1)},
        {"customer": customer, "amount": D("40.00"), "received_date": date(2026, 2, 1)},
    ]

    with batch():
        results = post_payments(
            [
                {**posting, "remittance": [RemittanceLine(invoice_number="INV-1", amount=p)]}
                for posting, p in zip(postings, (D("50.00"), D("40.00")), strict=True)
            ]
        )

    assert [r.rule for r in results] == ["remittance", "remittance"]
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (
        D("0.00"),
        "paid",
        date(2026, 5, 1),
    )
    assert_invariants()


def test_posting_keeps_promises_true(customer):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    promise = services.create_promise(
        invoice,
        created_date=date(2026, 1, 10),
        promised_date=date(2026, 2, 10),
        amount=D("100.00"),
    )

    post(customer, "100.00")

    promise.refresh_from_db()
    assert promise.status == PromiseToPay.Status.KEPT


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"amount": D("0.00")}, "amount", "not_positive"),
        ({"amount": D("-5.00")}, "amount", "not_positive"),
        ({"amount": D("1.001")}, "amount", "invalid_amount"),
        ({"currency": "UDS"}, "currency", "invalid_currency"),
        ({"method": "bitcoin"}, "method", "invalid_method"),
    ],
)
def test_invalid_payment_stores_nothing(customer, kwargs, field, code):
    InvoiceFactory(customer=customer)
    args = {"amount": D("100.00"), **kwargs}

    with pytest.raises(ValidationError) as info:
        post_payment(customer=customer, received_date=RECEIVED, **args)

    assert [(f, e.code) for f, errors in info.value.error_dict.items() for e in errors] == [
        (field, code)
    ]
    assert Payment.objects.count() == 0
    assert PaymentApplication.objects.count() == 0
    assert Invoice.objects.get().open_amount == D("100.00")


def test_duplicate_external_id_is_a_conflict_naming_the_payment(customer):
    client = UserFactory()
    first = post(customer, "10.00", external_id="BANK-1", posted_by=client)

    with pytest.raises(Conflict) as info:
        post(customer, "10.00", external_id="BANK-1", posted_by=client)

    assert (info.value.code, info.value.details) == (
        "duplicate_external_id",
        {"payment": first.payment.pk},
    )
    # Another client may use the same id.
    post(customer, "10.00", external_id="BANK-1", posted_by=UserFactory())
    assert Payment.objects.count() == 2


def test_resolve_customer(customer):
    customer.external_id = "ERP-7"
    customer.save()

    assert resolve_customer(customer_id=customer.pk) == customer
    assert resolve_customer(customer_external_id="ERP-7") == customer
    for kwargs, code in (
        ({}, "customer_required"),
        ({"customer_id": 0}, "does_not_exist"),
        ({"customer_external_id": "nope"}, "does_not_exist"),
    ):
        with pytest.raises(ValidationError) as info:
            resolve_customer(**kwargs)
        assert [e.code for errors in info.value.error_dict.values() for e in errors] == [code]


def test_post_payments_in_a_batch_records_first_then_applies(customer, check_rollup):
    client = UserFactory()
    invoice = InvoiceFactory(customer=customer, number="INV-B", amount=D("100.00"))
    post(customer, "1.00", external_id="TAKEN", posted_by=client)
    postings = [
        {
            "customer": customer,
            "amount": D("60.00"),
            "received_date": RECEIVED,
            "reference": "INV-B",
        },
        {"customer": customer, "amount": D("0.00"), "received_date": RECEIVED},
        {
            "customer": customer,
            "amount": D("1.00"),
            "received_date": RECEIVED,
            "external_id": "TAKEN",
        },
        {
            "customer": customer,
            "amount": D("50.00"),
            "received_date": RECEIVED,
            "remittance": [RemittanceLine(invoice=invoice.pk, amount=D("50.00"))],
        },
    ]

    with batch():
        outcomes = post_payments(postings, posted_by=client)

    assert [type(o).__name__ for o in outcomes] == [
        "PostingResult",
        "ValidationError",
        "Conflict",
        "PostingResult",
    ]
    assert [(a.amount, a.invoice_id) for a in outcomes[0].applications] == [
        (D("60.00"), invoice.pk)
    ]
    assert [(e.code, e.amount) for e in outcomes[3].exceptions] == [
        ("exceeds_open_amount", D("50.00"))
    ]
    assert Payment.objects.count() == 3
    check_rollup()
    assert_invariants()

"""Every rule of receivables.services: refusals (with their codes) change nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from integrations.models import Event
from metrics.models import KPIRollup
from o2c_api.errors import Conflict
from receivables import services
from receivables.models import Dispute, Invoice, PromiseToPay
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    OrderFactory,
    PaymentFactory,
    SalesRepFactory,
    UserFactory,
)
from tests.invariants import ar_rows, invariant_violations, money_totals

pytestmark = pytest.mark.django_db

D = Decimal


def codes(error: ValidationError) -> list[tuple[str | None, str]]:
    if hasattr(error, "error_dict"):
        return [(field, e.code) for field, errors in error.error_dict.items() for e in errors]
    return [(None, e.code) for e in error.error_list]


def assert_refused(expected: tuple[str | None, str], call, *args, **kwargs) -> ValidationError:
    """The call raises ValidationError with `expected` (field, code) and changes nothing."""
    before = money_totals()
    with pytest.raises(ValidationError) as raised:
        call(*args, **kwargs)
    assert codes(raised.value) == [expected]
    assert money_totals() == before
    assert invariant_violations() == []
    return raised.value


@pytest.fixture
def customer():
    return CustomerFactory(payment_terms_days=30, currency="USD")


@pytest.fixture
def invoice(customer):
    return InvoiceFactory(customer=customer, amount=D("100.00"), issue_date=date(2026, 1, 1))


@pytest.fixture
def payment(customer):
    return PaymentFactory(customer=customer, amount=D("100.00"), received_date=date(2026, 1, 15))


def new_invoice(customer, **kwargs):
    args = {"customer": customer, "number": "N-1", "issue_date": date(2026, 1, 1)}
    args["amount"] = D("10.00")
    args.update(kwargs)
    return services.create_invoice(**args)


# --- create_invoice ------------------------------------------------------------------------


def test_create_invoice_defaults_due_date_rep_currency_and_open_amount(customer, check_rollup):
    invoice = new_invoice(customer, amount=D("250.00"))

    assert invoice.due_date == date(2026, 1, 31)
    assert (invoice.rep_id, invoice.currency, invoice.product_line) == (customer.rep_id, "USD", "")
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (D("250.00"), "open", None)
    # AR: invoiced and current on the issue day, current taken back the day after the due date.
    assert [(r[0], r[5], r[8]) for r in ar_rows()] == [
        (date(2026, 1, 1), D("250.00"), D("250.00")),
        (date(2026, 2, 1), D("0.00"), D("-250.00")),
    ]
    check_rollup()


def test_create_invoice_takes_rep_product_line_and_currency_from_the_order(customer):
    order_rep = SalesRepFactory()
    order = OrderFactory(customer=customer, rep=order_rep, product_line="software", currency="EUR")

    invoice = new_invoice(customer, order=order)

    assert (invoice.rep_id, invoice.product_line, invoice.currency) == (
        order_rep.pk,
        "software",
        "EUR",
    )


def test_explicit_rep_and_product_line_win_over_the_order(customer):
    order = OrderFactory(customer=customer, product_line="software")
    rep = SalesRepFactory()

    invoice = new_invoice(customer, order=order, rep=rep, product_line="support")

    assert (invoice.rep_id, invoice.product_line) == (rep.pk, "support")


def test_invoice_keeps_its_rep_after_the_customer_changes_rep(customer):
    from accounts.services import update_customer

    invoice = new_invoice(customer)
    old_rep = customer.rep_id

    new_rep = SalesRepFactory()
    customer = update_customer(customer, rep=new_rep)

    invoice.refresh_from_db()
    assert invoice.rep_id == old_rep
    assert new_invoice(customer, number="N-2").rep_id == new_rep.pk


def test_draft_invoice_does_not_count_in_the_rollup(customer):
    invoice = new_invoice(customer, status="draft")

    assert (invoice.status, invoice.open_amount) == ("draft", D("10.00"))
    assert KPIRollup.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"amount": D("0")}, ("amount", "not_positive")),
        ({"amount": D("-5.00")}, ("amount", "not_positive")),
        ({"amount": D("1.001")}, ("amount", "invalid_amount")),
        ({"status": "paid"}, ("status", "invalid_status")),
        ({"currency": "XXX"}, ("currency", "invalid_currency")),
        ({"due_date": date(2025, 12, 31)}, ("due_date", "due_before_issue")),
    ],
)
def test_create_invoice_refusals(customer, changes, expected):
    assert_refused(expected, new_invoice, customer, **changes)


def test_create_invoice_refuses_an_order_of_another_customer(customer):
    order = OrderFactory()

    assert_refused(("order", "order_customer_mismatch"), new_invoice, customer, order=order)


def test_create_invoice_refuses_a_currency_other_than_the_orders(customer):
    order = OrderFactory(customer=customer, currency="USD")

    assert_refused(
        ("currency", "currency_mismatch"), new_invoice, customer, order=order, currency="EUR"
    )


def test_create_invoice_refuses_a_duplicate_number(customer, invoice):
    assert_refused(("number", "unique"), new_invoice, customer, number=invoice.number)


# --- update_invoice, issue_invoice, void_invoice -------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", D("50.00")),
        ("number", "OTHER"),
        ("issue_date", date(2026, 1, 2)),
        ("currency", "EUR"),
    ],
)
def test_issued_invoice_money_number_and_issue_date_are_immutable(invoice, field, value):
    assert_refused(
        (field, "invoice_issued_immutable"), services.update_invoice, invoice, **{field: value}
    )


def test_issued_invoice_customer_is_immutable(invoice):
    other = CustomerFactory()

    assert_refused(
        ("customer", "invoice_issued_immutable"), services.update_invoice, invoice, customer=other
    )


def test_unchanged_immutable_fields_are_accepted(invoice):
    updated = services.update_invoice(invoice, amount=D("100.00"), number=invoice.number)

    assert updated.amount == D("100.00")


def test_draft_invoice_amount_change_resets_the_open_amount(customer):
    draft = new_invoice(customer, status="draft")

    updated = services.update_invoice(draft, amount=D("75.50"), number="N-9")

    assert (updated.amount, updated.open_amount, updated.number) == (D("75.50"), D("75.50"), "N-9")
    assert KPIRollup.objects.count() == 0


def test_due_date_extension_and_rep_change_rekey_the_rollup(invoice, payment, check_rollup):
    services.apply_payment(payment, invoice, D("30.00"))
    rep = SalesRepFactory()

    services.update_invoice(invoice, due_date=date(2026, 3, 1), rep=rep, product_line="services")

    assert {(r[1], r[3]) for r in ar_rows()} == {(rep.pk, "services")}
    # Current AR's take-back (a row without flows) moved to the day after the new due date.
    assert [r[0] for r in ar_rows() if not any(r[5:8])] == [date(2026, 3, 2)]
    check_rollup()


def test_update_invoice_refuses_due_before_issue(invoice):
    assert_refused(
        ("due_date", "due_before_issue"),
        services.update_invoice,
        invoice,
        due_date=date(2025, 1, 1),
    )


def test_update_invoice_refuses_a_void_invoice(invoice):
    services.void_invoice(invoice, voided_date=date(2026, 1, 5))

    assert_refused(
        (None, "invoice_void"), services.update_invoice, invoice, due_date=date(2026, 5, 1)
    )


def test_issue_invoice_counts_it_from_then_on(customer, check_rollup):
    draft = new_invoice(customer, status="draft")

    issued = services.issue_invoice(draft)

    assert issued.status == "open"
    assert [r[5] for r in ar_rows()] == [D("10.00"), D("0.00")]
    check_rollup()
    assert_refused((None, "invoice_not_draft"), services.issue_invoice, issued)


def test_void_invoice_removes_it_from_ar(invoice, check_rollup):
    services.add_adjustment(
        invoice, kind="write_off", amount=D("10.00"), adjustment_date=date(2026, 1, 3)
    )

    voided = services.void_invoice(invoice, voided_date=date(2026, 1, 5))

    assert (voided.status, voided.open_amount, voided.paid_date, voided.voided_date) == (
        "void",
        D("0.00"),
        None,
        date(2026, 1, 5),
    )
    assert ar_rows() == []
    check_rollup()
    assert_refused((None, "invoice_already_void"), services.void_invoice, voided)


def test_void_is_refused_before_the_issue_date(invoice):
    # Given an open invoice issued 2026-01-01
    # When it is voided on 2025-12-31
    error = assert_refused(
        ("voided_date", "date_before_issue"),
        services.void_invoice,
        invoice,
        voided_date=date(2025, 12, 31),
    )

    # Then it is refused with a sentence a person reads, and the invoice is still open
    assert error.messages == [
        "An invoice cannot be voided before it was issued: the void date 2025-12-31 is before "
        "the issue date 2026-01-01."
    ]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount, invoice.voided_date) == ("open", D("100.00"), None)
    assert Event.objects.filter(type="invoice.voided").count() == 0


def test_void_on_the_issue_date_is_accepted(invoice):
    voided = services.void_invoice(invoice, voided_date=date(2026, 1, 1))

    assert (voided.status, voided.voided_date) == ("void", date(2026, 1, 1))


def test_void_today_of_an_invoice_issued_later_is_refused(customer):
    # The default void date, today, is held to the same rule: give the issue date or later.
    later = InvoiceFactory(customer=customer, issue_date=services.today() + timedelta(days=7))

    assert_refused(("voided_date", "date_before_issue"), services.void_invoice, later)


def test_void_is_refused_while_cash_is_applied(invoice, payment):
    services.apply_payment(payment, invoice, D("10.00"))

    assert_refused((None, "invoice_has_applications"), services.void_invoice, invoice)
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_deleting_an_invoice_or_payment_with_applications_is_refused(invoice, payment):
    services.apply_payment(payment, invoice, D("10.00"))
    before = money_totals()

    with pytest.raises(ProtectedError):
        Invoice.objects.filter(pk=invoice.pk).delete()
    with pytest.raises(ProtectedError):
        payment.delete()

    assert money_totals() == before


# --- adjustments -----------------------------------------------------------------------------


def test_adjustments_lower_the_open_amount_and_settle_on_the_last_date(invoice, check_rollup):
    services.add_adjustment(
        invoice, kind="credit_note", amount=D("40.00"), adjustment_date=date(2026, 1, 10)
    )
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (D("60.00"), "open", None)

    services.add_adjustment(
        invoice, kind="write_off", amount=D("60.00"), adjustment_date=date(2026, 4, 1)
    )

    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (
        D("0.00"),
        "paid",
        date(2026, 4, 1),
    )
    check_rollup()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"amount": D("0")}, ("amount", "not_positive")),
        ({"kind": "discount"}, ("kind", "invalid_kind")),
        ({"amount": D("100.01")}, ("amount", "exceeds_open_amount")),
        ({"adjustment_date": date(2025, 12, 31)}, ("adjustment_date", "date_before_issue")),
    ],
)
def test_add_adjustment_refusals(invoice, changes, expected):
    args = {"kind": "credit_note", "amount": D("10.00"), "adjustment_date": date(2026, 1, 2)}
    args.update(changes)

    assert_refused(expected, services.add_adjustment, invoice, **args)


@pytest.mark.parametrize("status", ["draft", "void"])
def test_adjustments_need_an_issued_invoice(customer, status):
    invoice = new_invoice(customer, status="draft")
    if status == "void":
        services.void_invoice(invoice)

    assert_refused(
        ("invoice", "invoice_not_open"),
        services.add_adjustment,
        invoice,
        kind="credit_note",
        amount=D("1.00"),
        adjustment_date=date(2026, 1, 2),
    )


# --- payments and cash application -------------------------------------------------------


def test_record_payment_is_all_unapplied(customer):
    payment = services.record_payment(
        customer=customer, amount=D("80.00"), received_date=date(2026, 2, 1), method="wire"
    )

    assert (payment.unapplied_amount, payment.currency, payment.method) == (
        D("80.00"),
        "USD",
        "wire",
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"amount": D("0")}, ("amount", "not_positive")),
        ({"amount": D("0.001")}, ("amount", "invalid_amount")),
        ({"currency": "XYZ"}, ("currency", "invalid_currency")),
        ({"method": "bitcoin"}, ("method", "invalid_method")),
    ],
)
def test_record_payment_refusals(customer, changes, expected):
    args = {"customer": customer, "amount": D("10.00"), "received_date": date(2026, 2, 1)}
    args.update(changes)

    assert_refused(expected, services.record_payment, **args)


def test_duplicate_external_id_of_the_same_client_is_a_conflict(customer):
    client = UserFactory()
    first = services.record_payment(
        customer=customer,
        amount=D("10.00"),
        received_date=date(2026, 2, 1),
        external_id="X1",
        posted_by=client,
    )

    with pytest.raises(Conflict) as raised:
        services.record_payment(
            customer=customer,
            amount=D("10.00"),
            received_date=date(2026, 2, 1),
            external_id="X1",
            posted_by=client,
        )

    assert (raised.value.code, raised.value.details) == (
        "duplicate_external_id",
        {"payment": first.pk},
    )
    other = services.record_payment(
        customer=customer,
        amount=D("10.00"),
        received_date=date(2026, 2, 1),
        external_id="X1",
        posted_by=UserFactory(),
    )
    assert other.pk != first.pk


def test_apply_payment_moves_money_and_settles(invoice, payment, check_rollup):
    application = services.apply_payment(payment, invoice, D("100.00"), automatic=True)

    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert application.applied_date == date(2026, 1, 15)
    assert application.automatic is True
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (
        D("0.00"),
        "paid",
        date(2026, 1, 15),
    )
    assert payment.unapplied_amount == D("0.00")
    check_rollup()


def test_apply_date_defaults_to_the_issue_date_for_prepayments(customer):
    prepayment = PaymentFactory(
        customer=customer, amount=D("10.00"), received_date=date(2025, 12, 1)
    )
    invoice = InvoiceFactory(customer=customer, amount=D("10.00"), issue_date=date(2026, 1, 1))

    application = services.apply_payment(prepayment, invoice, D("10.00"))

    assert application.applied_date == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("amount", "applied_date", "expected"),
    [
        (D("0"), None, ("amount", "not_positive")),
        (D("100.01"), None, ("amount", "exceeds_unapplied_amount")),
        (D("10.00"), date(2026, 1, 14), ("applied_date", "applied_before_received")),
    ],
)
def test_apply_payment_refusals(invoice, payment, amount, applied_date, expected):
    assert_refused(
        expected, services.apply_payment, payment, invoice, amount, applied_date=applied_date
    )


def test_apply_refuses_more_than_the_open_amount(customer, invoice):
    big = PaymentFactory(customer=customer, amount=D("500.00"), received_date=date(2026, 1, 15))

    assert_refused(
        ("amount", "exceeds_open_amount"), services.apply_payment, big, invoice, D("100.01")
    )


def test_apply_refuses_a_date_before_the_issue_date(customer):
    early = PaymentFactory(customer=customer, amount=D("10.00"), received_date=date(2025, 12, 1))
    invoice = InvoiceFactory(customer=customer, amount=D("10.00"), issue_date=date(2026, 1, 1))

    assert_refused(
        ("applied_date", "date_before_issue"),
        services.apply_payment,
        early,
        invoice,
        D("10.00"),
        applied_date=date(2025, 12, 20),
    )


def test_apply_refuses_another_customers_invoice(invoice):
    stranger = PaymentFactory(amount=D("10.00"))

    assert_refused(
        ("invoice", "customer_mismatch"), services.apply_payment, stranger, invoice, D("10.00")
    )


def test_apply_refuses_another_currency(customer, invoice):
    euros = PaymentFactory(customer=customer, amount=D("10.00"), currency="EUR")

    assert_refused(
        ("invoice", "currency_mismatch"), services.apply_payment, euros, invoice, D("10.00")
    )


@pytest.mark.parametrize("status", ["draft", "void"])
def test_apply_refuses_draft_and_void_invoices(customer, payment, status):
    invoice = new_invoice(customer, status="draft")
    if status == "void":
        services.void_invoice(invoice)

    assert_refused(
        ("invoice", "invoice_not_open"), services.apply_payment, payment, invoice, D("1.00")
    )


def test_unapply_restores_both_sides_and_is_refused_twice(invoice, payment, check_rollup):
    application = services.apply_payment(payment, invoice, D("100.00"))

    services.unapply(application)

    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (D("100.00"), "open", None)
    assert payment.unapplied_amount == D("100.00")
    check_rollup()
    assert_refused((None, "not_found"), services.unapply, application)


def test_update_payment_money_fields_are_fixed_once_applied(invoice, payment):
    services.apply_payment(payment, invoice, D("10.00"))

    for field, value in (
        ("amount", D("200.00")),
        ("currency", "EUR"),
        ("customer", CustomerFactory()),
        ("received_date", date(2026, 1, 10)),
    ):
        assert_refused(
            (field, "payment_has_applications"), services.update_payment, payment, **{field: value}
        )


def test_update_payment_reference_with_applications_and_amount_without(customer, invoice, payment):
    services.apply_payment(payment, invoice, D("10.00"))
    free = PaymentFactory(customer=customer, amount=D("20.00"))

    services.update_payment(payment, reference="BANK REF 7")
    changed = services.update_payment(free, amount=D("25.00"))

    payment.refresh_from_db()
    assert payment.reference == "BANK REF 7"
    assert (changed.amount, changed.unapplied_amount) == (D("25.00"), D("25.00"))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"amount": D("0")}, ("amount", "not_positive")),
        ({"currency": "ABC"}, ("currency", "invalid_currency")),
    ],
)
def test_update_payment_refusals(payment, changes, expected):
    assert_refused(expected, services.update_payment, payment, **changes)


# --- disputes ------------------------------------------------------------------------------


def dispute_on(invoice, **kwargs):
    args = {"reason": "pricing", "amount": D("40.00"), "opened_date": date(2026, 1, 5)}
    args.update(kwargs)
    return services.open_dispute(invoice, **args)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"amount": D("0")}, ("amount", "not_positive")),
        ({"reason": "mood"}, ("reason", "invalid_reason")),
        ({"amount": D("100.01")}, ("amount", "exceeds_invoice_amount")),
        ({"opened_date": date(2025, 12, 31)}, ("opened_date", "date_before_issue")),
    ],
)
def test_open_dispute_refusals(invoice, changes, expected):
    assert_refused(expected, dispute_on, invoice, **changes)


def test_open_dispute_refuses_a_void_invoice(invoice):
    services.void_invoice(invoice)

    assert_refused(("invoice", "invoice_not_open"), dispute_on, invoice)


def test_resolving_with_a_credit_note_lowers_the_open_amount(invoice, check_rollup):
    dispute = dispute_on(invoice)

    resolved = services.resolve_dispute(
        dispute,
        resolution="credited",
        resolved_date=date(2026, 2, 1),
        credit_amount=D("40.00"),
        notes="agreed",
    )

    invoice.refresh_from_db()
    assert (resolved.status, resolved.resolution, resolved.resolved_date) == (
        "resolved",
        "credited",
        date(2026, 2, 1),
    )
    assert resolved.notes == "agreed"
    assert invoice.open_amount == D("60.00")
    adjustment = invoice.adjustments.get()
    assert (adjustment.kind, adjustment.amount, adjustment.adjustment_date) == (
        "credit_note",
        D("40.00"),
        date(2026, 2, 1),
    )
    check_rollup()


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"resolution": "maybe"}, ("resolution", "invalid_resolution")),
        ({"resolution": ""}, ("resolution", "invalid_resolution")),
        (
            {"resolution": "upheld", "credit_amount": D("5.00")},
            ("credit_amount", "invalid_resolution"),
        ),
        (
            {"resolution": "upheld", "resolved_date": date(2026, 1, 4)},
            ("resolved_date", "date_before_opened"),
        ),
        (
            {"resolution": "credited", "credit_amount": D("100.01")},
            ("amount", "exceeds_open_amount"),
        ),
    ],
)
def test_resolve_dispute_refusals_leave_it_open(invoice, kwargs, expected):
    dispute = dispute_on(invoice)
    args = {"resolved_date": date(2026, 2, 1)}
    args.update(kwargs)

    assert_refused(expected, services.resolve_dispute, dispute, **args)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.resolved_date) == ("open", "", None)


def test_resolving_twice_is_refused(invoice):
    dispute = dispute_on(invoice)
    services.resolve_dispute(dispute, resolution="withdrawn", resolved_date=date(2026, 2, 1))

    assert_refused(
        (None, "dispute_already_resolved"), services.resolve_dispute, dispute, resolution="upheld"
    )
    assert Dispute.objects.get().resolution == "withdrawn"


# --- promises ------------------------------------------------------------------------------


FIFTY = D("50.00")


def promise_on(invoice, created, promised, amount=FIFTY):
    return services.create_promise(
        invoice, created_date=created, promised_date=promised, amount=amount
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"amount": D("0")}, ("amount", "not_positive")),
        ({"amount": D("100.01")}, ("amount", "exceeds_invoice_amount")),
        ({"promised_date": date(2026, 1, 9)}, ("promised_date", "promised_before_created")),
    ],
)
def test_create_promise_refusals(invoice, kwargs, expected):
    args = {"created_date": date(2026, 1, 10), "promised_date": date(2026, 1, 20)}
    args["amount"] = D("50.00")
    args.update(kwargs)

    assert_refused(expected, services.create_promise, invoice, **args)


def test_create_promise_refuses_a_draft(customer):
    draft = new_invoice(customer, status="draft")

    assert_refused(
        ("invoice", "invoice_not_open"),
        services.create_promise,
        draft,
        promised_date=date(2026, 1, 20),
        amount=D("1.00"),
        created_date=date(2026, 1, 10),
    )


def test_promise_kept_counts_applications_inside_the_window_only(customer):
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"), issue_date=date(2026, 1, 1))
    cash = PaymentFactory(customer=customer, amount=D("100.00"), received_date=date(2026, 1, 9))
    services.apply_payment(cash, invoice, D("30.00"), applied_date=date(2026, 1, 9))  # before
    services.apply_payment(cash, invoice, D("20.00"), applied_date=date(2026, 1, 10))  # first day
    services.apply_payment(cash, invoice, D("29.99"), applied_date=date(2026, 1, 20))  # last day
    services.apply_payment(cash, invoice, D("0.01"), applied_date=date(2026, 1, 21))  # after

    short = promise_on(invoice, date(2026, 1, 10), date(2026, 1, 20), D("50.00"))
    exact = promise_on(invoice, date(2026, 1, 10), date(2026, 1, 20), D("49.99"))

    assert (short.status, exact.status) == ("broken", "kept")


def test_promise_is_open_until_its_date_passes_then_broken(invoice):
    today = services.today()
    promise = promise_on(invoice, today - timedelta(days=3), today, D("50.00"))

    assert promise.status == "open"
    services.refresh_promise_statuses(as_of=today + timedelta(days=1))
    promise.refresh_from_db()
    assert promise.status == "broken"


def test_applying_cash_keeps_a_promise_and_unapplying_reopens_it(customer):
    today = services.today()
    invoice = InvoiceFactory(
        customer=customer, amount=D("100.00"), issue_date=today - timedelta(days=30)
    )
    promise = promise_on(invoice, today - timedelta(days=2), today + timedelta(days=5))
    cash = PaymentFactory(customer=customer, amount=D("50.00"), received_date=today)

    application = services.apply_payment(cash, invoice, D("50.00"))
    promise.refresh_from_db()
    assert promise.status == "kept"

    services.unapply(application)
    promise.refresh_from_db()
    assert promise.status == "open"


def test_refresh_promise_statuses_returns_how_many_it_looked_at(invoice):
    promise_on(invoice, date(2026, 1, 2), date(2026, 1, 3))
    promise_on(invoice, date(2026, 1, 2), date(2026, 1, 4))
    PromiseToPay.objects.update(status="open")

    assert services.refresh_promise_statuses(invoice_ids=[invoice.pk]) == 2
    assert services.refresh_promise_statuses(invoice_ids=[]) == 0
    assert set(PromiseToPay.objects.values_list("status", flat=True)) == {"broken"}

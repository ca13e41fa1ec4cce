from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as accounts_services
from dunning import services
from dunning.models import CreditHold, CreditHoldOverride, CreditHoldReason, CreditHoldRule
from receivables import cash_application
from receivables import services as receivables_services
from receivables.models import Order
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db

Line = cash_application.RemittanceLine

TODAY = timezone.localdate()


def _overdue_invoice(customer, days_past_due: int, amount="100.00", number=None):
    due = TODAY - timedelta(days=days_past_due)
    return InvoiceFactory(
        customer=customer,
        number=number or f"INV-{customer.pk}-{days_past_due}",
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount=Decimal(amount),
    )


def _reasons(customer):
    return list(
        CreditHoldReason.objects.filter(hold__customer=customer, cleared_at__isnull=True)
        .order_by("code")
        .values_list("code", "detail")
    )


def test_an_invoice_more_than_60_days_past_due_places_a_hold_with_its_reason(acme):
    _overdue_invoice(acme, 61)
    _overdue_invoice(acme, 75)
    other = CustomerFactory(name="On time")
    _overdue_invoice(other, 60)  # exactly 60: not more than 60

    changes = services.evaluate_credit_holds()

    assert changes.placed == (acme.pk,)
    assert changes.lifted == ()
    hold = CreditHold.objects.get()
    assert (hold.customer_id, hold.automatic, hold.lifted_at) == (acme.pk, True, None)
    assert _reasons(acme) == [
        ("overdue_invoice", "2 invoices more than 60 days past due (the oldest 75 days).")
    ]
    acme.refresh_from_db()
    other.refresh_from_db()
    assert (acme.on_credit_hold, other.on_credit_hold) == (True, False)


def test_two_broken_promises_in_90_days(acme):
    invoice = _overdue_invoice(acme, 20)
    for days_ago in (10, 85):
        receivables_services.create_promise(
            invoice,
            promised_date=TODAY - timedelta(days=days_ago),
            created_date=TODAY - timedelta(days=days_ago + 1),
            amount=Decimal("10"),
        )
    receivables_services.refresh_promise_statuses()
    late = CustomerFactory(name="Once")
    old = _overdue_invoice(late, 20)
    for days_ago in (10, 95):  # one in the window, one before it
        receivables_services.create_promise(
            old,
            promised_date=TODAY - timedelta(days=days_ago),
            created_date=TODAY - timedelta(days=days_ago + 1),
            amount=Decimal("10"),
        )
    receivables_services.refresh_promise_statuses()

    changes = services.evaluate_credit_holds()

    assert changes.placed == (acme.pk,)
    assert _reasons(acme) == [("broken_promises", "2 promises to pay broken in the last 90 days.")]


def test_open_ar_above_the_credit_limit_in_its_own_currency(acme):
    acme.credit_limit = Decimal("1000.00")
    acme.save()
    _overdue_invoice(acme, 1, amount="600.00", number="A1")
    _overdue_invoice(acme, 1, amount="400.01", number="A2")
    at_limit = CustomerFactory(name="At limit", credit_limit=Decimal("1000.00"))
    _overdue_invoice(at_limit, 1, amount="1000.00", number="B1")
    InvoiceFactory(  # another currency is not added to a USD limit
        customer=at_limit, number="B2", issue_date=TODAY, amount=Decimal("5000"), currency="EUR"
    )

    changes = services.evaluate_credit_holds()

    assert changes.placed == (acme.pk,)
    assert _reasons(acme) == [
        ("over_credit_limit", "Open AR 1,000.01 USD is above the credit limit of 1,000.00 USD.")
    ]


def test_a_hold_lifts_itself_when_its_reasons_are_gone_after_a_payment(acme):
    invoice = _overdue_invoice(acme, 61, amount="100.00")
    services.evaluate_credit_holds()
    hold = CreditHold.objects.get()

    cash_application.post_payment(
        customer=acme, amount=Decimal("100.00"), received_date=TODAY, reference="INV paid",
        remittance=[Line(Decimal("100.00"), invoice_number=invoice.number)],
    )  # fmt: skip

    hold.refresh_from_db()
    acme.refresh_from_db()
    assert hold.lifted_at is not None
    assert hold.lift_note.startswith("Lifted automatically")
    assert acme.on_credit_hold is False
    assert hold.reasons.get().cleared_at == hold.lifted_at
    assert services.evaluate_credit_holds().placed == ()


def test_a_partial_payment_clears_one_reason_and_keeps_the_hold(acme):
    acme.credit_limit = Decimal("100.00")
    acme.save()
    invoice = _overdue_invoice(acme, 61, amount="150.00")
    services.evaluate_credit_holds()
    assert [code for code, _ in _reasons(acme)] == ["over_credit_limit", "overdue_invoice"]

    cash_application.post_payment(
        customer=acme, amount=Decimal("60.00"), received_date=TODAY,
        remittance=[Line(Decimal("60.00"), invoice_number=invoice.number)],
    )  # fmt: skip

    assert [code for code, _ in _reasons(acme)] == ["overdue_invoice"]
    assert CreditHold.objects.get().lifted_at is None
    acme.refresh_from_db()
    assert acme.on_credit_hold is True


def test_a_hold_placed_by_hand_does_not_lift_itself(acme):
    user = UserFactory(username="ops", role="admin")
    accounts_services.set_credit_hold(acme, True, user=user, note="Bankruptcy rumours.")

    changes = services.evaluate_credit_holds()

    hold = CreditHold.objects.get()
    assert changes == services.HoldChanges()
    assert (hold.automatic, hold.placed_by, hold.lifted_at) == (False, user, None)
    assert _reasons(acme) == [("manual", "Bankruptcy rumours.")]
    accounts_services.set_credit_hold(acme, False, user=user)
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_note) == (user, "Lifted by hand.")
    assert CreditHold.objects.filter(customer=acme).count() == 1
    with pytest.raises(ValidationError) as caught:
        accounts_services.set_credit_hold(acme, False)
    assert caught.value.code == "credit_hold_unchanged"


def test_an_inactive_rule_neither_places_nor_keeps(acme):
    _overdue_invoice(acme, 61)
    services.evaluate_credit_holds()
    CreditHoldRule.objects.filter(code="overdue_invoice").update(active=False)

    changes = services.evaluate_credit_holds()

    assert changes.lifted == (acme.pk,)
    assert CreditHold.objects.get().lifted_at is not None


def test_an_order_for_a_customer_on_hold_is_refused_and_nothing_is_stored(acme):
    _overdue_invoice(acme, 61)
    services.evaluate_credit_holds()
    hold = CreditHold.objects.get()

    with pytest.raises(ValidationError) as caught:
        receivables_services.create_order(
            customer=acme, number="SO-1", order_date=TODAY, amount=Decimal("10")
        )

    assert caught.value.code == "customer_on_credit_hold"
    assert caught.value.details == {"credit_hold": hold.pk, "reasons": ["overdue_invoice"]}
    assert caught.value.messages == [
        f"Acme Corp is on credit hold since {hold.placed_at:%Y-%m-%d}: 1 invoice more than 60 "
        "days past due (the oldest 61 days). An admin may override the hold for this order."
    ]
    assert Order.objects.count() == 0


def test_an_admin_override_books_the_order_and_is_recorded(acme):
    _overdue_invoice(acme, 61)
    services.evaluate_credit_holds()
    admin = UserFactory(username="boss", role="admin")

    order = receivables_services.create_order(
        customer=acme, number="SO-1", order_date=TODAY, amount=Decimal("10"),
        credit_hold_override=services.HoldOverride(admin, "  Prepaid by wire.  "),
    )  # fmt: skip

    override = CreditHoldOverride.objects.get()
    assert (override.order, override.user, override.reason, override.hold) == (
        order,
        admin,
        "Prepaid by wire.",
        CreditHold.objects.get(),
    )


@pytest.mark.parametrize(
    ("role", "reason", "error"),
    [("integration", "Prepaid.", PermissionDenied), ("admin", "  ", ValidationError)],
)
def test_an_override_needs_an_admin_and_a_reason(acme, role, reason, error):
    _overdue_invoice(acme, 61)
    services.evaluate_credit_holds()
    user = UserFactory(username=f"u-{role}", role=role)
    with pytest.raises(error):
        receivables_services.create_order(
            customer=acme, number="SO-1", order_date=TODAY, amount=Decimal("10"),
            credit_hold_override=services.HoldOverride(user, reason),
        )  # fmt: skip
    assert (Order.objects.count(), CreditHoldOverride.objects.count()) == (0, 0)


def test_orders_for_customers_not_on_hold_ignore_an_override(acme):
    order = receivables_services.create_order(
        customer=acme, number="SO-1", order_date=TODAY, amount=Decimal("10"),
        credit_hold_override=services.HoldOverride(None, ""),
    )  # fmt: skip
    assert order.pk
    assert CreditHoldOverride.objects.count() == 0


def test_bulk_posting_checks_holds_with_one_query_for_the_whole_batch(acme):
    customers = [CustomerFactory(name=f"C{i}") for i in range(5)]
    invoices = [_overdue_invoice(c, 5, number=f"N{i}") for i, c in enumerate(customers)]
    postings = [
        {
            "customer": invoice.customer,
            "amount": Decimal("100.00"),
            "received_date": TODAY,
            "reference": invoice.number,
        }
        for invoice in invoices
    ]
    with CaptureQueriesContext(connection) as queries:
        outcome = cash_application.post_batch(postings)
    assert all(isinstance(o, cash_application.PostingResult) for o in outcome.outcomes)
    hold_queries = [q for q in queries.captured_queries if "dunning_credithold" in q["sql"]]
    assert len(hold_queries) == 1


def test_history_keeps_every_hold_placed_and_lifted(acme):
    invoice = _overdue_invoice(acme, 61, amount="100.00")
    services.evaluate_credit_holds()
    receivables_services.add_adjustment(
        invoice, kind="write_off", amount=Decimal("100.00"), adjustment_date=TODAY
    )
    services.evaluate_credit_holds()
    _overdue_invoice(acme, 70, number="AGAIN")
    services.evaluate_credit_holds()

    holds = list(CreditHold.objects.filter(customer=acme).order_by("placed_at", "pk"))
    assert [hold.lifted_at is None for hold in holds] == [False, True]
    assert services.current_hold(acme) == holds[1]


def test_evaluate_command_prints_what_changed(acme):
    from io import StringIO

    from django.core.management import call_command

    _overdue_invoice(acme, 61)
    out = StringIO()
    call_command("evaluate_credit_holds", stdout=out)
    assert out.getvalue().splitlines() == [
        "Credit holds: 1 placed, 0 lifted, 1 reasons added, 0 cleared.",
        f"placed: customers {acme.pk}",
    ]

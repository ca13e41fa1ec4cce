"""Credit holds follow every write that changes what the rules read, in its transaction.

Not only a payment posting: applying and unapplying by hand, a credit note or write-off, a
void, a dispute resolved with a credit note, a due-date change, promises turning broken or
kept, a customer's credit limit. A hold placed by hand is never lifted by any of them.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as accounts_services
from dunning import services
from dunning.models import CreditHold, CreditHoldReason
from integrations.models import Event
from receivables import services as receivables_services
from receivables.models import Dispute, PaymentApplication
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()

UNAPPLY = """
mutation($id: ID!) { unapplyPayment(id: $id) {
  ... on PaymentType { id unappliedAmount }
  ... on OperationInfo { messages { code } }
} }
"""
APPLY = """
mutation($data: ApplicationInput!) { applyPayment(data: $data) {
  ... on ApplicationType { id }
  ... on OperationInfo { messages { code } }
} }
"""


def _invoice(customer, *, days_past_due=5, amount="600.00", number="INV-A"):
    due = TODAY - timedelta(days=days_past_due)
    return InvoiceFactory(
        customer=customer,
        number=number,
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount=Decimal(amount),
    )


def _state(customer):
    """(on_credit_hold, automatic of the current hold or None, current reason codes)."""
    customer.refresh_from_db()
    hold = services.current_hold(customer)
    codes = sorted(
        CreditHoldReason.objects.filter(
            hold__customer=customer, cleared_at__isnull=True
        ).values_list("code", flat=True)
    )
    return customer.on_credit_hold, None if hold is None else hold.automatic, codes


@pytest.fixture
def limited(acme):
    """Acme with a 1,000.00 USD limit, two invoices (600 + 500 = 1,100 open) and a payment of
    500 applied to the second: open AR 600, under the limit, no hold."""
    accounts_services.update_customer(acme, credit_limit=Decimal("1000.00"))
    _invoice(acme, number="INV-A", amount="600.00")
    second = _invoice(acme, number="INV-B", amount="500.00")
    payment = PaymentFactory(customer=acme, amount=Decimal("500.00"), received_date=TODAY)
    receivables_services.apply_payment(payment, second, Decimal("500.00"))
    assert _state(acme) == (False, None, [])
    return acme


def test_unapplying_a_payment_over_the_limit_places_a_hold_and_applying_it_lifts_it(limited):
    application = PaymentApplication.objects.get()

    receivables_services.unapply(application)

    assert _state(limited) == (True, True, ["over_credit_limit"])
    hold = CreditHold.objects.get()
    assert hold.reasons.get().detail == (
        "Open AR 1,100.00 USD is above the credit limit of 1,000.00 USD."
    )
    assert list(
        Event.objects.filter(type__startswith="credit_hold.").values_list("type", flat=True)
    ) == ["credit_hold.placed"]

    receivables_services.apply_payment(application.payment, application.invoice, Decimal("100.00"))

    assert _state(limited) == (False, None, [])
    hold.refresh_from_db()
    assert hold.lift_note == "Lifted automatically: none of its reasons holds any more."
    assert hold.reasons.get().cleared_at == hold.lifted_at


def test_unapply_on_rest_and_apply_on_graphql_move_the_hold(api, gql, limited):
    application = PaymentApplication.objects.get()

    response = api.post(
        f"/api/v1/payments/{application.payment_id}/unapply/",
        {"application": application.pk},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert _state(limited) == (True, True, ["over_credit_limit"])
    holds = api.get(f"/api/v1/credit-holds/?customer={limited.pk}&current=true").json()
    assert [reason["code"] for reason in holds["results"][0]["reasons"]] == ["over_credit_limit"]

    data = {
        "payment": application.payment_id,
        "invoice": application.invoice_id,
        "amount": "100.00",
    }
    answer = gql(APPLY, {"data": data})

    assert "id" in answer["data"]["applyPayment"], answer
    assert _state(limited) == (False, None, [])


def test_unapply_on_graphql_places_the_hold(gql, limited):
    application = PaymentApplication.objects.get()

    answer = gql(UNAPPLY, {"id": application.pk})

    assert answer["data"]["unapplyPayment"]["unappliedAmount"] == "500.00"
    assert _state(limited) == (True, True, ["over_credit_limit"])


def test_a_hold_placed_by_hand_is_never_lifted_by_cash_or_credits(acme):
    invoice = _invoice(acme, days_past_due=61, amount="300.00")
    services.evaluate_credit_holds()
    automatic = CreditHold.objects.get()
    services.lift_hold(acme, note="Replaced by a manual hold.")
    services.place_hold(acme, note="Bankruptcy rumours.")
    payment = PaymentFactory(customer=acme, amount=Decimal("100.00"), received_date=TODAY)

    receivables_services.apply_payment(payment, invoice, Decimal("100.00"))
    receivables_services.add_adjustment(
        invoice, kind="credit_note", amount=Decimal("200.00"), adjustment_date=TODAY
    )
    accounts_services.update_customer(acme, credit_limit=Decimal("5000.00"))
    services.evaluate_credit_holds()

    assert _state(acme) == (True, False, ["manual"])
    assert CreditHold.objects.filter(lifted_at__isnull=True).get().note == "Bankruptcy rumours."
    assert CreditHold.objects.exclude(pk=automatic.pk).count() == 1


@pytest.mark.parametrize("kind", ["credit_note", "write_off"])
def test_a_credit_note_or_write_off_clearing_the_overdue_invoice_lifts_the_hold(acme, kind):
    invoice = _invoice(acme, days_past_due=61, amount="300.00")
    services.evaluate_credit_holds()
    assert _state(acme) == (True, True, ["overdue_invoice"])

    receivables_services.add_adjustment(
        invoice, kind=kind, amount=Decimal("300.00"), adjustment_date=TODAY
    )

    assert _state(acme) == (False, None, [])


def test_a_partial_credit_note_keeps_the_hold(acme):
    invoice = _invoice(acme, days_past_due=61, amount="300.00")
    services.evaluate_credit_holds()

    receivables_services.add_adjustment(
        invoice, kind="credit_note", amount=Decimal("299.99"), adjustment_date=TODAY
    )

    assert _state(acme) == (True, True, ["overdue_invoice"])


def test_voiding_the_overdue_invoice_lifts_the_hold(acme):
    invoice = _invoice(acme, days_past_due=61)
    services.evaluate_credit_holds()

    receivables_services.void_invoice(invoice)

    assert _state(acme) == (False, None, [])


def test_a_dispute_resolved_with_a_credit_note_lifts_the_hold(acme):
    invoice = _invoice(acme, days_past_due=61, amount="300.00")
    dispute = receivables_services.open_dispute(
        invoice, reason=Dispute.Reason.PRICING, amount=Decimal("300.00"),
        opened_date=invoice.issue_date,
    )  # fmt: skip
    services.evaluate_credit_holds()
    assert _state(acme) == (True, True, ["overdue_invoice"])

    receivables_services.resolve_dispute(
        dispute, resolution=Dispute.Resolution.CREDITED, credit_amount=Decimal("300.00")
    )

    assert _state(acme) == (False, None, [])


def test_a_due_date_extension_lifts_and_moving_it_back_places_again(acme):
    invoice = _invoice(acme, days_past_due=61)
    services.evaluate_credit_holds()

    receivables_services.update_invoice(invoice, due_date=TODAY + timedelta(days=10))
    assert _state(acme) == (False, None, [])

    receivables_services.update_invoice(invoice, due_date=TODAY - timedelta(days=61))
    assert _state(acme) == (True, True, ["overdue_invoice"])
    assert CreditHold.objects.filter(customer=acme).count() == 2  # the history keeps both


def test_a_lower_credit_limit_places_a_hold_and_a_higher_one_lifts_it(acme):
    _invoice(acme, amount="600.00")

    accounts_services.update_customer(acme, credit_limit=Decimal("599.99"))
    assert _state(acme) == (True, True, ["over_credit_limit"])

    accounts_services.update_customer(acme, credit_limit=Decimal("600.00"))
    assert _state(acme) == (False, None, [])

    accounts_services.update_customer(acme, credit_limit=Decimal("100.00"))
    accounts_services.update_customer(acme, credit_limit=None)  # no limit: nothing to exceed
    assert _state(acme) == (False, None, [])


def test_a_credit_limit_change_on_rest_places_the_hold(api, acme):
    _invoice(acme, amount="600.00")

    response = api.patch(f"/api/v1/customers/{acme.pk}/", {"credit_limit": "500.00"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["on_credit_hold"] is True
    assert _state(acme) == (True, True, ["over_credit_limit"])


def _broken_promise(invoice, days_ago):
    return receivables_services.create_promise(
        invoice,
        promised_date=TODAY - timedelta(days=days_ago),
        created_date=TODAY - timedelta(days=days_ago + 1),
        amount=Decimal("10.00"),
    )


def test_the_second_broken_promise_places_the_hold_when_the_sweep_breaks_it(acme, monkeypatch):
    invoice = _invoice(acme, days_past_due=20)
    _broken_promise(invoice, 10)
    promise = receivables_services.create_promise(
        invoice, promised_date=TODAY, created_date=TODAY - timedelta(days=3),
        amount=Decimal("10.00"),
    )  # fmt: skip
    assert _state(acme) == (False, None, [])

    # Tomorrow's daily sweep breaks the promise due today.
    tomorrow = TODAY + timedelta(days=1)
    monkeypatch.setattr("receivables.services.disputes.today", lambda: tomorrow)
    monkeypatch.setattr(services, "today", lambda: tomorrow)
    receivables_services.refresh_promise_statuses()

    promise.refresh_from_db()
    assert promise.status == "broken"
    assert _state(acme) == (True, True, ["broken_promises"])


def test_cash_that_keeps_a_broken_promise_late_lifts_the_hold(acme):
    invoice = _invoice(acme, days_past_due=20)
    _broken_promise(invoice, 10)
    _broken_promise(invoice, 30)
    # Promises recorded after their date wait for the scheduled evaluation to place.
    assert _state(acme) == (False, None, [])
    services.evaluate_credit_holds()
    assert _state(acme) == (True, True, ["broken_promises"])
    payment = PaymentFactory(
        customer=acme, amount=Decimal("10.00"), received_date=TODAY - timedelta(days=11)
    )

    # Cash dated within the promise's window (recorded late) keeps it after all.
    receivables_services.apply_payment(
        payment, invoice, Decimal("10.00"), applied_date=TODAY - timedelta(days=10)
    )

    assert _state(acme) == (False, None, [])


def test_a_refused_write_changes_no_hold(acme):
    invoice = _invoice(acme, days_past_due=61, amount="300.00")
    services.evaluate_credit_holds()
    before = list(CreditHoldReason.objects.values_list("pk", "cleared_at"))

    with pytest.raises(ValidationError) as caught:
        receivables_services.add_adjustment(
            invoice, kind="credit_note", amount=Decimal("300.01"), adjustment_date=TODAY
        )

    assert caught.value.error_dict["amount"][0].code == "exceeds_open_amount"
    assert _state(acme) == (True, True, ["overdue_invoice"])
    assert list(CreditHoldReason.objects.values_list("pk", "cleared_at")) == before


def test_the_hold_moves_in_the_write_transaction_and_rolls_back_with_it(limited):
    application = PaymentApplication.objects.get()

    seen_inside = []

    def unapply_then_fail():
        with transaction.atomic():
            receivables_services.unapply(application)
            seen_inside.append(_state(limited))
            raise RuntimeError("the caller fails after the unapply")

    with pytest.raises(RuntimeError):
        unapply_then_fail()

    assert seen_inside == [(True, True, ["over_credit_limit"])]
    assert _state(limited) == (False, None, [])
    assert CreditHold.objects.count() == 0
    assert not Event.objects.filter(type__startswith="credit_hold.").exists()


def test_applying_cash_for_a_customer_not_on_hold_costs_one_hold_query(acme):
    invoice = _invoice(acme)
    payment = PaymentFactory(customer=acme, amount=Decimal("100.00"), received_date=TODAY)

    with CaptureQueriesContext(connection) as queries:
        receivables_services.apply_payment(payment, invoice, Decimal("100.00"))

    hold_queries = [q for q in queries.captured_queries if "dunning_" in q["sql"]]
    assert len(hold_queries) == 1


def test_a_manual_hold_stays_through_unapply_and_apply(limited):
    user = UserFactory(username="ops", role="admin")
    services.place_hold(limited, user=user, note="Asked by the CFO.")
    application = PaymentApplication.objects.get()

    receivables_services.unapply(application)
    assert _state(limited) == (True, False, ["manual"])
    receivables_services.apply_payment(application.payment, application.invoice, Decimal("500.00"))

    assert _state(limited) == (True, False, ["manual"])
    assert CreditHold.objects.get().placed_by == user


def test_a_sweep_touching_very_many_customers_evaluates_them_all(acme, monkeypatch):
    monkeypatch.setattr(services, "REFRESH_ALL_ABOVE", 1)
    _invoice(acme, days_past_due=61, number="A-OLD")
    other = CustomerFactory(name="Other")
    _invoice(other, days_past_due=61, number="O-OLD")
    third = CustomerFactory(name="Third")

    assert services.refresh_holds([other.pk, third.pk]) == services.HoldChanges()  # lift-only

    changes = services.refresh_holds([other.pk, third.pk], may_place=services.DUE_DATE_MOVED)

    # Over the threshold every customer is looked at, without a list of their ids: acme too.
    assert changes.placed == (acme.pk, other.pk)


def test_a_write_places_only_for_the_rules_whose_input_it_changed(acme):
    # Acme has an invoice 61 days past due, not yet judged (the daily evaluation would hold).
    _invoice(acme, days_past_due=61, amount="300.00")

    accounts_services.update_customer(acme, credit_limit=Decimal("1000.00"))
    assert _state(acme) == (False, None, [])  # within its limit: the limit places nothing

    accounts_services.update_customer(acme, credit_limit=Decimal("200.00"))
    # Over the limit now: placed, with every reason that matches.
    assert _state(acme) == (True, True, ["over_credit_limit", "overdue_invoice"])

    accounts_services.update_customer(acme, credit_limit=Decimal("1000.00"))
    # The limit's reason is gone, the overdue one remains: the hold stays.
    assert _state(acme) == (True, True, ["overdue_invoice"])


def test_promises_recorded_already_broken_wait_for_the_scheduled_evaluation(acme):
    invoice = _invoice(acme, days_past_due=20)
    _broken_promise(invoice, 10)
    _broken_promise(invoice, 30)

    assert _state(acme) == (False, None, [])
    assert services.evaluate_credit_holds().placed == (acme.pk,)

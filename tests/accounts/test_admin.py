from decimal import Decimal

import pytest

from accounts.models import Customer
from integrations.models import Event, EventType
from tests.admin_helpers import admin_url, form_errors, post_form, run_action
from tests.factories import CustomerFactory, InvoiceFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def customer_data(customer, **changes) -> dict:
    data = {
        "name": customer.name,
        "external_id": customer.external_id,
        "segment": customer.segment_id,
        "rep": customer.rep_id,
        "currency": customer.currency,
        "payment_terms_days": customer.payment_terms_days,
        "credit_limit": "",
    }
    data.update(changes)
    return data


def test_changing_the_segment_in_the_admin_rekeys_the_rollup(admin_client, check_rollup):
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    new_segment = SegmentFactory()

    response = post_form(
        admin_client,
        admin_url(Customer, "change", customer.pk),
        customer_data(customer, segment=new_segment.pk),
    )

    assert form_errors(response) == {}
    customer.refresh_from_db()
    assert customer.segment_id == new_segment.pk
    check_rollup()


def test_adding_a_customer(admin_client):
    segment = SegmentFactory()

    response = post_form(
        admin_client,
        admin_url(Customer, "add"),
        customer_data(Customer(name="New Co", segment=segment, currency="EUR"), rep=""),
    )

    assert form_errors(response) == {}
    customer = Customer.objects.get()
    assert (customer.name, customer.currency, customer.segment_id) == ("New Co", "EUR", segment.pk)
    # Created by accounts.services.create_customer, as REST and GraphQL create one: its event.
    assert list(
        Event.objects.filter(type=EventType.CUSTOMER_CREATED).values_list("object_id", flat=True)
    ) == [str(customer.pk)]


def test_invalid_customer_change_shows_an_error_and_changes_nothing(admin_client):
    customer = CustomerFactory(external_id="A-1")
    CustomerFactory(external_id="A-2")

    response = post_form(
        admin_client,
        admin_url(Customer, "change", customer.pk),
        customer_data(customer, external_id="A-2", name="Renamed"),
    )

    assert form_errors(response) == {
        "external_id": [
            {"message": "A customer with this external id already exists.", "code": "unique"}
        ]
    }
    customer.refresh_from_db()
    assert (customer.external_id, customer.name) == ("A-1", customer.name)
    assert customer.name != "Renamed"


def test_credit_hold_actions_call_the_service_and_report_refusals(admin_client):
    held = CustomerFactory(on_credit_hold=True)
    free = CustomerFactory()

    placed = run_action(admin_client, Customer, "place_credit_hold", [held, free])

    held.refresh_from_db()
    free.refresh_from_db()
    assert (held.on_credit_hold, free.on_credit_hold) == (True, True)
    assert placed == [
        f"{held.name} is already on credit hold.",
        "1 customer placed on credit hold.",
    ]

    released = run_action(admin_client, Customer, "release_credit_hold", [held, free])

    assert released == ["2 customers released from credit hold."]
    assert Customer.objects.filter(on_credit_hold=True).count() == 0

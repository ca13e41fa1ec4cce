"""A customer's currency changes only while it has no documents: 409
`customer_currency_locked` through `accounts.services.update_customer`, on REST, GraphQL and
the admin, with nothing changed."""

from datetime import date
from decimal import Decimal

import pytest

from accounts import services
from accounts.models import Customer
from o2c_api.errors import Conflict
from tests.accounts.test_admin import customer_data
from tests.admin_helpers import admin_url, form_errors, post_form
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db

DOCUMENTS = {
    "order": lambda c: OrderFactory(customer=c),
    "invoice": lambda c: InvoiceFactory(customer=c, status="draft"),
    "payment": lambda c: PaymentFactory(customer=c),
    "opportunity": lambda c: OpportunityFactory(customer=c, created_date=date(2026, 1, 1)),
}


def rows(customer) -> tuple:
    return tuple(Customer.objects.filter(pk=customer.pk).values_list("currency", "name").get())


@pytest.mark.parametrize("document", DOCUMENTS)
def test_service_refuses_a_new_currency_once_there_is_a_document(document):
    customer = CustomerFactory(name="Acme", currency="USD")
    DOCUMENTS[document](customer)

    with pytest.raises(Conflict) as refused:
        services.update_customer(customer, currency="EUR", name="Renamed")

    assert refused.value.code == "customer_currency_locked"
    assert refused.value.details == {"customer": customer.pk}
    assert rows(customer) == ("USD", "Acme")


def test_service_changes_the_currency_of_a_customer_without_documents():
    customer = CustomerFactory(currency="USD")

    services.update_customer(customer, currency="EUR")

    assert rows(customer)[0] == "EUR"


def test_same_currency_and_other_fields_still_change_with_documents():
    customer = CustomerFactory(name="Acme", currency="USD")
    InvoiceFactory(customer=customer)

    services.update_customer(customer, currency="USD", name="Acme Two")

    assert rows(customer) == ("USD", "Acme Two")


def test_rest_answers_409_with_the_code(api):
    customer = CustomerFactory(name="Acme", currency="USD")
    InvoiceFactory(customer=customer, amount=Decimal("10.00"))

    response = api.patch(f"/api/v1/customers/{customer.pk}/", {"currency": "EUR"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "errors": [
            {
                "code": "customer_currency_locked",
                "field": None,
                "message": "Acme has orders, invoices, payments or opportunities in USD; its "
                "currency cannot change.",
                "customer": customer.pk,
            }
        ]
    }
    assert rows(customer) == ("USD", "Acme")


def test_graphql_answers_the_same_code(api):
    customer = CustomerFactory(name="Acme", currency="USD")
    PaymentFactory(customer=customer)
    query = """mutation($id: ID!) { updateCustomer(id: $id, data: {currency: "EUR"}) {
        ... on OperationInfo { messages { code } } ... on CustomerType { currency } } }"""

    body = api.post(
        "/graphql/", {"query": query, "variables": {"id": customer.pk}}, format="json"
    ).json()

    assert body == {
        "data": {"updateCustomer": {"messages": [{"code": "customer_currency_locked"}]}}
    }
    assert rows(customer) == ("USD", "Acme")


def test_admin_shows_the_refusal_on_the_form(admin_client):
    customer = CustomerFactory(name="Acme", currency="USD")
    OrderFactory(customer=customer)

    response = post_form(
        admin_client,
        admin_url(Customer, "change", customer.pk),
        customer_data(customer, currency="EUR"),
    )

    assert [e["code"] for e in form_errors(response)["__all__"]] == ["customer_currency_locked"]
    assert rows(customer) == ("USD", "Acme")

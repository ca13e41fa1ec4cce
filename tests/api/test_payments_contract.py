"""What an integration relies on: the posting outcome stored with the payment, apply by
invoice number."""

from decimal import Decimal

import pytest

from receivables.models import Payment, PaymentApplication
from tests.api.test_payments import URL, body, codes, state
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def customer():
    return CustomerFactory(name="Acme Corp", external_id="ERP-ACME")


def test_the_posting_outcome_is_read_back_from_the_payment(make_client, customer):
    # Given a posting whose answer was lost: one line applied, one invoice unknown
    client = make_client("integration")
    InvoiceFactory(customer=customer, number="INV-00012", amount=D("1000.00"))
    posted = client.post(
        URL,
        body(
            customer_external_id="ERP-ACME",
            amount="1500.00",
            remittance=[
                {"invoice_number": "INV-00012", "amount": "1000.00"},
                {"invoice_number": "INV-99999", "amount": "500.00"},
            ],
        ),
        format="json",
    ).json()

    # When the integration reads the payment
    read = client.get(f"{URL}{posted['id']}/").json()

    # Then it sees the same rule and exceptions the 201 gave, and the list shows them too
    assert read["rule"] == posted["rule"] == "remittance"
    assert (
        read["exceptions"]
        == posted["exceptions"]
        == [
            {
                "line": 1,
                "invoice": "INV-99999",
                "code": "invoice_not_found",
                "message": "No invoice 'INV-99999'.",
                "amount": "500.00",
            }
        ]
    )
    listed = client.get(URL).json()["results"][0]
    assert (listed["rule"], listed["exceptions"]) == (read["rule"], read["exceptions"])
    assert read == {**posted, "updated_at": read["updated_at"]}


def test_bulk_postings_store_their_outcomes(make_client, customer):
    client = make_client("integration")
    InvoiceFactory(customer=customer, number="INV-1", amount=D("100.00"))
    InvoiceFactory(customer=customer, number="INV-2", amount=D("70.00"))
    items = [
        body(customer=customer.pk, amount="100.00", reference="for INV-1"),
        body(customer=customer.pk, amount="70.00"),
        body(customer=customer.pk, amount="5.00"),
        body(
            customer=customer.pk,
            amount="9.00",
            remittance=[{"invoice_number": "INV-404", "amount": "9.00"}],
        ),
    ]

    response = client.post(f"{URL}bulk/", {"items": items}, format="json")

    assert response.status_code == 200, response.content
    stored = list(Payment.objects.order_by("pk").values_list("posting_rule", "posting_exceptions"))
    assert stored == [
        ("reference", []),
        ("exact_amount", []),
        ("none", []),
        (
            "remittance",
            [
                {
                    "line": 0,
                    "invoice": "INV-404",
                    "code": "invoice_not_found",
                    "message": "No invoice 'INV-404'.",
                    "amount": "9.00",
                }
            ],
        ),
    ]


def test_a_payment_not_posted_through_cash_application_has_no_rule(api, customer):
    payment = PaymentFactory(customer=customer, amount=D("5.00"))

    read = api.get(f"{URL}{payment.pk}/").json()

    assert (read["rule"], read["exceptions"]) == (None, [])


def test_apply_by_invoice_number(api, customer):
    invoice = InvoiceFactory(customer=customer, number="INV-55", amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("50.00"))

    response = api.post(
        f"{URL}{payment.pk}/apply/", {"invoice_number": "INV-55", "amount": "30.00"}, format="json"
    )

    assert response.status_code == 201, response.content
    application = PaymentApplication.objects.get()
    assert (application.invoice_id, application.amount) == (invoice.pk, D("30.00"))
    assert response.json()["applications"][0]["invoice_number"] == "INV-55"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"invoice_number": "INV-NOPE", "amount": "1.00"}, [("invoice_number", "does_not_exist")]),
        ({"amount": "1.00"}, [("invoice", "invoice_required")]),
        (
            {"invoice": "ID", "invoice_number": "INV-55", "amount": "1.00"},
            [("invoice", "invoice_required")],
        ),
    ],
)
def test_apply_needs_exactly_one_known_invoice(api, customer, data, expected):
    invoice = InvoiceFactory(customer=customer, number="INV-55", amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("50.00"))
    if data.get("invoice") == "ID":
        data = {**data, "invoice": invoice.pk}
    before = state()

    response = api.post(f"{URL}{payment.pk}/apply/", data, format="json")

    # An invoice that names none, or not exactly one of the two fields: refused for what is
    # stored or across fields (422), not a rule the schema states.
    assert (response.status_code, codes(response)) == (422, expected)
    assert state() == before


def test_graphql_reads_the_stored_posting_outcome_as_rest_does(make_client, customer):
    # Given a REST posting with an exception, and a payment imported without a posting
    client = make_client("integration")
    InvoiceFactory(customer=customer, number="INV-00012", amount=D("1000.00"))
    posted = client.post(
        URL,
        body(
            customer_external_id="ERP-ACME",
            amount="1500.00",
            remittance=[
                {"invoice_number": "INV-00012", "amount": "1000.00"},
                {"invoice_number": "INV-99999", "amount": "500.00"},
            ],
        ),
        format="json",
    ).json()
    imported = PaymentFactory(customer=customer)
    query = (
        "query($id: ID!) { payment(id: $id) { rule exceptions "
        "{ line invoice code message amount } } }"
    )

    for payment_id in (posted["id"], imported.pk):
        # When both APIs read the payment
        rest = client.get(f"{URL}{payment_id}/").json()
        graphql = client.post(
            "/graphql/", {"query": query, "variables": {"id": payment_id}}, format="json"
        ).json()

        # Then GraphQL gives the same rule and exceptions (amounts as decimal strings)
        assert "errors" not in graphql, graphql
        assert graphql["data"]["payment"] == {
            "rule": rest["rule"],
            "exceptions": rest["exceptions"],
        }

    assert rest == {**rest, "rule": None, "exceptions": []}  # the imported one
    assert graphql["data"]["payment"] == {"rule": None, "exceptions": []}

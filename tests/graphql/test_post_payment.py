"""`postPayment` / `postPayments` against REST's `POST /payments/` and `/payments/bulk/`.

Side by side: each case posts the same payment through REST, notes what happened, rolls the
database back to a savepoint, then posts it through GraphQL (same client user) and compares
rule, applications, unapplied amount, exception codes or error codes (fields camelCased).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from strawberry.utils.str_converters import to_camel_case

from receivables.models import Invoice, Payment, PaymentApplication
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory
from tests.invariants import assert_invariants

pytestmark = pytest.mark.django_db

D = Decimal
URL = "/api/v1/payments/"

POSTING = """
  __typename
  ... on OperationInfo { messages { kind field code message } }
  ... on PaymentPosting {
    rule unappliedAmount
    payment { id amount currency method reference externalId unappliedAmount receivedDate
              customer { id } applications { totalCount } }
    applications { invoice { id number openAmount status paidDate } amount appliedDate automatic }
    exceptions { line invoice code message amount }
  }
"""
POST = f"mutation($data: PaymentPostingInput!) {{ postPayment(data: $data) {{ {POSTING} }} }}"
BULK = """mutation($items: [PaymentPostingInput!]!, $atomic: Boolean!) {
  postPayments(items: $items, atomic: $atomic) {
    __typename
    ... on OperationInfo { messages { field code } }
    ... on BulkPosting {
      created duplicates failed rolledBack
      results { index status errors { field code message }
                posting { rule unappliedAmount payment { id externalId } } }
    }
  }
}"""


def camel_keys(value):
    """A REST body as GraphQL variables: snake_case keys camelCased, recursively."""
    if isinstance(value, dict):
        return {to_camel_case(key): camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # ids are GraphQL IDs
    return value


def graphql(client, query: str, variables: dict) -> dict:
    response = client.post("/graphql/", {"query": query, "variables": variables}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def state():
    return (
        sorted(Payment.objects.values_list("pk", "amount", "unapplied_amount")),
        sorted(PaymentApplication.objects.values_list("pk", "amount")),
        sorted(Invoice.objects.values_list("pk", "open_amount", "status", "paid_date")),
    )


def rest_outcome(response) -> dict:
    """What a REST posting answer says, in a form both APIs can be compared in."""
    body = response.json()
    if response.status_code != 201:
        return {"errors": sorted((e["field"], e["code"]) for e in body["errors"])}
    return {
        "rule": body["rule"],
        "unapplied": body["unapplied_amount"],
        "applications": [
            (a["invoice"], a["amount"], a["applied_date"], a["automatic"])
            for a in body["applications"]
        ],
        "exceptions": [
            (e["line"], e["invoice"], e["code"], e["message"], e["amount"])
            for e in body["exceptions"]
        ],
    }


def graphql_outcome(answer: dict) -> dict:
    assert "errors" not in answer, answer["errors"]
    payload = answer["data"]["postPayment"]
    if payload["__typename"] == "OperationInfo":
        return {
            "errors": sorted(
                (m["field"], m["code"]) for m in payload["messages"] if m["kind"] == "VALIDATION"
            )
        }
    return {
        "rule": payload["rule"],
        "unapplied": payload["unappliedAmount"],
        "applications": sorted(
            (int(a["invoice"]["id"]), a["amount"], a["appliedDate"], a["automatic"])
            for a in payload["applications"]
        ),
        "exceptions": [
            (e["line"], e["invoice"], e["code"], e["message"], e["amount"])
            for e in payload["exceptions"]
        ],
    }


def camel_errors(outcome: dict) -> dict:
    if "errors" not in outcome:
        return outcome
    return {
        "errors": sorted(
            (to_camel_case(field) if field else None, code) for field, code in outcome["errors"]
        )
    }


@pytest.fixture
def ledger():
    """Acme (external id ERP-ACME) with three open invoices, one paid; Globex with one."""
    acme = CustomerFactory(name="Acme Corp", external_id="ERP-ACME")
    globex = CustomerFactory(name="Globex", external_id="ERP-GLX")
    invoices = {
        number: InvoiceFactory(
            customer=acme, number=number, amount=D(amount), issue_date=date(2026, 1, day)
        )
        for number, amount, day in [
            ("INV-10", "100.00", 5),
            ("INV-11", "250.00", 3),
            ("INV-12", "400.00", 10),
            ("INV-13", "80.00", 1),
        ]
    }
    paid = invoices["INV-13"]
    payment = PaymentFactory(customer=acme, amount=D("80.00"), received_date=date(2026, 1, 2))
    from receivables import services

    services.apply_payment(payment, paid, D("80.00"))
    invoices["GLX-1"] = InvoiceFactory(
        customer=globex, number="GLX-1", amount=D("60.00"), issue_date=date(2026, 1, 4)
    )
    return {"acme": acme, "globex": globex, **invoices}


def body(ledger, **overrides) -> dict:
    return {
        "customer_external_id": "ERP-ACME",
        "amount": "300.00",
        "currency": "USD",
        "received_date": "2026-02-01",
        "method": "ach",
        "reference": "",
        "external_id": "",
        **overrides,
    }


CASES = [
    pytest.param(
        lambda led: {
            "remittance": [
                {"invoice_number": "INV-10", "amount": "100.00"},
                {"invoice_number": "INV-99", "amount": "50.00"},
                {"invoice": led["INV-11"].pk, "amount": "300.00"},
                {"invoice": led["GLX-1"].pk, "amount": "20.00"},
                {"invoice_number": "inv-12", "amount": "10.00"},
            ]
        },
        id="remittance-with-exceptions",
    ),
    pytest.param(
        lambda led: {"reference": "Payment INV-12/INV-11; INV-13", "amount": "500.00"},
        id="reference-oldest-first-and-paid",
    ),
    pytest.param(lambda led: {"amount": "250.00"}, id="exact-amount"),
    pytest.param(lambda led: {"amount": "123.45"}, id="on-account"),
    pytest.param(
        lambda led: {"customer_external_id": None, "customer": led["acme"].pk}, id="by-customer-id"
    ),
    pytest.param(lambda led: {"amount": "0.00"}, id="not-positive"),
    pytest.param(lambda led: {"amount": "10.001"}, id="three-decimals"),
    pytest.param(lambda led: {"amount": "99999999999999999.00"}, id="too-large"),
    pytest.param(lambda led: {"currency": "XXX"}, id="invalid-currency"),
    pytest.param(lambda led: {"method": "barter"}, id="invalid-method"),
    pytest.param(lambda led: {"customer_external_id": "NOPE"}, id="unknown-external-id"),
    pytest.param(
        lambda led: {"customer_external_id": None, "customer": 999999}, id="unknown-customer"
    ),
    pytest.param(lambda led: {"customer_external_id": None}, id="no-customer"),
    pytest.param(lambda led: {"customer": led["acme"].pk}, id="customer-ambiguous"),
    pytest.param(lambda led: {"reference": "x" * 256}, id="reference-too-long"),
    pytest.param(lambda led: {"external_id": "x" * 101}, id="external-id-too-long"),
    pytest.param(lambda led: {"remittance": [{"amount": "1.00"}]}, id="line-without-invoice"),
    pytest.param(
        lambda led: {
            "remittance": [{"invoice": led["INV-10"].pk, "invoice_number": "INV-10", "amount": "1"}]
        },
        id="line-with-both",
    ),
    pytest.param(
        lambda led: {"remittance": [{"invoice_number": "INV-10", "amount": "1.001"}]},
        id="line-three-decimals",
    ),
]


@pytest.mark.parametrize("overrides", CASES)
def test_post_payment_answers_as_rest_does(make_client, ledger, overrides):
    # Given one integration client and a payment body
    client = make_client("integration")
    data = {k: v for k, v in body(ledger, **overrides(ledger)).items() if v is not None}

    # When REST posts it (then the database goes back), and GraphQL posts the same
    savepoint = transaction.savepoint_create()
    rest = rest_outcome(client.post(URL, data, format="json"))
    transaction.savepoint_rollback(savepoint)
    before = state()
    answer = graphql(client, POST, {"data": camel_keys(data)})

    # Then both say the same, and every invariant holds
    rest["applications"] = sorted(rest.get("applications", [])) if "rule" in rest else None
    got = graphql_outcome(answer)
    if "rule" not in got:
        got["applications"] = None
        assert state() == before
    else:
        got["applications"] = sorted(got["applications"])
    rest = camel_errors({k: v for k, v in rest.items() if v is not None})
    assert {k: v for k, v in got.items() if v is not None} == rest
    assert_invariants()


def test_post_payment_remittance_exact_values(make_client, ledger, check_rollup):
    client = make_client("integration")
    data = body(
        ledger,
        amount="170.00",
        external_id="BANK-1",
        remittance=[
            {"invoiceNumber": "INV-10", "amount": "100.00"},
            {"invoiceNumber": "INV-99", "amount": "50.00"},
            {"invoice": str(ledger["INV-11"].pk), "amount": "20.00"},
        ],
    )

    payload = graphql(client, POST, {"data": camel_keys(data)})["data"]["postPayment"]

    assert payload["rule"] == "remittance"
    assert payload["unappliedAmount"] == "50.00"
    assert payload["payment"]["unappliedAmount"] == "50.00"
    assert payload["payment"]["externalId"] == "BANK-1"
    assert payload["payment"]["customer"] == {"id": str(ledger["acme"].pk)}
    assert payload["payment"]["applications"] == {"totalCount": 2}
    assert payload["applications"] == [
        {
            "invoice": {
                "id": str(ledger["INV-10"].pk),
                "number": "INV-10",
                "openAmount": "0.00",
                "status": "paid",
                "paidDate": "2026-02-01",
            },
            "amount": "100.00",
            "appliedDate": "2026-02-01",
            "automatic": True,
        },
        {
            "invoice": {
                "id": str(ledger["INV-11"].pk),
                "number": "INV-11",
                "openAmount": "230.00",
                "status": "open",
                "paidDate": None,
            },
            "amount": "20.00",
            "appliedDate": "2026-02-01",
            "automatic": True,
        },
    ]
    assert payload["exceptions"] == [
        {
            "line": 1,
            "invoice": "INV-99",
            "code": "invoice_not_found",
            "message": "No invoice 'INV-99'.",
            "amount": "50.00",
        }
    ]
    payment = Payment.objects.get(pk=payload["payment"]["id"])
    assert payment.posted_by == client.user
    check_rollup()
    assert_invariants()


def test_duplicate_external_id_names_the_payment_and_stores_nothing(make_client, ledger):
    client = make_client("integration")
    data = camel_keys(body(ledger, external_id="BANK-7", amount="5.00"))
    first = graphql(client, POST, {"data": data})["data"]["postPayment"]["payment"]["id"]
    before = state()

    payload = graphql(client, POST, {"data": data})["data"]["postPayment"]

    assert payload["messages"] == [
        {
            "kind": "VALIDATION",
            "field": None,
            "code": "duplicate_external_id",
            "message": f"Payment 'BANK-7' was already posted as payment {first}. (payment {first})",
        }
    ]
    assert state() == before
    # REST says the same for the same client
    response = client.post(URL, body(ledger, external_id="BANK-7", amount="5.00"), format="json")
    assert (response.status_code, response.json()["errors"][0]["payment"]) == (409, int(first))


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "not_authenticated"),
        ("viewer", "permission_denied"),
        ("collector", "permission_denied"),
    ],
)
def test_roles_without_add_payment_are_refused(gql, ledger, role, code):
    before = state()
    variables = {"data": camel_keys(body(ledger))}

    for query, variables_ in [
        (POST, variables),
        (BULK, {"items": [variables["data"]], "atomic": False}),
    ]:
        answer = gql(query, variables_, role=role)
        assert answer["data"] is None
        assert [e["extensions"]["code"] for e in answer["errors"]] == [code]
    assert state() == before


@pytest.mark.parametrize("role", ["integration", "admin"])
def test_writer_roles_may_post(gql, ledger, role):
    payload = gql(POST, {"data": camel_keys(body(ledger, amount="250.00"))}, role=role)
    assert payload["data"]["postPayment"]["rule"] == "exact_amount"


# --- Bulk -----------------------------------------------------------------------------------


def bulk_items(ledger) -> list[dict]:
    return [
        camel_keys(body(ledger, amount="250.00", external_id="B-1")),
        camel_keys(body(ledger, amount="5.00", external_id="B-0")),  # already posted
        camel_keys(body(ledger, amount="-1.00", external_id="B-2")),
        camel_keys(body(ledger, customer_external_id="NOPE", external_id="B-3")),
    ]


def test_bulk_posts_each_item_on_its_own(make_client, ledger, check_rollup):
    client = make_client("integration")
    graphql(client, POST, {"data": camel_keys(body(ledger, amount="5.00", external_id="B-0"))})
    existing = Payment.objects.get(external_id="B-0").pk

    answer = graphql(client, BULK, {"items": bulk_items(ledger), "atomic": False})

    result = answer["data"]["postPayments"]
    created = Payment.objects.get(external_id="B-1")
    assert {k: result[k] for k in ("created", "duplicates", "failed", "rolledBack")} == {
        "created": 1,
        "duplicates": 1,
        "failed": 2,
        "rolledBack": False,
    }
    assert [(r["index"], r["status"]) for r in result["results"]] == [
        (0, "created"),
        (1, "duplicate"),
        (2, "error"),
        (3, "error"),
    ]
    assert result["results"][0]["posting"] == {
        "rule": "exact_amount",
        "unappliedAmount": "0.00",
        "payment": {"id": str(created.pk), "externalId": "B-1"},
    }
    assert [[(e["field"], e["code"]) for e in r["errors"]] for r in result["results"][1:]] == [
        [(None, "duplicate_external_id")],
        [("amount", "not_positive")],
        [("customerExternalId", "does_not_exist")],
    ]
    assert f"payment {existing}" in result["results"][1]["errors"][0]["message"]
    assert Payment.objects.filter(external_id__startswith="B-").count() == 2
    check_rollup()
    assert_invariants()


def test_bulk_matches_rest_bulk(make_client, ledger):
    client = make_client("integration")
    graphql(client, POST, {"data": camel_keys(body(ledger, amount="5.00", external_id="B-0"))})
    rest_items = [
        body(ledger, amount="250.00", external_id="B-1"),
        body(ledger, amount="5.00", external_id="B-0"),
        body(ledger, amount="-1.00", external_id="B-2"),
        body(ledger, customer_external_id="NOPE", external_id="B-3"),
    ]

    for atomic in (False, True):
        savepoint = transaction.savepoint_create()
        url = f"{URL}bulk/" + ("?atomic=true" if atomic else "")
        rest = client.post(url, {"items": rest_items}, format="json").json()
        transaction.savepoint_rollback(savepoint)
        answer = graphql(client, BULK, {"items": bulk_items(ledger), "atomic": atomic})
        result = answer["data"]["postPayments"]

        assert [(r["index"], r["status"]) for r in result["results"]] == [
            (r["index"], r["status"]) for r in rest["results"]
        ]
        assert [[(e["field"], e["code"]) for e in r["errors"]] for r in result["results"]] == [
            [(to_camel_case(e["field"]) if e["field"] else None, e["code"]) for e in r["errors"]]
            for r in rest["results"]
        ]


def test_bulk_atomic_rolls_everything_back(gql, ledger):
    before = state()

    answer = gql(BULK, {"items": bulk_items(ledger), "atomic": True}, role="integration")

    result = answer["data"]["postPayments"]
    assert result["rolledBack"] is True
    assert [r["status"] for r in result["results"]] == [
        "rolled_back",
        "rolled_back",
        "error",
        "error",
    ]
    assert all(r["posting"] is None for r in result["results"])
    assert state() == before


def test_bulk_atomic_all_good_commits(gql, ledger, check_rollup):
    items = [
        camel_keys(body(ledger, amount="250.00", external_id="A-1")),
        camel_keys(body(ledger, amount="7.00", external_id="A-2")),
    ]

    result = gql(BULK, {"items": items, "atomic": True}, role="integration")["data"]["postPayments"]

    assert (result["created"], result["rolledBack"]) == (2, False)
    assert [r["posting"]["rule"] for r in result["results"]] == ["exact_amount", "none"]
    assert Payment.objects.filter(external_id__in=["A-1", "A-2"]).count() == 2
    check_rollup()
    assert_invariants()


def test_bulk_over_the_limit_is_refused(gql, ledger, monkeypatch):
    monkeypatch.setattr(settings, "O2C_BULK_MAX_ITEMS", 2)
    before = state()

    answer = gql(BULK, {"items": bulk_items(ledger)[:3], "atomic": False}, role="integration")

    assert answer["data"]["postPayments"]["messages"] == [{"field": "items", "code": "max_length"}]
    assert state() == before


def test_an_empty_bulk_is_refused_with_rests_code(gql, api, ledger):
    before = state()

    answer = gql(BULK, {"items": [], "atomic": False}, role="integration")
    rest = api.post("/api/v1/payments/bulk/", {"items": []}, format="json")

    assert answer["data"]["postPayments"]["messages"] == [{"field": "items", "code": "min_length"}]
    assert rest.status_code == 400
    assert [(e["field"], e["code"]) for e in rest.json()["errors"]] == [("items", "min_length")]
    assert state() == before

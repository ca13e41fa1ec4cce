"""Mutations go through the services: same rules, same error codes as REST, atomic.

A failing mutation answers `OperationInfo` data (never an error or a 500) whose messages carry
the code, field (camelCased input name) and message that REST's error shape carries for the
same service failure, and leaves every row as it was.
"""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Customer
from o2c_api.api.exceptions import django_validation_errors
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
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory, SegmentFactory

PAYLOAD = """
  __typename
  ... on OperationInfo { messages { kind field code message } }
"""

INPUT_TYPES = {
    "createCustomer": "CustomerInput",
    "createOrder": "OrderInput",
    "createInvoice": "InvoiceInput",
    "addAdjustment": "AdjustmentInput",
    "recordPayment": "PaymentInput",
    "applyPayment": "ApplicationInput",
    "openDispute": "DisputeInput",
    "createPromise": "PromiseInput",
    "createActivity": "ActivityInput",
}
ID_INPUT_TYPES = {
    "updateCustomer": "CustomerPartialInput",
    "updateInvoice": "InvoicePartialInput",
    "resolveDispute": "DisputeResolutionInput",
}


def mutate(gql, name: str, selection: str = "id", role: str = "admin", **variables) -> dict:
    """Run mutation `name` with `data` (and `id`) variables; return its payload."""
    params, args = [], []
    if "id" in variables:
        params.append("$id: ID!")
        args.append("id: $id")
    if "data" in variables:
        input_type = INPUT_TYPES.get(name) or ID_INPUT_TYPES[name]
        params.append(f"$data: {input_type}!")
        args.append("data: $data")
    if "voidedDate" in variables:
        params.append("$voidedDate: Date")
        args.append("voidedDate: $voidedDate")
    signature = f"({', '.join(params)})" if params else ""
    arguments = f"({', '.join(args)})" if args else ""
    query = f"""mutation{signature} {{
      {name}{arguments} {{ {PAYLOAD} ... on {type_of(name)} {{ {selection} }} }}
    }}"""
    answer = gql(query, variables, role=role)
    assert "errors" not in answer, answer["errors"]
    payload = answer["data"][name]
    if payload["__typename"] != "OperationInfo":
        del payload["__typename"]
    return payload


def type_of(name: str) -> str:
    return {
        "createCustomer": "CustomerType",
        "updateCustomer": "CustomerType",
        "createOrder": "OrderType",
        "createInvoice": "InvoiceType",
        "updateInvoice": "InvoiceType",
        "issueInvoice": "InvoiceType",
        "voidInvoice": "InvoiceType",
        "addAdjustment": "AdjustmentType",
        "recordPayment": "PaymentType",
        "applyPayment": "ApplicationType",
        "unapplyPayment": "PaymentType",
        "openDispute": "DisputeType",
        "resolveDispute": "DisputeType",
        "createPromise": "PromiseType",
        "createActivity": "ActivityType",
    }[name]


def messages(payload: dict) -> list[tuple[str, str | None, str]]:
    assert payload["__typename"] == "OperationInfo", payload
    return [(m["kind"], m["field"], m["code"]) for m in payload["messages"]]


def snapshot() -> dict:
    """Every row a mutation could touch, to assert that a refused one changed nothing."""
    return {
        model.__name__: sorted(model.objects.values_list())
        for model in (
            Customer,
            Order,
            Invoice,
            Adjustment,
            Payment,
            PaymentApplication,
            Dispute,
            PromiseToPay,
            CollectionActivity,
        )
    }


@pytest.fixture
def ledger(db):
    """One customer, an open invoice of 100 issued 2026-01-01 and an unapplied payment of 80."""
    customer = CustomerFactory(name="Acme")
    invoice = InvoiceFactory(
        customer=customer, number="INV-1", amount=Decimal("100.00"), issue_date=date(2026, 1, 1)
    )
    payment = PaymentFactory(
        customer=customer, amount=Decimal("80.00"), received_date=date(2026, 1, 10)
    )
    return customer, invoice, payment


# --- Happy paths ---------------------------------------------------------------------------


def test_cash_round_trip(gql, ledger, check_rollup):
    customer, invoice, _ = ledger

    payment = mutate(
        gql,
        "recordPayment",
        "id amount unappliedAmount currency",
        data={
            "customer": str(customer.pk),
            "amount": "150.00",
            "receivedDate": "2026-01-20",
            "externalId": "BANK-1",
            "method": "wire",
        },
    )
    assert payment["unappliedAmount"] == "150.00"

    application = mutate(
        gql,
        "applyPayment",
        "id amount appliedDate invoice { openAmount status paidDate } payment { unappliedAmount }",
        data={"payment": payment["id"], "invoice": str(invoice.pk), "amount": "100.00"},
    )
    assert application["appliedDate"] == "2026-01-20"
    assert application["invoice"] == {
        "openAmount": "0.00",
        "status": "paid",
        "paidDate": "2026-01-20",
    }
    assert application["payment"] == {"unappliedAmount": "50.00"}
    check_rollup()

    reversed_payment = mutate(gql, "unapplyPayment", "unappliedAmount", id=application["id"])
    assert reversed_payment == {"unappliedAmount": "150.00"}
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status, invoice.paid_date) == (
        Decimal("100"),
        "open",
        None,
    )
    check_rollup()


def test_invoice_lifecycle(gql, ledger, check_rollup):
    customer, _, _ = ledger
    order = mutate(
        gql,
        "createOrder",
        "id rep { id } productLine",
        data={
            "customer": str(customer.pk),
            "number": "SO-9",
            "orderDate": "2026-02-01",
            "amount": "500.00",
            "productLine": "software",
        },
    )
    assert order["rep"] == {"id": str(customer.rep_id)}

    draft = mutate(
        gql,
        "createInvoice",
        "id status dueDate productLine openAmount",
        data={
            "customer": str(customer.pk),
            "number": "INV-9",
            "issueDate": "2026-02-02",
            "amount": "500.00",
            "order": order["id"],
            "status": "draft",
        },
    )
    assert draft["status"] == "draft"
    assert draft["dueDate"] == "2026-03-04"
    assert draft["productLine"] == "software"

    updated = mutate(
        gql, "updateInvoice", "amount openAmount", id=draft["id"], data={"amount": "450.00"}
    )
    assert updated == {"amount": "450.00", "openAmount": "450.00"}

    assert mutate(gql, "issueInvoice", "status", id=draft["id"]) == {"status": "open"}
    check_rollup()

    adjustment = mutate(
        gql,
        "addAdjustment",
        "kind amount invoice { openAmount }",
        data={
            "invoice": draft["id"],
            "kind": "credit_note",
            "amount": "50.00",
            "adjustmentDate": "2026-02-10",
            "reason": "goodwill",
        },
    )
    assert adjustment == {
        "kind": "credit_note",
        "amount": "50.00",
        "invoice": {"openAmount": "400.00"},
    }

    voided = mutate(
        gql, "voidInvoice", "status openAmount voidedDate", id=draft["id"], voidedDate="2026-02-11"
    )
    assert voided == {"status": "void", "openAmount": "0.00", "voidedDate": "2026-02-11"}
    check_rollup()


def test_dispute_credit_promise_and_activity(gql, ledger, check_rollup):
    customer, invoice, _ = ledger
    dispute = mutate(
        gql,
        "openDispute",
        "id status",
        data={
            "invoice": str(invoice.pk),
            "reason": "pricing",
            "amount": "30.00",
            "openedDate": "2026-01-05",
        },
    )
    assert dispute["status"] == "open"

    resolved = mutate(
        gql,
        "resolveDispute",
        "status resolution resolvedDate invoice { openAmount }",
        id=dispute["id"],
        data={"resolution": "credited", "resolvedDate": "2026-01-08", "creditAmount": "30.00"},
    )
    assert resolved == {
        "status": "resolved",
        "resolution": "credited",
        "resolvedDate": "2026-01-08",
        "invoice": {"openAmount": "70.00"},
    }
    check_rollup()

    promise = mutate(
        gql,
        "createPromise",
        "status amount",
        data={
            "invoice": str(invoice.pk),
            "promisedDate": "2099-01-31",
            "amount": "70.00",
            "createdDate": "2026-01-09",
        },
    )
    assert promise == {"status": "open", "amount": "70.00"}

    activity = mutate(
        gql,
        "createActivity",
        "kind outcome invoice { number } customer { name }",
        data={
            "customer": str(customer.pk),
            "invoice": str(invoice.pk),
            "kind": "call",
            "occurredAt": "2026-01-09T09:00:00+00:00",
            "outcome": "promised",
        },
    )
    assert activity == {
        "kind": "call",
        "outcome": "promised",
        "invoice": {"number": "INV-1"},
        "customer": {"name": "Acme"},
    }


def test_customer_create_and_segment_change_rekeys_the_rollup(gql, ledger, check_rollup):
    customer, _, _ = ledger
    created = mutate(
        gql,
        "createCustomer",
        "name currency paymentTermsDays",
        data={"name": "Newco", "paymentTermsDays": 45},
    )
    assert created == {"name": "Newco", "currency": "USD", "paymentTermsDays": 45}

    segment = SegmentFactory(code="NEW")
    updated = mutate(
        gql,
        "updateCustomer",
        "segment { code }",
        id=str(customer.pk),
        data={"segment": str(segment.pk)},
    )
    assert updated == {"segment": {"code": "NEW"}}
    check_rollup()


# --- Refusals: REST's codes, nothing changed --------------------------------------------------

REFUSALS = [
    pytest.param(
        "applyPayment",
        lambda c, i, p: {"data": {"payment": str(p.pk), "invoice": str(i.pk), "amount": "90.00"}},
        [("VALIDATION", "amount", "exceeds_unapplied_amount")],
        id="apply-more-than-unapplied",
    ),
    pytest.param(
        "addAdjustment",
        lambda c, i, p: {
            "data": {
                "invoice": str(i.pk),
                "kind": "write_off",
                "amount": "100.01",
                "adjustmentDate": "2026-01-02",
            }
        },
        [("VALIDATION", "amount", "exceeds_open_amount")],
        id="adjust-more-than-open",
    ),
    pytest.param(
        "applyPayment",
        lambda c, i, p: {
            "data": {
                "payment": str(p.pk),
                "invoice": str(i.pk),
                "amount": "10.00",
                "appliedDate": "2026-01-05",
            }
        },
        [("VALIDATION", "appliedDate", "applied_before_received")],
        id="apply-before-received",
    ),
    pytest.param(
        "applyPayment",
        lambda c, i, p: {"data": {"payment": str(p.pk), "invoice": "999999", "amount": "1.00"}},
        [("VALIDATION", "invoice", "does_not_exist")],
        id="apply-to-unknown-invoice",
    ),
    pytest.param(
        "createInvoice",
        lambda c, i, p: {
            "data": {
                "customer": str(c.pk),
                "number": "INV-2",
                "issueDate": "2026-01-10",
                "dueDate": "2026-01-09",
                "amount": "10.00",
            }
        },
        [("VALIDATION", "dueDate", "due_before_issue")],
        id="invoice-due-before-issue",
    ),
    pytest.param(
        "createInvoice",
        lambda c, i, p: {
            "data": {
                "customer": str(c.pk),
                "number": "INV-1",
                "issueDate": "2026-01-10",
                "amount": "10.00",
            }
        },
        [("VALIDATION", "number", "unique")],
        id="invoice-duplicate-number",
    ),
    pytest.param(
        "createInvoice",
        lambda c, i, p: {
            "data": {
                "customer": str(c.pk),
                "number": "INV-2",
                "issueDate": "2026-01-10",
                "amount": "-1.00",
            }
        },
        [("VALIDATION", "amount", "not_positive")],
        id="invoice-negative-amount",
    ),
    pytest.param(
        "updateInvoice",
        lambda c, i, p: {"id": str(i.pk), "data": {"amount": "120.00"}},
        [("VALIDATION", "amount", "invoice_issued_immutable")],
        id="issued-invoice-amount",
    ),
    pytest.param(
        "issueInvoice",
        lambda c, i, p: {"id": str(i.pk)},
        [("VALIDATION", None, "invoice_not_draft")],
        id="issue-open-invoice",
    ),
    pytest.param(
        "voidInvoice",
        lambda c, i, p: {"id": "999999"},
        [("VALIDATION", "id", "not_found")],
        id="void-unknown-invoice",
    ),
    pytest.param(
        "openDispute",
        lambda c, i, p: {
            "data": {
                "invoice": str(i.pk),
                "reason": "pricing",
                "amount": "101.00",
                "openedDate": "2026-01-02",
            }
        },
        [("VALIDATION", "amount", "exceeds_invoice_amount")],
        id="dispute-more-than-invoice",
    ),
    pytest.param(
        "createPromise",
        lambda c, i, p: {
            "data": {
                "invoice": str(i.pk),
                "promisedDate": "2026-01-01",
                "amount": "10.00",
                "createdDate": "2026-01-05",
            }
        },
        [("VALIDATION", "promisedDate", "promised_before_created")],
        id="promise-before-created",
    ),
    pytest.param(
        "createOrder",
        lambda c, i, p: {
            "data": {
                "customer": str(c.pk),
                "number": "SO-1",
                "orderDate": "2026-01-01",
                "amount": "0.00",
            }
        },
        [("VALIDATION", "amount", "not_positive")],
        id="order-zero-amount",
    ),
    pytest.param(
        "createActivity",
        lambda c, i, p: {
            "data": {
                "customer": str(CustomerFactory().pk),
                "invoice": str(i.pk),
                "kind": "call",
                "occurredAt": "2026-01-09T09:00:00+00:00",
            }
        },
        [("VALIDATION", "invoice", "customer_mismatch")],
        id="activity-on-another-customers-invoice",
    ),
    pytest.param(
        "updateCustomer",
        lambda c, i, p: {"id": str(c.pk), "data": {"segment": "999999"}},
        [("VALIDATION", "segment", "does_not_exist")],
        id="customer-unknown-segment",
    ),
    pytest.param(
        "unapplyPayment",
        lambda c, i, p: {"id": "999999"},
        [("VALIDATION", "id", "not_found")],
        id="unapply-unknown-application",
    ),
]


@pytest.mark.parametrize(("name", "variables", "expected"), REFUSALS)
def test_refused_mutations_answer_rest_codes_and_change_nothing(
    gql, ledger, check_rollup, name, variables, expected
):
    # Given the ledger and the rows as they are
    given = variables(*ledger)
    before = snapshot()

    # When the mutation breaks a service rule
    payload = mutate(gql, name, **given)

    # Then the answer is data with the service's code, and nothing changed
    assert messages(payload) == expected
    assert snapshot() == before
    check_rollup()


def test_apply_more_than_open_amount(gql, ledger, check_rollup):
    # Given an invoice open for 100 and a payment large enough that only the invoice's open
    # amount limits the application
    customer, invoice, _ = ledger
    big = PaymentFactory(
        customer=customer, amount=Decimal("500.00"), received_date=date(2026, 1, 10)
    )
    before = snapshot()

    payload = mutate(
        gql,
        "applyPayment",
        data={"payment": str(big.pk), "invoice": str(invoice.pk), "amount": "100.01"},
    )

    assert payload["messages"] == [
        {
            "kind": "VALIDATION",
            "field": "amount",
            "code": "exceeds_open_amount",
            "message": "100.01 is more than the open amount 100.00 of INV-1.",
        }
    ]
    assert snapshot() == before
    check_rollup()


def test_messages_equal_rest_error_entries(gql, ledger):
    """Code, field and message are REST's (`o2c_api.api.exceptions`), the field camelCased."""
    from django.core.exceptions import ValidationError

    from receivables import services

    _, invoice, payment = ledger
    with pytest.raises(ValidationError) as raised:
        services.apply_payment(payment, invoice, Decimal("90.00"), applied_date=date(2026, 1, 10))
    rest = django_validation_errors(raised.value)

    payload = mutate(
        gql,
        "applyPayment",
        data={
            "payment": str(payment.pk),
            "invoice": str(invoice.pk),
            "amount": "90.00",
            "appliedDate": "2026-01-10",
        },
    )

    assert [
        {"code": m["code"], "field": m["field"], "message": m["message"]}
        for m in payload["messages"]
    ] == rest


def test_duplicate_external_id_is_a_conflict_naming_the_payment(gql, ledger):
    customer, _, _ = ledger
    data = {
        "customer": str(customer.pk),
        "amount": "10.00",
        "receivedDate": "2026-01-20",
        "externalId": "BANK-7",
    }
    first = mutate(gql, "recordPayment", data=data)

    payload = mutate(gql, "recordPayment", data=data)

    assert payload["messages"] == [
        {
            "kind": "VALIDATION",
            "field": None,
            "code": "duplicate_external_id",
            "message": f"Payment 'BANK-7' was already posted as payment {first['id']}. "
            f"(payment {first['id']})",
        }
    ]
    assert Payment.objects.filter(external_id="BANK-7").count() == 1


def test_resolving_twice_is_refused(gql, ledger):
    _, invoice, _ = ledger
    dispute = mutate(
        gql,
        "openDispute",
        data={
            "invoice": str(invoice.pk),
            "reason": "quality",
            "amount": "5.00",
            "openedDate": "2026-01-02",
        },
    )
    mutate(
        gql,
        "resolveDispute",
        id=dispute["id"],
        data={"resolution": "withdrawn", "resolvedDate": "2026-01-03"},
    )

    payload = mutate(gql, "resolveDispute", id=dispute["id"], data={"resolution": "upheld"})

    assert messages(payload) == [("VALIDATION", None, "dispute_already_resolved")]
    assert Dispute.objects.get().resolution == "withdrawn"


def test_void_with_cash_applied_is_refused(gql, ledger, check_rollup):
    _, invoice, payment = ledger
    mutate(
        gql,
        "applyPayment",
        data={"payment": str(payment.pk), "invoice": str(invoice.pk), "amount": "10.00"},
    )
    before = snapshot()

    payload = mutate(gql, "voidInvoice", id=str(invoice.pk))

    assert messages(payload) == [("VALIDATION", None, "invoice_has_applications")]
    assert snapshot() == before
    check_rollup()

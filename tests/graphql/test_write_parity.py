"""The same bad write through REST and GraphQL: the same codes on the same fields, nothing stored.

One case per refusal of each write both APIs offer (customers, orders, invoices, adjustments,
applications, disputes, promises, activities; payment posting, single and bulk, is compared
in tests/graphql/test_post_payment.py). Each case is sent to REST, the database is put back,
then sent to GraphQL; both answers are compared with the expected (field, code) pairs, the
GraphQL field camelCased.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from strawberry.utils.str_converters import to_camel_case

from receivables import services
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    PaymentFactory,
)
from tests.graphql.test_mutations import mutate, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> dict:
    """Acme (USD) with an open invoice of 100 issued 2026-01-01, a draft, a void invoice, a
    payment of 80 received 2026-01-10 (30 of it applied to INV-3), an open and a resolved
    dispute; Euro GmbH (EUR, with an invoice) and another customer's opportunity and order."""
    acme = CustomerFactory(name="Acme", external_id="ERP-ACME")
    invoice = InvoiceFactory(
        customer=acme, number="INV-1", amount=Decimal("100.00"), issue_date=date(2026, 1, 1)
    )
    draft = services.create_invoice(
        customer=acme, number="INV-D", issue_date=date(2026, 1, 1), amount=Decimal("10.00"),
        status="draft",
    )  # fmt: skip
    void = InvoiceFactory(customer=acme, number="INV-V", issue_date=date(2026, 1, 1))
    services.void_invoice(void, date(2026, 1, 2))
    applied_to = InvoiceFactory(
        customer=acme, number="INV-3", amount=Decimal("50.00"), issue_date=date(2026, 1, 1)
    )
    payment = PaymentFactory(
        customer=acme, amount=Decimal("80.00"), received_date=date(2026, 1, 10)
    )
    application = services.apply_payment(
        payment, applied_to, Decimal("30.00"), applied_date=date(2026, 1, 10)
    )
    dispute = services.open_dispute(
        invoice, reason="pricing", amount=Decimal("10.00"), opened_date=date(2026, 1, 5)
    )
    resolved = services.open_dispute(
        invoice, reason="quality", amount=Decimal("5.00"), opened_date=date(2026, 1, 5)
    )
    services.resolve_dispute(resolved, resolution="withdrawn", resolved_date=date(2026, 1, 6))
    euro = CustomerFactory(name="Euro GmbH", currency="EUR")
    InvoiceFactory(customer=euro, number="EUR-1", currency="EUR", issue_date=date(2026, 1, 1))
    other = CustomerFactory(name="Other Inc")
    return {
        "acme": acme,
        "invoice": invoice,
        "draft": draft,
        "void": void,
        "applied_to": applied_to,
        "payment": payment,
        "application": application,
        "dispute": dispute,
        "resolved": resolved,
        "euro": euro,
        "other": other,
        "opportunity": OpportunityFactory(customer=other, name="Other's deal"),
        "order": OrderFactory(customer=other, number="SO-OTHER", amount=Decimal("5.00")),
    }


def _id(w: dict, name: str) -> str:
    return str(w[name].pk)


def case(rest, mutation, expected, id):
    """`rest`: w -> (method, path, body); `mutation`: w -> (name, variables)."""
    return pytest.param(rest, mutation, expected, id=id)


CASES = [
    # --- customers ---------------------------------------------------------------------------
    case(
        lambda w: ("post", "/api/v1/customers/",
                   {"name": "Acme 2", "external_id": "ERP-ACME", "currency": "USD"}),
        lambda w: ("createCustomer",
                   {"data": {"name": "Acme 2", "externalId": "ERP-ACME", "currency": "USD"}}),
        [("external_id", "unique")],
        id="customer-external-id-taken",
    ),
    case(
        lambda w: ("post", "/api/v1/customers/",
                   {"name": "Neg", "currency": "USD", "credit_limit": "-1.00"}),
        lambda w: ("createCustomer",
                   {"data": {"name": "Neg", "currency": "USD", "creditLimit": "-1.00"}}),
        [(None, "negative_credit_limit")],
        id="customer-negative-credit-limit",
    ),
    case(
        lambda w: ("patch", f"/api/v1/customers/{w['acme'].pk}/", {"currency": "EUR"}),
        lambda w: ("updateCustomer", {"id": _id(w, "acme"), "data": {"currency": "EUR"}}),
        [(None, "customer_currency_locked")],
        id="customer-currency-with-documents",
    ),
    case(
        lambda w: ("patch", f"/api/v1/customers/{w['acme'].pk}/", {"segment": 999999}),
        lambda w: ("updateCustomer", {"id": _id(w, "acme"), "data": {"segment": "999999"}}),
        [("segment", "does_not_exist")],
        id="customer-unknown-segment",
    ),
    # --- orders ------------------------------------------------------------------------------
    case(
        lambda w: ("post", "/api/v1/orders/",
                   {"customer": w["acme"].pk, "number": "SO-1", "order_date": "2026-01-01",
                    "amount": "0.00"}),
        lambda w: ("createOrder",
                   {"data": {"customer": _id(w, "acme"), "number": "SO-1",
                             "orderDate": "2026-01-01", "amount": "0.00"}}),
        [("amount", "not_positive")],
        id="order-zero-amount",
    ),
    case(
        lambda w: ("post", "/api/v1/orders/",
                   {"customer": w["euro"].pk, "number": "SO-1", "order_date": "2026-01-01",
                    "amount": "5.00", "opportunity": w["opportunity"].pk}),
        lambda w: ("createOrder",
                   {"data": {"customer": _id(w, "euro"), "number": "SO-1",
                             "orderDate": "2026-01-01", "amount": "5.00",
                             "opportunity": _id(w, "opportunity")}}),
        [("opportunity", "opportunity_customer_mismatch")],
        id="order-another-customers-opportunity",
    ),
    case(
        lambda w: ("post", "/api/v1/orders/",
                   {"customer": w["acme"].pk, "number": "SO-1", "order_date": "2026-01-01",
                    "amount": "5.00", "currency": "XXX"}),
        lambda w: ("createOrder",
                   {"data": {"customer": _id(w, "acme"), "number": "SO-1",
                             "orderDate": "2026-01-01", "amount": "5.00", "currency": "XXX"}}),
        [("currency", "invalid_currency")],
        id="order-unknown-currency",
    ),
    # --- invoices ----------------------------------------------------------------------------
    case(
        lambda w: ("post", "/api/v1/invoices/",
                   {"customer": w["acme"].pk, "number": "INV-1", "issue_date": "2026-01-10",
                    "amount": "10.00"}),
        lambda w: ("createInvoice",
                   {"data": {"customer": _id(w, "acme"), "number": "INV-1",
                             "issueDate": "2026-01-10", "amount": "10.00"}}),
        [("number", "unique")],
        id="invoice-number-taken",
    ),
    case(
        lambda w: ("post", "/api/v1/invoices/",
                   {"customer": w["acme"].pk, "number": "INV-9", "issue_date": "2026-01-10",
                    "amount": "10.00", "order": w["order"].pk}),
        lambda w: ("createInvoice",
                   {"data": {"customer": _id(w, "acme"), "number": "INV-9",
                             "issueDate": "2026-01-10", "amount": "10.00",
                             "order": _id(w, "order")}}),
        [("order", "order_customer_mismatch")],
        id="invoice-for-another-customers-order",
    ),
    case(
        lambda w: ("patch", f"/api/v1/invoices/{w['invoice'].pk}/", {"amount": "120.00"}),
        lambda w: ("updateInvoice", {"id": _id(w, "invoice"), "data": {"amount": "120.00"}}),
        [("amount", "invoice_issued_immutable")],
        id="invoice-issued-amount-changed",
    ),
    case(
        lambda w: ("patch", f"/api/v1/invoices/{w['void'].pk}/", {"due_date": "2026-03-01"}),
        lambda w: ("updateInvoice", {"id": _id(w, "void"), "data": {"dueDate": "2026-03-01"}}),
        [(None, "invoice_void")],
        id="invoice-void-changed",
    ),
    case(
        lambda w: ("post", f"/api/v1/invoices/{w['void'].pk}/void/", {}),
        lambda w: ("voidInvoice", {"id": _id(w, "void")}),
        [(None, "invoice_already_void")],
        id="invoice-voided-twice",
    ),
    case(
        lambda w: ("post", f"/api/v1/invoices/{w['invoice'].pk}/void/",
                   {"voided_date": "2025-12-31"}),
        lambda w: ("voidInvoice", {"id": _id(w, "invoice"), "voidedDate": "2025-12-31"}),
        [("voided_date", "date_before_issue")],
        id="invoice-voided-before-issue",
    ),
    case(
        lambda w: ("post", f"/api/v1/invoices/{w['applied_to'].pk}/void/", {}),
        lambda w: ("voidInvoice", {"id": _id(w, "applied_to")}),
        [(None, "invoice_has_applications")],
        id="invoice-with-cash-voided",
    ),
    case(
        lambda w: ("post", "/api/v1/invoices/",
                   {"customer": w["acme"].pk, "number": "INV-9", "issue_date": "2026-01-10",
                    "amount": "10.00", "currency": "XXX"}),
        lambda w: ("createInvoice",
                   {"data": {"customer": _id(w, "acme"), "number": "INV-9",
                             "issueDate": "2026-01-10", "amount": "10.00", "currency": "XXX"}}),
        [("currency", "invalid_currency")],
        id="invoice-unknown-currency",
    ),
    case(
        lambda w: ("patch", f"/api/v1/invoices/{w['draft'].pk}/", {"currency": "XXX"}),
        lambda w: ("updateInvoice", {"id": _id(w, "draft"), "data": {"currency": "XXX"}}),
        [("currency", "invalid_currency")],
        id="invoice-draft-unknown-currency",
    ),
    case(
        lambda w: ("post", "/api/v1/invoices/",
                   {"customer": w["acme"].pk, "number": "INV-9", "issue_date": "2026-01-10",
                    "amount": "10.00", "status": "paid"}),
        lambda w: ("createInvoice",
                   {"data": {"customer": _id(w, "acme"), "number": "INV-9",
                             "issueDate": "2026-01-10", "amount": "10.00", "status": "paid"}}),
        [("status", "invalid_status")],
        id="invoice-created-paid",
    ),
    # --- adjustments -------------------------------------------------------------------------
    case(
        lambda w: ("post", "/api/v1/adjustments/",
                   {"invoice": w["draft"].pk, "kind": "credit_note", "amount": "1.00",
                    "adjustment_date": "2026-01-02"}),
        lambda w: ("addAdjustment",
                   {"data": {"invoice": _id(w, "draft"), "kind": "credit_note",
                             "amount": "1.00", "adjustmentDate": "2026-01-02"}}),
        [("invoice", "invoice_not_open")],
        id="adjustment-on-a-draft",
    ),
    case(
        lambda w: ("post", "/api/v1/adjustments/",
                   {"invoice": w["invoice"].pk, "kind": "credit_note", "amount": "1.00",
                    "adjustment_date": "2025-12-31"}),
        lambda w: ("addAdjustment",
                   {"data": {"invoice": _id(w, "invoice"), "kind": "credit_note",
                             "amount": "1.00", "adjustmentDate": "2025-12-31"}}),
        [("adjustment_date", "date_before_issue")],
        id="adjustment-before-issue",
    ),
    case(
        lambda w: ("post", "/api/v1/adjustments/",
                   {"invoice": w["invoice"].pk, "kind": "gift", "amount": "1.00",
                    "adjustment_date": "2026-01-02"}),
        lambda w: ("addAdjustment",
                   {"data": {"invoice": _id(w, "invoice"), "kind": "gift", "amount": "1.00",
                             "adjustmentDate": "2026-01-02"}}),
        [("kind", "invalid_kind")],
        id="adjustment-unknown-kind",
    ),
    # --- applications ------------------------------------------------------------------------
    case(
        lambda w: ("post", f"/api/v1/payments/{w['payment'].pk}/apply/",
                   {"invoice": w["invoice"].pk, "amount": "60.00"}),
        lambda w: ("applyPayment",
                   {"data": {"payment": _id(w, "payment"), "invoice": _id(w, "invoice"),
                             "amount": "60.00"}}),
        [("amount", "exceeds_unapplied_amount")],
        id="apply-more-than-unapplied",
    ),
    case(
        lambda w: ("post", f"/api/v1/payments/{w['payment'].pk}/apply/",
                   {"invoice": w["invoice"].pk, "amount": "5.00", "applied_date": "2026-01-09"}),
        lambda w: ("applyPayment",
                   {"data": {"payment": _id(w, "payment"), "invoice": _id(w, "invoice"),
                             "amount": "5.00", "appliedDate": "2026-01-09"}}),
        [("applied_date", "applied_before_received")],
        id="apply-before-received",
    ),
    case(
        lambda w: ("post", f"/api/v1/payments/{w['payment'].pk}/apply/",
                   {"invoice": w["void"].pk, "amount": "5.00"}),
        lambda w: ("applyPayment",
                   {"data": {"payment": _id(w, "payment"), "invoice": _id(w, "void"),
                             "amount": "5.00"}}),
        [("invoice", "invoice_not_open")],
        id="apply-to-a-void-invoice",
    ),
    # --- disputes ----------------------------------------------------------------------------
    case(
        lambda w: ("post", "/api/v1/disputes/",
                   {"invoice": w["invoice"].pk, "reason": "pricing", "amount": "100.01",
                    "opened_date": "2026-01-02"}),
        lambda w: ("openDispute",
                   {"data": {"invoice": _id(w, "invoice"), "reason": "pricing",
                             "amount": "100.01", "openedDate": "2026-01-02"}}),
        [("amount", "exceeds_invoice_amount")],
        id="dispute-more-than-the-invoice",
    ),
    case(
        lambda w: ("post", "/api/v1/disputes/",
                   {"invoice": w["draft"].pk, "reason": "pricing", "amount": "1.00",
                    "opened_date": "2026-01-02"}),
        lambda w: ("openDispute",
                   {"data": {"invoice": _id(w, "draft"), "reason": "pricing",
                             "amount": "1.00", "openedDate": "2026-01-02"}}),
        [("invoice", "invoice_not_open")],
        id="dispute-on-a-draft",
    ),
    case(
        lambda w: ("post", f"/api/v1/disputes/{w['resolved'].pk}/resolve/",
                   {"resolution": "upheld"}),
        lambda w: ("resolveDispute", {"id": _id(w, "resolved"), "data": {"resolution": "upheld"}}),
        [(None, "dispute_already_resolved")],
        id="dispute-resolved-twice",
    ),
    case(
        lambda w: ("post", f"/api/v1/disputes/{w['dispute'].pk}/resolve/",
                   {"resolution": "upheld", "resolved_date": "2026-01-04"}),
        lambda w: ("resolveDispute",
                   {"id": _id(w, "dispute"),
                    "data": {"resolution": "upheld", "resolvedDate": "2026-01-04"}}),
        [("resolved_date", "date_before_opened")],
        id="dispute-resolved-before-opened",
    ),
    case(
        lambda w: ("post", f"/api/v1/disputes/{w['dispute'].pk}/resolve/",
                   {"resolution": "upheld", "credit_amount": "5.00"}),
        lambda w: ("resolveDispute",
                   {"id": _id(w, "dispute"),
                    "data": {"resolution": "upheld", "creditAmount": "5.00"}}),
        [("credit_amount", "invalid_resolution")],
        id="dispute-upheld-with-a-credit",
    ),
    case(
        lambda w: ("post", "/api/v1/disputes/",
                   {"invoice": w["invoice"].pk, "reason": "mood", "amount": "1.00",
                    "opened_date": "2026-01-02"}),
        lambda w: ("openDispute",
                   {"data": {"invoice": _id(w, "invoice"), "reason": "mood", "amount": "1.00",
                             "openedDate": "2026-01-02"}}),
        [("reason", "invalid_reason")],
        id="dispute-unknown-reason",
    ),
    case(
        lambda w: ("post", f"/api/v1/disputes/{w['dispute'].pk}/resolve/",
                   {"resolution": "shrug"}),
        lambda w: ("resolveDispute", {"id": _id(w, "dispute"), "data": {"resolution": "shrug"}}),
        [("resolution", "invalid_resolution")],
        id="dispute-unknown-resolution",
    ),
    # --- promises ----------------------------------------------------------------------------
    case(
        lambda w: ("post", "/api/v1/promises/",
                   {"invoice": w["invoice"].pk, "promised_date": "2026-01-01",
                    "amount": "10.00", "created_date": "2026-01-05"}),
        lambda w: ("createPromise",
                   {"data": {"invoice": _id(w, "invoice"), "promisedDate": "2026-01-01",
                             "amount": "10.00", "createdDate": "2026-01-05"}}),
        [("promised_date", "promised_before_created")],
        id="promise-before-made",
    ),
    case(
        lambda w: ("post", "/api/v1/promises/",
                   {"invoice": w["void"].pk, "promised_date": "2026-02-01", "amount": "1.00",
                    "created_date": "2026-01-05"}),
        lambda w: ("createPromise",
                   {"data": {"invoice": _id(w, "void"), "promisedDate": "2026-02-01",
                             "amount": "1.00", "createdDate": "2026-01-05"}}),
        [("invoice", "invoice_not_open")],
        id="promise-on-a-void-invoice",
    ),
    case(
        lambda w: ("post", "/api/v1/promises/",
                   {"invoice": w["invoice"].pk, "promised_date": "2026-02-01",
                    "amount": "100.01", "created_date": "2026-01-05"}),
        lambda w: ("createPromise",
                   {"data": {"invoice": _id(w, "invoice"), "promisedDate": "2026-02-01",
                             "amount": "100.01", "createdDate": "2026-01-05"}}),
        [("amount", "exceeds_invoice_amount")],
        id="promise-more-than-the-invoice",
    ),
    # --- activities --------------------------------------------------------------------------
    case(
        lambda w: ("post", "/api/v1/activities/",
                   {"customer": w["other"].pk, "invoice": w["invoice"].pk, "kind": "call",
                    "occurred_at": "2026-01-09T09:00:00Z"}),
        lambda w: ("createActivity",
                   {"data": {"customer": _id(w, "other"), "invoice": _id(w, "invoice"),
                             "kind": "call", "occurredAt": "2026-01-09T09:00:00Z"}}),
        [("invoice", "customer_mismatch")],
        id="activity-on-another-customers-invoice",
    ),
    case(
        lambda w: ("post", "/api/v1/activities/",
                   {"customer": w["acme"].pk, "kind": "reminder",
                    "occurred_at": "2026-01-09T09:00:00Z", "clicked_at": "2026-01-08T09:00:00Z"}),
        lambda w: ("createActivity",
                   {"data": {"customer": _id(w, "acme"), "kind": "reminder",
                             "occurredAt": "2026-01-09T09:00:00Z",
                             "clickedAt": "2026-01-08T09:00:00Z"}}),
        [("clicked_at", "clicked_before_occurred")],
        id="activity-clicked-before-sent",
    ),
    # --- amounts: above zero (the schema states it: 400 not_positive), at most two decimals
    # (the services' invalid_amount) -----------------------------------------------------------
    case(
        lambda w: ("post", "/api/v1/orders/",
                   {"customer": w["acme"].pk, "number": "SO-1", "order_date": "2026-01-01",
                    "amount": "1.001"}),
        lambda w: ("createOrder",
                   {"data": {"customer": _id(w, "acme"), "number": "SO-1",
                             "orderDate": "2026-01-01", "amount": "1.001"}}),
        [("amount", "invalid_amount")],
        id="order-three-decimals",
    ),
    case(
        lambda w: ("post", "/api/v1/invoices/",
                   {"customer": w["acme"].pk, "number": "INV-9", "issue_date": "2026-01-10",
                    "amount": "1.001"}),
        lambda w: ("createInvoice",
                   {"data": {"customer": _id(w, "acme"), "number": "INV-9",
                             "issueDate": "2026-01-10", "amount": "1.001"}}),
        [("amount", "invalid_amount")],
        id="invoice-three-decimals",
    ),
    case(
        lambda w: ("patch", f"/api/v1/invoices/{w['draft'].pk}/", {"amount": "1.001"}),
        lambda w: ("updateInvoice", {"id": _id(w, "draft"), "data": {"amount": "1.001"}}),
        [("amount", "invalid_amount")],
        id="invoice-draft-three-decimals",
    ),
    case(
        lambda w: ("post", "/api/v1/adjustments/",
                   {"invoice": w["invoice"].pk, "kind": "credit_note", "amount": "1.001",
                    "adjustment_date": "2026-01-02"}),
        lambda w: ("addAdjustment",
                   {"data": {"invoice": _id(w, "invoice"), "kind": "credit_note",
                             "amount": "1.001", "adjustmentDate": "2026-01-02"}}),
        [("amount", "invalid_amount")],
        id="adjustment-three-decimals",
    ),
    case(
        lambda w: ("post", f"/api/v1/payments/{w['payment'].pk}/apply/",
                   {"invoice": w["invoice"].pk, "amount": "1.001"}),
        lambda w: ("applyPayment",
                   {"data": {"payment": _id(w, "payment"), "invoice": _id(w, "invoice"),
                             "amount": "1.001"}}),
        [("amount", "invalid_amount")],
        id="apply-three-decimals",
    ),
    case(
        lambda w: ("post", "/api/v1/orders/",
                   {"customer": w["acme"].pk, "number": "SO-1", "order_date": "2026-01-01",
                    "amount": "99999999999999999.00"}),
        lambda w: ("createOrder",
                   {"data": {"customer": _id(w, "acme"), "number": "SO-1",
                             "orderDate": "2026-01-01", "amount": "99999999999999999.00"}}),
        [("amount", "max_digits")],
        id="order-too-large",
    ),
    case(
        lambda w: ("post", "/api/v1/disputes/",
                   {"invoice": w["invoice"].pk, "reason": "pricing", "amount": "1.001",
                    "opened_date": "2026-01-02"}),
        lambda w: ("openDispute",
                   {"data": {"invoice": _id(w, "invoice"), "reason": "pricing",
                             "amount": "1.001", "openedDate": "2026-01-02"}}),
        [("amount", "invalid_amount")],
        id="dispute-three-decimals",
    ),
    case(
        lambda w: ("post", "/api/v1/promises/",
                   {"invoice": w["invoice"].pk, "promised_date": "2026-02-01",
                    "amount": "1.001", "created_date": "2026-01-05"}),
        lambda w: ("createPromise",
                   {"data": {"invoice": _id(w, "invoice"), "promisedDate": "2026-02-01",
                             "amount": "1.001", "createdDate": "2026-01-05"}}),
        [("amount", "invalid_amount")],
        id="promise-three-decimals",
    ),
    case(
        lambda w: ("post", "/api/v1/promises/",
                   {"invoice": w["invoice"].pk, "promised_date": "2026-02-01",
                    "amount": "0.00", "created_date": "2026-01-05"}),
        lambda w: ("createPromise",
                   {"data": {"invoice": _id(w, "invoice"), "promisedDate": "2026-02-01",
                             "amount": "0.00", "createdDate": "2026-01-05"}}),
        [("amount", "not_positive")],
        id="promise-zero",
    ),
]  # fmt: skip


def _rest(api, method: str, path: str, body: dict) -> list[tuple[str | None, str]]:
    response = getattr(api, method)(path, body, format="json")
    assert response.status_code in (400, 409, 422), response.content
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def _graphql(gql, name: str, variables: dict) -> list[tuple[str | None, str]]:
    payload = mutate(gql, name, **variables)
    assert payload.get("__typename") == "OperationInfo", payload
    return [(message["field"], message["code"]) for message in payload["messages"]]


@pytest.mark.parametrize(("rest", "mutation", "expected"), CASES)
def test_the_same_bad_write_gets_the_same_code_from_rest_and_graphql(
    api, gql, world, rest, mutation, expected
):
    # Given the world as it is
    before = snapshot()

    # When REST is sent the bad write (then the database is put back), and GraphQL the same
    savepoint = transaction.savepoint_create()
    rest_codes = _rest(api, *rest(world))
    transaction.savepoint_rollback(savepoint)
    graphql_codes = _graphql(gql, *mutation(world))

    # Then both refuse it with the expected codes on the same fields, and nothing changed
    assert rest_codes == expected
    assert graphql_codes == [
        (to_camel_case(field) if field else None, code) for field, code in expected
    ]
    assert snapshot() == before

"""Writes through the API call the services: their rules, codes and server-owned fields."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Opportunity
from receivables import services
from receivables.models import Adjustment, Dispute, Invoice, PromiseToPay
from tests.api.conftest import snapshot
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    OrderFactory,
    PaymentFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def test_create_invoice_fills_defaults_and_refuses_server_owned_fields(api, world, check_rollup):
    # Given a body that also tries to set server-owned fields
    body = {
        "customer": world.customer.pk,
        "number": "INV-77",
        "issue_date": "2026-02-01",
        "amount": "300.00",
    }
    refused = api.post(
        "/api/v1/invoices/", {**body, "open_amount": "1.00", "paid_date": "2026-02-02"}
    )
    assert refused.status_code == 400
    assert sorted((e["code"], e["field"]) for e in refused.json()["errors"]) == [
        ("unknown_field", "open_amount"),
        ("unknown_field", "paid_date"),
    ]
    assert not Invoice.objects.filter(number="INV-77").exists()

    # When it is posted without them
    response = api.post("/api/v1/invoices/", body, format="json")

    # Then the service's defaults apply and the server-owned fields are its own
    assert response.status_code == 201
    row = response.json()
    assert {k: row[k] for k in ("due_date", "rep", "currency", "status", "open_amount")} == {
        "due_date": "2026-03-03",
        "rep": world.rep.pk,
        "currency": "USD",
        "status": "open",
        "open_amount": "300.00",
    }
    assert row["paid_date"] is None
    check_rollup()


def test_issued_invoice_amount_is_immutable(api, world):
    # Given an issued invoice
    before = snapshot()

    # When a client changes its amount
    response = api.patch(f"/api/v1/invoices/{world.invoice.pk}/", {"amount": "1.00"}, format="json")

    # Then 409 with the service's code, nothing changed
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invoice_issued_immutable"
    assert response.json()["errors"][0]["field"] == "amount"
    assert snapshot() == before


def test_status_is_not_written_by_update(api, world):
    response = api.patch(f"/api/v1/invoices/{world.draft.pk}/", {"status": "paid"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_field"
    assert Invoice.objects.get(pk=world.draft.pk).status == "draft"


def test_issue_then_void_a_draft(api, world, check_rollup):
    # When the draft is issued, then voided
    issued = api.post(f"/api/v1/invoices/{world.draft.pk}/issue/")
    voided = api.post(
        f"/api/v1/invoices/{world.draft.pk}/void/", {"voided_date": "2026-02-02"}, format="json"
    )

    # Then it went open, then void with no open amount
    assert issued.json()["status"] == "open"
    assert (
        voided.json()["status"],
        voided.json()["voided_date"],
        voided.json()["open_amount"],
    ) == (
        "void",
        "2026-02-02",
        "0.00",
    )
    check_rollup()


def test_issuing_an_open_invoice_is_409(api, world):
    response = api.post(f"/api/v1/invoices/{world.invoice.pk}/issue/")

    assert response.status_code == 409
    assert response.json() == {
        "errors": [
            {
                "code": "invoice_not_draft",
                "field": None,
                "message": "Only a draft invoice can be issued.",
            }
        ]
    }


def test_delete_draft_invoice(api, world):
    response = api.delete(f"/api/v1/invoices/{world.draft.pk}/")

    assert response.status_code == 204
    assert not Invoice.objects.filter(pk=world.draft.pk).exists()


def test_delete_invoice_with_applications_is_409_protected(api, world):
    # Given cash applied to the invoice
    payment = PaymentFactory(customer=world.customer, amount=Decimal("10.00"))
    services.apply_payment(payment, world.invoice, Decimal("10.00"))
    before = snapshot()

    # When it is deleted
    response = api.delete(f"/api/v1/invoices/{world.invoice.pk}/")

    # Then 409 protected, nothing changed
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "protected"
    assert response.json()["errors"][0]["invoice"] == world.invoice.pk
    assert snapshot() == before


def test_delete_issued_invoice_is_409(api, world):
    invoice = InvoiceFactory(customer=world.customer)

    response = api.delete(f"/api/v1/invoices/{invoice.pk}/")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invoice_not_draft"


def test_adjustment_over_open_amount_is_422_with_code(api, world):
    before = snapshot()

    response = api.post(
        "/api/v1/adjustments/",
        {"invoice": world.invoice.pk, "kind": "write_off", "amount": "1000.00",
         "adjustment_date": "2026-02-01"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {
                "code": "exceeds_open_amount",
                "field": "amount",
                "message": "1000.00 is more than the open amount 90.00 of INV-1.",
            }
        ]
    }
    assert snapshot() == before


def test_adjustment_records_who_made_it(make_client, world, check_rollup):
    client = make_client("integration")

    response = client.post(
        "/api/v1/adjustments/",
        {"invoice": world.invoice.pk, "kind": "write_off", "amount": "90.00",
         "adjustment_date": "2026-02-01"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201
    adjustment = Adjustment.objects.get(pk=response.json()["id"])
    assert (
        adjustment.created_by,
        adjustment.invoice.status,
        str(adjustment.invoice.paid_date),
    ) == (
        client.user,
        "paid",
        "2026-02-01",
    )
    check_rollup()


def test_resolve_dispute_with_credit_note(api, world, check_rollup):
    response = api.post(
        f"/api/v1/disputes/{world.dispute.pk}/resolve/",
        {"resolution": "credited", "credit_amount": "20.00", "resolved_date": "2026-02-01"},
        format="json",
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["resolution"]) == ("resolved", "credited")
    world.invoice.refresh_from_db()
    assert world.invoice.open_amount == Decimal("70.00")
    check_rollup()


def test_resolving_twice_is_409(api, world):
    services.resolve_dispute(world.dispute, resolution="upheld", resolved_date=date(2026, 2, 1))
    before = snapshot()

    response = api.post(
        f"/api/v1/disputes/{world.dispute.pk}/resolve/", {"resolution": "upheld"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "dispute_already_resolved"
    assert snapshot() == before


def test_dispute_update_changes_notes_only(api, world):
    response = api.patch(
        f"/api/v1/disputes/{world.dispute.pk}/",
        {"notes": "Escalated", "amount": "1.00", "status": "resolved"},
        format="json",
    )
    notes_only = api.patch(
        f"/api/v1/disputes/{world.dispute.pk}/", {"notes": "Escalated"}, format="json"
    )

    assert response.status_code == 400
    assert sorted(e["field"] for e in response.json()["errors"]) == ["amount", "status"]
    assert notes_only.status_code == 200
    dispute = Dispute.objects.get(pk=world.dispute.pk)
    assert (dispute.notes, dispute.amount, dispute.status) == (
        "Escalated",
        Decimal("20.00"),
        "open",
    )


def test_promise_status_is_derived(api, world):
    # Given cash applied to the invoice in the promise window
    payment = PaymentFactory(
        customer=world.customer, amount=Decimal("40.00"), received_date=date(2026, 2, 3)
    )
    services.apply_payment(payment, world.invoice, Decimal("40.00"))

    # When a promise covering it is created (its status is refused as a field)
    body = {"invoice": world.invoice.pk, "created_date": "2026-02-01",
            "promised_date": "2026-02-10", "amount": "40.00"}  # fmt: skip
    refused = api.post("/api/v1/promises/", {**body, "status": "broken"}, format="json")
    assert refused.status_code == 400
    response = api.post("/api/v1/promises/", body, format="json")

    # Then it is kept already
    assert response.status_code == 201
    assert response.json()["status"] == "kept"
    assert PromiseToPay.objects.get(pk=response.json()["id"]).status == "kept"


def test_promise_before_created_is_422(api, world):
    response = api.post(
        "/api/v1/promises/",
        {"invoice": world.invoice.pk, "created_date": "2026-02-10",
         "promised_date": "2026-02-01", "amount": "40.00"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "code": "promised_before_created",
        "field": "promised_date",
        "message": "The promised date is before the promise.",
    }


def test_customer_segment_change_moves_its_ar_history(api, world, check_rollup):
    new_segment = SegmentFactory(name="Mid", code="MID")

    response = api.patch(
        f"/api/v1/customers/{world.customer.pk}/", {"segment": new_segment.pk}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["segment"], response.json()["segment_name"]) == (new_segment.pk, "Mid")
    check_rollup()


def test_credit_hold_place_and_release(api, world):
    placed = api.post(f"/api/v1/customers/{world.customer.pk}/place-credit-hold/")
    again = api.post(f"/api/v1/customers/{world.customer.pk}/place-credit-hold/")
    released = api.post(f"/api/v1/customers/{world.customer.pk}/release-credit-hold/")

    assert placed.json()["on_credit_hold"] is True
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "credit_hold_unchanged"
    assert released.json()["on_credit_hold"] is False


def test_customer_on_credit_hold_is_read_only(api, world):
    response = api.patch(
        f"/api/v1/customers/{world.customer.pk}/", {"on_credit_hold": True}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_field"
    world.customer.refresh_from_db()
    assert world.customer.on_credit_hold is False


def test_duplicate_customer_external_id_is_409(api, world):
    CustomerFactory(external_id="ERP-9")

    response = api.post(
        "/api/v1/customers/", {"name": "Dup", "external_id": "ERP-9"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "unique"


def test_activity_on_another_customers_invoice_is_422(api, world):
    other = CustomerFactory()
    before = snapshot()

    response = api.post(
        "/api/v1/activities/",
        {"customer": other.pk, "invoice": world.invoice.pk, "kind": "email",
         "occurred_at": "2026-02-01T09:00:00Z"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "code": "customer_mismatch",
            "field": "invoice",
            "message": "Invoice INV-1 belongs to another customer.",
        }
    ]
    assert snapshot() == before


def test_activity_records_creator(make_client, world):
    client = make_client("collector")

    response = client.post(
        "/api/v1/activities/",
        {"customer": world.customer.pk, "kind": "call", "occurred_at": "2026-02-01T09:00:00Z"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["created_by"] == client.user.pk


def test_deleting_a_segment_with_customers_is_409(api, world):
    response = api.delete(f"/api/v1/segments/{world.segment.pk}/")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "protected"


def test_opportunity_won_without_closed_date_is_422(api, world):
    response = api.post(
        "/api/v1/opportunities/",
        {"customer": world.customer.pk, "name": "X", "amount": "5.00", "stage": "won",
         "created_date": "2026-01-01"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "code": "closed_date_mismatch",
            "field": None,
            "message": "A won or lost opportunity needs a closed date; an open one has none.",
        }
    ]
    assert not Opportunity.objects.filter(name="X").exists()


def test_opportunity_closed_before_created_is_422(api, world):
    response = api.post(
        "/api/v1/opportunities/",
        {"customer": world.customer.pk, "name": "Y", "amount": "5.00", "stage": "lost",
         "created_date": "2026-02-01", "closed_date": "2026-01-31"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 422
    assert [e["code"] for e in response.json()["errors"]] == ["closed_before_created"]
    assert not Opportunity.objects.filter(name="Y").exists()


def test_negative_credit_limit_is_400(api, world):
    response = api.patch(
        f"/api/v1/customers/{world.customer.pk}/", {"credit_limit": "-1.00"}, format="json"
    )

    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["negative_credit_limit"]
    world.customer.refresh_from_db()
    assert world.customer.credit_limit != Decimal("-1.00")


def test_an_empty_credit_limit_is_400_not_null(api, world):
    # Found by schemathesis: DRF reads "" as null for a nullable decimal; the schema's pattern
    # (and every other decimal field) refuses it. null itself clears the limit.
    world.customer.credit_limit = Decimal("500.00")
    world.customer.save(update_fields=["credit_limit"])

    empty = api.patch(
        f"/api/v1/customers/{world.customer.pk}/", {"credit_limit": ""}, format="json"
    )
    world.customer.refresh_from_db()
    kept = world.customer.credit_limit
    cleared = api.patch(
        f"/api/v1/customers/{world.customer.pk}/", {"credit_limit": None}, format="json"
    )

    assert empty.status_code == 400
    assert [(e["field"], e["code"]) for e in empty.json()["errors"]] == [
        ("credit_limit", "invalid")
    ]
    assert kept == Decimal("500.00")
    assert cleared.status_code == 200
    assert cleared.json()["credit_limit"] is None


def test_an_empty_string_for_a_nullable_relation_is_400_invalid_type(api, world):
    # Found by schemathesis: DRF read "" as null for an order's opportunity.
    response = api.patch(f"/api/v1/customers/{world.customer.pk}/", {"segment": ""}, format="json")

    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("segment", "invalid_type")
    ]


def test_partial_update_keeps_null_names_in_the_response(api, world):
    # Given a customer whose rep is removed by a PATCH (found by schemathesis: DRF skipped
    # fields with a default on partial updates, so `rep_name` vanished from the response)
    response = api.patch(f"/api/v1/customers/{world.customer.pk}/", {"rep": None}, format="json")

    # Then the name is there, null
    assert response.status_code == 200
    assert (response.json()["rep"], response.json()["rep_name"]) == (None, None)


def test_collector_cannot_issue_a_credit_note_through_resolve(make_client, world):
    # Given a collector (writes disputes, not adjustments)
    client = make_client("collector")
    before = snapshot()

    # When it resolves with a credit note
    response = client.post(
        f"/api/v1/disputes/{world.dispute.pk}/resolve/",
        {"resolution": "credited", "credit_amount": "20.00"},
        format="json",
    )

    # Then 403, nothing changed
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {
            "code": "permission_denied",
            "field": None,
            "message": "Issuing a credit note needs the adjustment permission.",
        }
    ]
    assert snapshot() == before


def test_invoice_cannot_point_to_another_customers_order(api, world):
    # Given an order of another customer
    other_order = OrderFactory(customer=CustomerFactory())
    before = snapshot()

    # When an invoice is moved onto it
    response = api.patch(
        f"/api/v1/invoices/{world.invoice.pk}/", {"order": other_order.pk}, format="json"
    )

    # Then 422 with the create rule's code, nothing changed
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "code": "order_customer_mismatch",
            "field": "order",
            "message": "The order belongs to another customer.",
        }
    ]
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["dispute", "promise"])
def test_notes_edit_goes_through_the_service_and_never_writes_back_a_stale_row(
    api, world, monkeypatch, kind
):
    # Given a dispute / promise read by the view just before a service moved it on (the
    # dispute resolved; the promise kept once cash arrived)
    from receivables.api import views

    if kind == "dispute":
        record = world.dispute
        stale = Dispute.objects.get(pk=record.pk)
        services.resolve_dispute(record, resolution="withdrawn", resolved_date=date(2026, 2, 20))
        viewset, path = views.DisputeViewSet, f"/api/v1/disputes/{record.pk}/"
    else:
        record = services.create_promise(
            world.invoice, promised_date=date(2026, 2, 10), amount=Decimal("40.00"),
            created_date=date(2026, 2, 1),
        )  # fmt: skip
        stale = PromiseToPay.objects.get(pk=record.pk)
        payment = PaymentFactory(
            customer=world.customer, amount=Decimal("40.00"), received_date=date(2026, 2, 3)
        )
        services.apply_payment(payment, world.invoice, Decimal("40.00"))
        viewset, path = views.PromiseViewSet, f"/api/v1/promises/{record.pk}/"
    moved = type(record).objects.values().get(pk=record.pk)
    monkeypatch.setattr(viewset, "get_object", lambda self: stale)

    # When its notes are edited
    response = api.patch(path, {"notes": "Called back"}, format="json")

    # Then only the notes changed (services.update_notes, under the row's lock): the state the
    # service moved it to is kept, not overwritten with what the view had read
    assert response.status_code == 200
    row = type(record).objects.values().get(pk=record.pk)
    assert row["notes"] == "Called back"
    assert {k: v for k, v in row.items() if k not in ("notes", "updated_at")} == {
        k: v for k, v in moved.items() if k not in ("notes", "updated_at")
    }
    assert moved["status"] == ("resolved" if kind == "dispute" else "kept")

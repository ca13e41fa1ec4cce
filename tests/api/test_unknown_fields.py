"""Every REST write refuses a field it does not accept (400 `unknown_field`, naming it) and
changes nothing, instead of dropping it silently."""

import pytest

from dashboard.models import Annotation, HuddleAction
from dunning.models import CreditHold, MessageTemplate
from integrations.models import WebhookSubscription
from tests.api.conftest import snapshot
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db


def writes(world, payment):
    """(method, url, body) of every write endpoint, each body valid but for `colour`."""
    invoice, customer = world.invoice, world.customer
    return [
        ("post", "/api/v1/segments/", {"name": "SMB", "code": "SMB"}),
        ("patch", f"/api/v1/segments/{world.segment.pk}/", {"name": "Big"}),
        ("post", "/api/v1/reps/", {"name": "Bo", "email": "bo@example.com"}),
        ("patch", f"/api/v1/customers/{customer.pk}/", {"name": "Acme 2"}),
        ("patch", f"/api/v1/opportunities/{world.opportunity.pk}/", {"name": "Deal 2"}),
        ("patch", f"/api/v1/orders/{world.order.pk}/", {"status": "cancelled"}),
        ("patch", f"/api/v1/invoices/{world.draft.pk}/", {"amount": "12.00"}),
        ("post", f"/api/v1/invoices/{invoice.pk}/void/", {"voided_date": "2026-01-20"}),
        (
            "post",
            "/api/v1/adjustments/",
            {
                "invoice": invoice.pk,
                "kind": "credit_note",
                "amount": "1.00",
                "adjustment_date": "2026-01-10",
            },
        ),
        ("patch", f"/api/v1/disputes/{world.dispute.pk}/", {"notes": "Called"}),
        ("post", f"/api/v1/disputes/{world.dispute.pk}/resolve/", {"resolution": "withdrawn"}),
        ("patch", f"/api/v1/promises/{world.promise.pk}/", {"notes": "ok"}),
        ("patch", f"/api/v1/activities/{world.activity.pk}/", {"notes": "left a message"}),
        (
            "post",
            "/api/v1/payments/",
            {
                "customer": customer.pk,
                "amount": "5.00",
                "received_date": "2026-01-10",
            },
        ),
        ("patch", f"/api/v1/payments/{payment.pk}/", {"reference": "x"}),
        (
            "post",
            f"/api/v1/payments/{payment.pk}/apply/",
            {"invoice": invoice.pk, "amount": "1.00"},
        ),
    ]


@pytest.mark.parametrize("index", range(16))
def test_every_write_refuses_an_unknown_field_and_changes_nothing(api, world, index):
    # Given a valid body with one field the endpoint does not know
    payment = PaymentFactory(customer=world.customer)
    method, url, body = writes(world, payment)[index]
    before = snapshot()

    # When it is sent
    response = getattr(api, method)(url, {**body, "colour": "red"}, format="json")

    # Then it is a 400 naming that field, and nothing changed
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("unknown_field", "colour")]
    assert snapshot() == before


def test_patching_a_read_only_status_is_refused_not_ignored(api, world):
    before = snapshot()

    response = api.patch(f"/api/v1/invoices/{world.invoice.pk}/", {"status": "void"}, format="json")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["field"]) == ("unknown_field", "status")
    assert "read only" in error["message"]
    assert snapshot() == before


def test_a_remittance_line_with_an_unknown_field_is_refused(api, world):
    before = snapshot()

    response = api.post(
        "/api/v1/payments/",
        {
            "customer": world.customer.pk,
            "amount": "5.00",
            "received_date": "2026-01-10",
            "remittance": [{"invoice_number": "INV-1", "amount": "5.00", "memo": "x"}],
        },
        format="json",
    )

    assert response.status_code == 400
    assert [(e["code"], e["field"]) for e in response.json()["errors"]] == [
        ("unknown_field", "remittance[0].memo")
    ]
    assert snapshot() == before


def test_bulk_items_with_unknown_fields_are_refused_one_by_one(api, world):
    response = api.post(
        "/api/v1/payments/bulk/",
        {
            "items": [
                {"customer": world.customer.pk, "amount": "5.00", "received_date": "2026-01-10"},
                {
                    "customer": world.customer.pk,
                    "amount": "6.00",
                    "received_date": "2026-01-10",
                    "colour": "red",
                },
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error"]
    assert [(e["code"], e["field"]) for e in results[1]["errors"]] == [("unknown_field", "colour")]


HUDDLE_ACTION = {
    "title": "Call",
    "owner": "Dana",
    "due_date": "2026-05-08",
    "definition_of_done": "A promise",
    "kpi": "dso",
}


def other_writes(world):
    """(method, url, body, model) of the playbook, dashboard and webhook writes."""
    return [
        ("post", "/api/v1/annotations/", {"note_date": "2026-01-10", "text": "Promo"}, Annotation),
        (
            "post",
            "/api/v1/huddle-actions/",
            {**HUDDLE_ACTION},
            HuddleAction,
        ),
        (
            "post",
            "/api/v1/message-templates/",
            {"code": "x", "name": "X", "body": "Dear {{ customer_name }}"},
            MessageTemplate,
        ),
        ("post", "/api/v1/credit-holds/", {"customer": world.customer.pk}, CreditHold),
        (
            "post",
            "/api/v1/webhook-subscriptions/",
            {"url": "https://example.com/hook"},
            WebhookSubscription,
        ),
    ]


@pytest.mark.parametrize("index", range(5))
def test_playbook_dashboard_and_webhook_writes_refuse_an_unknown_field(api, world, index):
    # Given a valid create body with one field the endpoint does not know
    method, url, body, model = other_writes(world)[index]
    before = list(model.objects.values())

    response = getattr(api, method)(url, {**body, "colour": "red"}, format="json")

    # Then it is a 400 naming that field, and nothing was created
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("unknown_field", "colour")]
    assert list(model.objects.values()) == before
    # (and the same body without it is accepted: the field alone was the problem)
    assert getattr(api, method)(url, body, format="json").status_code == 201

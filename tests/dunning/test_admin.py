"""The dunning admin: pages answer, orders for held customers refused, overrides recorded."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.utils import timezone

from dunning import services
from dunning.models import CreditHold, CreditHoldOverride, MessageTemplate
from receivables.models import Order
from tests.admin_helpers import admin_url, form_errors, post_form, run_action
from tests.factories import CustomerFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

MODELS = [model for model in admin.site._registry if model._meta.app_label == "dunning"]
TODAY = timezone.localdate()


@pytest.fixture
def held(acme):
    due = TODAY - timedelta(days=61)
    InvoiceFactory(customer=acme, number="OLD", issue_date=due - timedelta(days=30), due_date=due)
    services.evaluate_credit_holds()
    return CreditHold.objects.get()


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_changelists_answer_200(admin_client, held, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200


def test_hold_page_shows_its_reasons(admin_client, held):
    page = admin_client.get(admin_url(CreditHold, "change", held.pk))
    assert page.status_code == 200
    assert "1 invoice more than 60 days past due (the oldest 61 days)." in page.content.decode()


def _order_form(acme, **extra):
    return {
        "number": "SO-A",
        "customer": acme.pk,
        "order_date": TODAY.isoformat(),
        "amount": "10.00",
        "currency": "USD",
        "product_line": "",
        "status": "booked",
        **extra,
    }


def test_an_order_for_a_held_customer_is_a_form_error(admin_client, acme, held):
    response = post_form(admin_client, admin_url(Order, "add"), _order_form(acme))

    assert [e["code"] for e in form_errors(response)["__all__"]] == ["customer_on_credit_hold"]
    assert Order.objects.count() == 0


def test_an_admin_override_in_the_admin_is_recorded(admin_client, admin_user, acme, held):
    response = post_form(
        admin_client,
        admin_url(Order, "add"),
        _order_form(acme, credit_hold_override_reason="Prepaid."),
    )

    assert form_errors(response) == {}
    override = CreditHoldOverride.objects.get()
    assert (override.order.number, override.user, override.reason) == (
        "SO-A",
        admin_user,
        "Prepaid.",
    )


def test_an_unknown_merge_field_is_a_form_error(admin_client):
    response = post_form(
        admin_client,
        admin_url(MessageTemplate, "add"),
        {"code": "t", "name": "T", "subject": "", "body": "Hello {{ customer }}"},
    )
    assert [e["code"] for e in form_errors(response)["body"]] == ["unknown_merge_field"]
    assert not MessageTemplate.objects.filter(code="t").exists()


def test_customer_action_evaluates_and_hold_action_lifts(admin_client, acme, held):
    other = CustomerFactory(name="Fine")
    messages = run_action(admin_client, CreditHold, "lift", [held])
    assert messages == ["1 hold lifted."]
    held.refresh_from_db()
    assert held.lifted_at is not None

    messages = run_action(admin_client, type(acme), "evaluate_credit_holds", [acme, other])
    assert messages == ["1 placed on credit hold, 0 released."]
    assert CreditHold.objects.filter(customer=acme, lifted_at__isnull=True).count() == 1

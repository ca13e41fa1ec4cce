"""The dunning admin: pages answer, orders for held customers refused, overrides recorded."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.utils import timezone

from dunning import services
from dunning.models import (
    CreditHold,
    CreditHoldOverride,
    CreditHoldRule,
    MessageTemplate,
    PlaybookStep,
)
from receivables import services as receivables_services
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


def test_a_playbook_step_and_its_channel_rule_are_edited_in_the_admin(admin_client):
    step = PlaybookStep.objects.get(code="call-15")
    url = admin_url(PlaybookStep, "change", step.pk)
    data = {
        "code": "call-15",
        "name": "Call at 14 days past due",
        "offset_days": "14",
        "channel": "call",
        "template": step.template_id,
        "challenger_template": "",
        "active": "on",
    }
    page = admin_client.get(url)
    [inline] = page.context["inline_admin_formsets"]
    prefix = inline.formset.prefix
    data |= {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-position": "1",
        f"{prefix}-0-currency": "USD",
        f"{prefix}-0-min_open_amount": "10000.00",
        f"{prefix}-0-channel": "rep",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, form_errors(response)
    step.refresh_from_db()
    assert (step.name, step.offset_days) == ("Call at 14 days past due", 14)
    assert list(step.channel_rules.values_list("currency", "min_open_amount", "channel")) == [
        ("USD", Decimal("10000.00"), "rep")
    ]


def test_two_active_steps_on_the_same_day_are_a_form_error(admin_client):
    step = PlaybookStep.objects.get(code="call-15")
    response = post_form(
        admin_client,
        admin_url(PlaybookStep, "change", step.pk),
        {"code": "call-15", "name": "Call", "offset_days": "30", "channel": "call",
         "template": step.template_id, "challenger_template": "", "active": "on"},
    )  # fmt: skip

    assert [e["code"] for e in form_errors(response)["__all__"]] == ["duplicate_offset"]
    step.refresh_from_db()
    assert step.offset_days == 15


def test_a_credit_hold_rule_is_edited_in_the_admin_and_its_action_evaluates(admin_client, acme):
    rule = CreditHoldRule.objects.get(code="overdue_invoice")
    due = TODAY - timedelta(days=31)
    InvoiceFactory(customer=acme, number="LATE", issue_date=due - timedelta(days=30), due_date=due)

    response = post_form(
        admin_client,
        admin_url(CreditHoldRule, "change", rule.pk),
        {"code": "overdue_invoice", "days_past_due": "30", "broken_promises": "",
         "window_days": "", "active": "on"},
    )  # fmt: skip
    assert form_errors(response) == {}
    messages = run_action(admin_client, CreditHoldRule, "evaluate", [rule])

    assert messages[-1] == "Credit holds: 1 placed, 0 lifted, 1 reason added, 0 cleared."
    assert services.current_hold(acme).reasons.get().detail == (
        "1 invoice more than 30 days past due (the oldest 31 days)."
    )


def test_a_rule_without_its_parameter_is_a_form_error(admin_client):
    rule = CreditHoldRule.objects.get(code="broken_promises")
    response = post_form(
        admin_client,
        admin_url(CreditHoldRule, "change", rule.pk),
        {"code": "broken_promises", "days_past_due": "", "broken_promises": "",
         "window_days": "90", "active": "on"},
    )  # fmt: skip

    assert [e["code"] for e in form_errors(response)["broken_promises"]] == ["required"]
    rule.refresh_from_db()
    assert rule.broken_promises == 2


def test_moving_an_order_to_a_held_customer_is_a_form_error(admin_client, acme, held):
    other = CustomerFactory(name="Fine", currency="USD")
    order = receivables_services.create_order(
        customer=other, number="SO-M", order_date=TODAY, amount=Decimal("10.00")
    )

    response = post_form(
        admin_client, admin_url(Order, "change", order.pk), _order_form(acme, number="SO-M")
    )

    assert [e["code"] for e in form_errors(response)["__all__"]] == ["customer_on_credit_hold"]
    order.refresh_from_db()
    assert order.customer_id == other.pk

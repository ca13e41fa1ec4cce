"""The integrations admin: the job schedule (edit, "run now"), webhook subscriptions saved
through the service, the delivery log's redeliver action (issue 18)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Customer
from integrations import webhooks
from integrations.models import Event, ScheduledJob, WebhookDelivery, WebhookSubscription
from receivables.models import Order
from tests.admin_helpers import admin_url, form_errors, run_action
from tests.factories import CustomerFactory, InvoiceFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_run_now_makes_the_selected_jobs_due(admin_client):
    later = timezone.now() + timedelta(days=1)
    ScheduledJob.objects.update(next_run_at=later)
    job = ScheduledJob.objects.order_by("name").first()

    messages = run_action(admin_client, ScheduledJob, "run_now", [job])

    job.refresh_from_db()
    assert messages == ["The worker will run them within seconds."]
    assert job.next_run_at <= timezone.now()
    assert ScheduledJob.objects.exclude(pk=job.pk).filter(next_run_at=later).count() == (
        ScheduledJob.objects.count() - 1
    )


def test_the_schedule_is_edited_in_the_list_and_jobs_are_not_added(admin_client):
    job = ScheduledJob.objects.order_by("name").first()
    jobs = list(ScheduledJob.objects.order_by("name"))
    data = {
        "form-TOTAL_FORMS": str(len(jobs)),
        "form-INITIAL_FORMS": str(len(jobs)),
        "_save": "Save",
    }
    for n, each in enumerate(jobs):
        data |= {
            f"form-{n}-id": each.pk,
            f"form-{n}-enabled": "on" if each.pk != job.pk else "",
            f"form-{n}-interval_seconds": 7 if each.pk == job.pk else each.interval_seconds,
            f"form-{n}-next_run_at_0": each.next_run_at.date().isoformat(),
            f"form-{n}-next_run_at_1": each.next_run_at.time().strftime("%H:%M:%S"),
        }

    response = admin_client.post(admin_url(ScheduledJob, "changelist"), data)

    job.refresh_from_db()
    assert response.status_code == 302, response.content[:500]
    assert (job.enabled, job.interval_seconds) == (False, 7)
    assert admin_client.get(admin_url(ScheduledJob, "add")).status_code == 403


def test_a_subscription_added_in_the_admin_goes_through_the_service(admin_client, admin_user):
    url = admin_url(WebhookSubscription, "add")
    fields = {"url": "https://erp.example.com/hook", "description": "", "secret": "s"}

    refused = admin_client.post(url, {**fields, "event_types": '["no.such"]'})
    added = admin_client.post(url, {**fields, "event_types": '["invoice.paid", "invoice.issued"]'})

    assert form_errors(refused) == {
        "event_types": [{"message": "Unknown event type 'no.such'.", "code": "unknown_event_type"}]
    }
    assert form_errors(added) == {}
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["invoice.issued", "invoice.paid"]  # the service's order
    assert subscription.owner == admin_user


def test_the_delivery_log_redelivers_the_selected_deliveries(admin_client):
    webhooks.save_subscription(url="http://127.0.0.1:9/hook")
    InvoiceFactory(customer=CustomerFactory())
    webhooks.dispatch()
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED, attempts=10, next_attempt_at=None
    )

    messages = run_action(admin_client, WebhookDelivery, "redeliver", [delivery])

    delivery.refresh_from_db()
    assert messages == ["1 delivery will be sent again."]
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 0)
    assert delivery.next_attempt_at <= timezone.now()


@pytest.mark.parametrize("how", ["page", "action"])
def test_customers_and_orders_deleted_in_the_admin_leave_tombstones(admin_client, how):
    customer = CustomerFactory(name="Typo Ltd")
    order = OrderFactory(customer=CustomerFactory(), number="SO-T")
    start = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0

    for obj in (order, customer):
        if how == "page":
            response = admin_client.post(admin_url(type(obj), "delete", obj.pk), {"post": "yes"})
            assert response.status_code == 302
        else:
            response = admin_client.post(
                admin_url(type(obj), "changelist"),
                {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
            )
            assert response.status_code == 302

    assert list(
        Event.objects.filter(id__gt=start)
        .order_by("id")
        .values_list("type", "object_type", "object_id")
    ) == [
        ("record.deleted", "order", str(order.pk)),
        ("record.deleted", "customer", str(customer.pk)),
    ]
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Order.objects.filter(pk=order.pk).exists()

"""Object-level scoping in the admin (accounts.scoping): every registered admin of a
customer-bound model, from the admin registry, narrows its pages for a scoped staff user."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from accounts.models import CustomerAssignment
from accounts.scoping import SCOPED_GROUP, customer_path
from dashboard.views import HEADLINE
from metrics import engine
from metrics.scope import build_scope
from tests.admin_helpers import admin_url
from tests.api.test_scoping import books, customer_book  # noqa: F401 (fixtures)
from tests.factories import InvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db

CUSTOMER_BOUND = [model for model in admin.site._registry if customer_path(model) is not None]
# The audit trail's lists (django-simple-history's historical models) and the event log and
# webhook deliveries (many rows per customer) are tested below, on their own.
HISTORY_ADMINS = [model for model in CUSTOMER_BOUND if hasattr(model, "instance_type")]
FEED_ADMINS = [model for model in CUSTOMER_BOUND if model._meta.app_label == "integrations"]
SCOPED_ADMINS = [m for m in CUSTOMER_BOUND if m not in HISTORY_ADMINS and m not in FEED_ADMINS]
# Book rows by model label.
KEYS = {
    "accounts.customer": "customer",
    "accounts.opportunity": "opportunity",
    "receivables.order": "order",
    "receivables.invoice": "invoice",
    "receivables.adjustment": "adjustment",
    "receivables.payment": "payment",
    "receivables.paymentapplication": "application",
    "receivables.dispute": "dispute",
    "receivables.promisetopay": "promise",
    "receivables.collectionactivity": "activity",
    "dunning.playbookaction": "playbook-action",
    "dunning.credithold": "credit-hold",
}


def test_every_customer_bound_admin_is_tested():
    assert {model._meta.label_lower for model in SCOPED_ADMINS} == set(KEYS)
    assert {model.instance_type._meta.label_lower for model in HISTORY_ADMINS} == {
        "accounts.customer", "receivables.invoice", "receivables.adjustment",
        "receivables.payment", "receivables.paymentapplication", "receivables.dispute",
        "receivables.promisetopay",
    }  # fmt: skip
    assert {model._meta.label_lower for model in FEED_ADMINS} == {
        "integrations.event",
        "integrations.webhookdelivery",
    }


@pytest.fixture
def scoped_staff(client, books):  # noqa: F811
    user = UserFactory(username="scoped-staff", role="admin")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    CustomerAssignment.objects.create(user=user, customer=books["assigned"].customer)
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", SCOPED_ADMINS, ids=lambda m: m._meta.label_lower)
def test_scoped_staff_see_only_their_customers_rows(scoped_staff, books, model):  # noqa: F811
    key = KEYS[model._meta.label_lower]
    mine, theirs = books["assigned"].rows[key], books["theirs"].rows[key]

    changelist = scoped_staff.get(admin_url(model, "changelist"))
    other = scoped_staff.get(admin_url(model, "change", theirs.pk))

    assert changelist.status_code == 200
    assert [obj.pk for obj in changelist.context["cl"].result_list] == [mine.pk]
    assert other.status_code == 302  # Django's "does not exist" redirect to the admin index
    assert scoped_staff.get(admin_url(model, "change", mine.pk)).status_code == 200


@pytest.mark.parametrize("model", HISTORY_ADMINS, ids=lambda m: m._meta.label_lower)
def test_scoped_staff_see_only_their_customers_history(scoped_staff, books, model):  # noqa: F811
    key = KEYS[model.instance_type._meta.label_lower]
    mine, theirs = books["assigned"].rows[key], books["theirs"].rows[key]
    their_version = model.objects.filter(id=theirs.pk).first()

    changelist = scoped_staff.get(admin_url(model, "changelist"))
    other = scoped_staff.get(admin_url(model, "change", their_version.pk))

    assert changelist.status_code == 200
    assert {row.id for row in changelist.context["cl"].result_list} == {mine.pk}
    assert other.status_code == 302


@pytest.mark.parametrize("model", HISTORY_ADMINS, ids=lambda m: m._meta.label_lower)
def test_scoped_staff_cannot_open_another_customers_history_pages(scoped_staff, books, model):  # noqa: F811
    audited = model.instance_type
    key = KEYS[audited._meta.label_lower]
    mine, theirs = books["assigned"].rows[key], books["theirs"].rows[key]
    my_version = model.objects.filter(id=mine.pk).first()
    their_version = model.objects.filter(id=theirs.pk).first()

    assert scoped_staff.get(admin_url(audited, "history", theirs.pk)).status_code == 404
    assert (
        scoped_staff.get(
            admin_url(audited, "simple_history", theirs.pk, their_version.pk)
        ).status_code
        == 404
    )
    assert scoped_staff.get(admin_url(audited, "history", mine.pk)).status_code == 200
    assert (
        scoped_staff.get(admin_url(audited, "simple_history", mine.pk, my_version.pk)).status_code
        == 200
    )


def test_scoped_staff_see_only_their_customers_events_and_deliveries(scoped_staff, books):  # noqa: F811
    from integrations import webhooks
    from integrations.models import Event, WebhookDelivery, WebhookSubscription

    user = scoped_staff.get("/admin/").wsgi_request.user
    own = webhooks.save_subscription(url="https://mine.example.com/", owner=user)
    webhooks.save_subscription(url="https://all.example.com/")
    webhooks.dispatch()
    mine = books["assigned"].customer

    events = scoped_staff.get(admin_url(Event, "changelist"))
    deliveries = scoped_staff.get(admin_url(WebhookDelivery, "changelist"))
    subscriptions = scoped_staff.get(admin_url(WebhookSubscription, "changelist"))
    their_event = Event.objects.filter(customer=books["theirs"].customer).first()

    assert {e.customer_id for e in events.context["cl"].result_list} == {mine.pk}
    assert len(events.context["cl"].result_list) == Event.objects.filter(customer=mine).count()
    assert {d.subscription_id for d in deliveries.context["cl"].result_list} == {own.pk}
    assert {d.event.customer_id for d in deliveries.context["cl"].result_list} == {mine.pk}
    assert [s.pk for s in subscriptions.context["cl"].result_list] == [own.pk]
    assert scoped_staff.get(admin_url(Event, "change", their_event.pk)).status_code == 302


def test_scoped_staffs_headline_is_the_headline_of_their_customers(scoped_staff, books):  # noqa: F811
    # Each book: an invoice of 100.00 issued 1 Jan 2026, 75.00 of it open; and now one more
    # each in the headline's month (the last full one).
    start = build_scope().start
    for name, amount in (("assigned", "300.00"), ("theirs", "7000.00")):
        InvoiceFactory(customer=books[name].customer, issue_date=start, amount=Decimal(amount))
    mine = engine.summary(build_scope(customer=books["assigned"].customer.pk), HEADLINE)

    headline = scoped_staff.get("/admin/").context["headline"]

    assert [t.raw for t in headline["tiles"]] == [mine.kpis[key] for key in HEADLINE]
    assert headline["tiles"][0].raw.value == Decimal("375.00")


def test_scoped_staff_work_the_worklist_of_their_customers(scoped_staff, books):  # noqa: F811
    page = scoped_staff.get("/admin/worklist/riskmodel/worklist/", {"as_of": "2026-01-25"})

    assert page.status_code == 200
    lines = [row["item"] for row in page.context["rows"]]
    assert [line.invoice_id for line in lines] == [books["assigned"].rows["invoice"].pk]

"""The admin site: the index's headline KPIs and links, the sentences admin messages use, and
every changelist (all apps) at a fixed number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Customer
from dashboard import demo as dashboard_demo
from dashboard import stored
from dashboard.views import HEADLINE
from dunning import services as dunning
from dunning.models import PaymentLink
from metrics import engine
from metrics.scope import Scope, build_scope
from o2c_api.admin import SENTENCES, error_text, person_error
from receivables import demo, services
from receivables.errors import ErrorCode
from tests.admin_helpers import admin_url
from tests.factories import CustomerFactory, InvoiceFactory, UserFactory
from worklist import risk

pytestmark = pytest.mark.django_db


def test_index_shows_the_headline_kpis_with_their_status(admin_client):
    start = build_scope().start
    InvoiceFactory(
        customer=CustomerFactory(payment_terms_days=30), issue_date=start, amount=Decimal("1000")
    )

    response = admin_client.get("/admin/")

    headline = response.context["headline"]
    summary = engine.summary(build_scope(), HEADLINE)
    assert [tile.key for tile in headline["tiles"]] == list(HEADLINE)
    assert [(t.raw.value, t.status) for t in headline["tiles"]] == [
        (summary.kpis[key].value, summary.kpis[key].status) for key in HEADLINE
    ]
    ar_balance = headline["tiles"][0]
    assert (ar_balance.value, ar_balance.status_label) == ("1,000.00 USD", "No target")
    html = response.content.decode()
    assert '<li class="tile status-none" id="kpi-ar_balance">' in html
    assert '<a class="label" href="/dashboard/kpis/ar_balance/">AR balance</a>' in html
    assert '<span class="value">1,000.00 USD</span>' in html


def test_index_links_the_dashboard_and_the_worklist(admin_client):
    html = admin_client.get("/admin/").content.decode()

    assert (
        '<a href="/dashboard/">Open the dashboard</a> ·\n'
        '     <a href="/admin/worklist/riskmodel/worklist/">Collections worklist</a> ·\n'
        '     <a href="/api/v1/worklist/">Worklist API</a>'
    ) in html


def test_index_without_the_kpi_permission_has_links_but_no_numbers(client):
    staff = UserFactory(username="staff-only")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "headline" not in response.context
    assert 'href="/dashboard/"' in response.content.decode()


def test_index_queries_do_not_grow_with_rows(admin_client):
    demo.seed(customers=2, seed=5, months=14, invoices_per_customer=8)
    admin_client.get("/admin/")
    with CaptureQueriesContext(connection) as small:
        admin_client.get("/admin/")
    demo.flush()
    demo.seed(customers=8, seed=5, months=14, invoices_per_customer=8)

    with CaptureQueriesContext(connection) as large:
        admin_client.get("/admin/")

    assert len(large) == len(small)


def test_messages_are_sentences_without_codes():
    refusal = ValidationError(
        {
            "amount": ValidationError("Must be greater than zero.", ErrorCode.NOT_POSITIVE),
            "__all__": ValidationError("Something else.", "no_sentence_for_this"),
        }
    )

    assert error_text(refusal) == "Amount: Enter an amount greater than zero. Something else."
    assert error_text(
        ValidationError("Acme is already on credit hold.", "credit_hold_unchanged")
    ) == ("Acme is already on credit hold.")
    kept = person_error(refusal)
    assert [(e.code, e.message) for e in kept.error_dict["amount"]] == [
        ("not_positive", "Enter an amount greater than zero.")
    ]


def test_every_sentence_is_for_a_code_the_services_raise():
    from accounts.errors import ErrorCode as AccountCode
    from dunning.errors import ErrorCode as DunningCode
    from o2c_api.errors import ErrorCode as CommonCode

    codes = {*ErrorCode, *AccountCode, *DunningCode, *CommonCode}
    assert set(SENTENCES) <= codes
    assert all(text.endswith(".") and "_" not in text for text in SENTENCES.values())


def seed(customers: int) -> None:
    """Rows for every admin list: the demo book, dunning's actions and holds, the dashboard's
    notes, huddle actions and stored panels, API tokens."""
    from rest_framework.authtoken.models import Token

    demo.seed(customers=customers, seed=5, months=14, invoices_per_customer=8)
    dashboard_demo.seed(services.today())
    for n in range(customers):
        Token.objects.get_or_create(user=UserFactory(username=f"token-user-{customers}-{n}"))
    dunning.run_playbook(as_of=services.today() - timedelta(days=1))
    for customer in Customer.objects.order_by("pk")[: customers // 2]:
        PaymentLink.objects.create(customer=customer, url=f"https://pay.example.com/{customer.pk}")
        dunning.place_hold(customer, note="Seeded.")
        day = services.today()
        stored.compute_risk_bands(
            Scope(start=day, end=day, currency=customer.currency, customer=customer.pk),
            risk.DEFAULT_MODEL,
        )


OTHER_APPS = ("auth", "authtoken", "dashboard", "dunning", "worklist")
MODELS = [model for model in admin.site._registry if model._meta.app_label in OTHER_APPS]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label_lower)
def test_other_changelists_queries_do_not_grow_with_rows(admin_client, model):
    """tests/test_admin.py pins accounts, receivables and metrics; these are the rest."""
    seed(2)
    url = admin_url(model, "changelist")
    admin_client.get(url)  # warm the session and content types
    with CaptureQueriesContext(connection) as small:
        admin_client.get(url)
    small_count = model.objects.count()
    demo.flush()
    seed(6)

    with CaptureQueriesContext(connection) as large:
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(large) == len(small)
    configuration = ("riskmodel", "creditholdrule", "group", "playbookstep", "messagetemplate")
    if model._meta.model_name not in configuration:
        assert model.objects.count() > small_count

"""Every model's admin pages answer 200 for a superuser, at a constant number of queries."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.models import Threshold
from receivables import demo
from tests.admin_helpers import admin_url

pytestmark = pytest.mark.django_db

APPS = ("accounts", "receivables", "metrics")
# API tokens, assignments and the audit trail have their own admin tests
# (tests/accounts/test_create_token.py, tests/api/test_scoping.py, tests/test_audit.py): the
# demo seeds none of them.
MODELS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in APPS
    and model._meta.model_name not in ("apitoken", "customerassignment")
    and not model._meta.model_name.startswith("historical")
]


def seed(customers: int) -> None:
    demo.seed(customers=customers, seed=5, months=18, invoices_per_customer=8)
    Threshold.objects.get_or_create(
        kpi="dso",
        segment=None,
        defaults={"better": "lower", "green_boundary": Decimal(40), "red_boundary": Decimal(60)},
    )


def test_every_domain_model_is_registered():
    names = sorted(model._meta.model_name for model in MODELS)

    assert names == [
        "adjustment",
        "collectionactivity",
        "customer",
        "dispute",
        "invoice",
        "kpirollup",
        "opportunity",
        "order",
        "payment",
        "paymentapplication",
        "promisetopay",
        "salesrep",
        "segment",
        "threshold",
    ]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_change_and_add_pages_answer_200(admin_client, model):
    seed(3)
    obj = model.objects.order_by("pk").first()

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "1"}).status_code == 200
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    add = admin_client.get(admin_url(model, "add")).status_code
    assert add == (403 if model._meta.model_name == "kpirollup" else 200)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model):
    seed(2)
    admin_client.get(admin_url(model, "changelist"))  # warm the session and content types
    with CaptureQueriesContext(connection) as small:
        admin_client.get(admin_url(model, "changelist"))
    demo.flush()
    seed(8)

    with CaptureQueriesContext(connection) as large:
        admin_client.get(admin_url(model, "changelist"))

    assert model.objects.count() > 0
    assert len(large) == len(small)

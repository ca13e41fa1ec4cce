"""The panels kept for the dashboard (`dashboard.stored`): the cash forecast and the risk bands,
read when recent, computed when not, refreshed by the worker's job, shown read-only in the
admin."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.scoping import SCOPED_GROUP
from dashboard import stored
from dashboard.models import StoredPanel
from integrations.jobs import JOBS
from metrics.scope import Scope
from outlook import forecast
from tests.factories import CustomerFactory, InvoiceFactory, SalesRepFactory, UserFactory
from tests.metrics.conftest import D, pay
from tests.outlook.conftest import A, book  # noqa: F401 - the fixture
from worklist import engine as worklist
from worklist import risk
from worklist.models import RiskModel

pytestmark = pytest.mark.django_db


def usd(**filters) -> Scope:
    return Scope(start=A, end=A, currency="USD", **filters)


def on(day):
    return mock.patch("dashboard.stored.today", return_value=day)


def bands_of(scope: Scope) -> worklist.RiskBands:
    return worklist.risk_bands(scope, A, model=risk.DEFAULT_MODEL)


def test_the_first_view_computes_and_stores_the_next_reads_it(book):  # noqa: F811
    first = stored.forecast_for(usd())
    with CaptureQueriesContext(connection) as queries:
        second = stored.forecast_for(usd())

    assert first.value == forecast.cash_forecast(usd())
    assert second == first
    assert len(queries) == 1
    row = StoredPanel.objects.get()
    assert (row.kind, row.scope_key, row.as_of, row.params) == (
        "forecast",
        "currency=USD&weeks=13",
        A,
        {"weeks": 13},
    )
    assert row.result["open_ar"] == "3500.00"
    assert row.result["weeks"][0]["expected"] == "1100.00"
    assert row.computed_at == first.computed_at


def test_risk_bands_are_kept_like_the_forecast(book):  # noqa: F811
    first = stored.risk_bands_for(usd(), risk.DEFAULT_MODEL)
    with CaptureQueriesContext(connection) as queries:
        second = stored.risk_bands_for(usd(), risk.DEFAULT_MODEL)

    # X, Y (600.00 open after its credit), Z, P and W: 3500.00 in five invoices.
    assert first.value == bands_of(usd())
    assert (first.value.invoice_count, first.value.open_amount) == (5, D("3500.00"))
    assert second == first
    assert len(queries) == 1
    row = StoredPanel.objects.get()
    assert (row.kind, row.scope_key, row.params) == (
        "risk_bands",
        "currency=USD&model=0",
        {"model": 0},
    )
    assert row.result == {
        "bands": [[b.invoice_count, str(b.open_amount)] for b in first.value.bands]
    }


def test_a_new_risk_model_has_its_own_bands(book):  # noqa: F811
    stored.risk_bands_for(usd(), risk.DEFAULT_MODEL)
    fitted = RiskModel.objects.create(
        fitted_at=timezone.now(),
        late_share=0.5,
        intercept=-4.0,
        coefficients={},
        training_start=A - timedelta(days=365),
        training_end=A,
        training_rows=10,
    )
    model = risk.current_model()
    assert model.id == fitted.pk

    bands = stored.risk_bands_for(usd(), model).value

    # Every factor weighs 0: every score is 100 / (1 + e^4) = 1.8, all in the lowest band.
    assert [(b.invoice_count, b.open_amount) for b in bands.bands][0] == (5, D("3500.00"))
    assert bands == worklist.risk_bands(usd(), A, model=model)
    assert sorted(StoredPanel.objects.values_list("scope_key", flat=True)) == [
        "currency=USD&model=0",
        f"currency=USD&model={fitted.pk}",
    ]


def test_a_stored_panel_is_shown_until_it_is_older_than_the_maximum_age(
    book,  # noqa: F811
    settings,
):
    settings.O2C_PANEL_MAX_AGE_SECONDS = 600
    before = stored.forecast_for(usd())
    bands_before = stored.risk_bands_for(usd(), risk.DEFAULT_MODEL)
    # X (1000.00, due A+5) paid in full on A: open AR drops by 1000.00.
    pay(book.x, 1000, A)

    kept = stored.forecast_for(usd())
    bands_kept = stored.risk_bands_for(usd(), risk.DEFAULT_MODEL)
    StoredPanel.objects.update(computed_at=timezone.now() - timedelta(seconds=601))
    recomputed = stored.forecast_for(usd())
    bands_recomputed = stored.risk_bands_for(usd(), risk.DEFAULT_MODEL)

    assert (before.value.open_ar, kept.value.open_ar) == (D("3500.00"), D("3500.00"))
    assert kept.computed_at == before.computed_at
    assert recomputed.value.open_ar == D("2500.00")
    assert recomputed.value == forecast.cash_forecast(usd())
    assert bands_kept == bands_before
    assert (bands_recomputed.value.invoice_count, bands_recomputed.value.open_amount) == (
        4,
        D("2500.00"),
    )
    assert bands_recomputed.value == bands_of(usd())
    assert StoredPanel.objects.count() == 2


def test_each_scope_and_horizon_is_its_own_panel(book):  # noqa: F811
    rep = SalesRepFactory()
    stored.forecast_for(usd())
    stored.forecast_for(usd(rep=rep.pk), 6)
    stored.forecast_for(usd(customers_of=7, product_line="Widgets"))
    stored.risk_bands_for(usd(rep=rep.pk), risk.DEFAULT_MODEL)

    assert sorted(StoredPanel.objects.values_list("kind", "scope_key")) == [
        ("forecast", "currency=USD&product_line=Widgets&customers_of=7&weeks=13"),
        ("forecast", f"currency=USD&rep={rep.pk}&weeks=6"),
        ("forecast", "currency=USD&weeks=13"),
        ("risk_bands", f"currency=USD&rep={rep.pk}&model=0"),
    ]
    empty = stored.forecast_for(usd(rep=rep.pk), 6).value
    assert (empty.open_ar, len(empty.weeks)) == (D("0"), 6)
    assert stored.risk_bands_for(usd(rep=rep.pk), risk.DEFAULT_MODEL).value.invoice_count == 0


def test_the_job_computes_the_default_scopes_before_they_expire_and_purges_past_days(
    book,  # noqa: F811
    settings,
):
    settings.O2C_PANEL_MAX_AGE_SECONDS = 600
    InvoiceFactory(customer=CustomerFactory(currency="EUR"), amount=D(50))
    rep = SalesRepFactory()
    viewed = stored.forecast_for(usd(rep=rep.pk))  # a rep's, viewed today
    old = stored.compute_forecast(
        Scope(start=A - timedelta(days=1), end=A - timedelta(days=1), currency="USD")
    )
    StoredPanel.objects.update(computed_at=timezone.now() - timedelta(seconds=301))

    with on(A):
        # Everything in USD and in EUR, a forecast and risk bands each; the rep's is computed
        # by its next view.
        assert JOBS["refresh_panels"]() == "4 panels computed, 1 of past days deleted"

    rows = dict(StoredPanel.objects.values_list("scope_key", "computed_at"))
    assert sorted(rows) == [
        "currency=EUR&model=0",
        "currency=EUR&weeks=13",
        "currency=USD&model=0",
        f"currency=USD&rep={rep.pk}&weeks=13",
        "currency=USD&weeks=13",
    ]
    assert rows.pop(f"currency=USD&rep={rep.pk}&weeks=13") < viewed.computed_at
    assert all(at > old.computed_at for at in rows.values())
    assert StoredPanel.objects.get(scope_key="currency=EUR&weeks=13").result["open_ar"] == ("50.00")
    eur = StoredPanel.objects.get(scope_key="currency=EUR&model=0").result["bands"]
    assert [band for band in eur if band[0]] == [[1, "50.00"]]
    with on(A):
        assert JOBS["refresh_panels"]() == "0 panels computed, 0 of past days deleted"


def admin_client(user, scoped: bool = False) -> Client:
    user.is_staff = True
    user.save()
    if scoped:
        user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_lists_shows_and_computes_again_but_never_edits(book):  # noqa: F811
    stored.forecast_for(usd())
    stored.risk_bands_for(usd(), risk.DEFAULT_MODEL)
    rows = list(StoredPanel.objects.order_by("kind"))
    StoredPanel.objects.update(computed_at=timezone.now() - timedelta(hours=1))
    admin = admin_client(UserFactory(username="admin-panels", role="admin"))

    listing = admin.get("/admin/dashboard/storedpanel/?q=USD")
    page = admin.get(f"/admin/dashboard/storedpanel/{rows[0].pk}/change/")
    add = admin.get("/admin/dashboard/storedpanel/add/")
    posted = admin.post(
        "/admin/dashboard/storedpanel/",
        {"action": "compute_again", "_selected_action": [row.pk for row in rows]},
        follow=True,
    )

    assert listing.status_code == 200
    assert "currency=USD&amp;weeks=13" in listing.content.decode()
    assert "currency=USD&amp;model=0" in listing.content.decode()
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert add.status_code == 403
    assert "2 panels computed." in posted.content.decode()
    assert StoredPanel.objects.count() == 2
    assert all(
        at > timezone.now() - timedelta(minutes=1)
        for at in StoredPanel.objects.values_list("computed_at", flat=True)
    )


def test_a_user_limited_to_their_customers_sees_only_their_panels_in_the_admin(
    book,  # noqa: F811
):
    own = UserFactory(username="own-panels", role="admin")
    client = admin_client(own, scoped=True)
    stored.forecast_for(usd())
    stored.forecast_for(usd(customers_of=own.pk))

    listing = client.get("/admin/dashboard/storedpanel/")

    assert [row.scope_key for row in listing.context["cl"].result_list] == [
        f"currency=USD&customers_of={own.pk}&weeks=13"
    ]

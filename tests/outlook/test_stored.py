"""The forecasts kept for the dashboard (`outlook.stored`): read when recent, computed when
not, refreshed by the worker's job, shown read-only in the admin."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.scoping import SCOPED_GROUP
from integrations.jobs import JOBS
from metrics.scope import Scope
from outlook import forecast, stored
from outlook.models import StoredForecast
from tests.factories import CustomerFactory, InvoiceFactory, SalesRepFactory, UserFactory
from tests.metrics.conftest import D, pay
from tests.outlook.conftest import A

pytestmark = pytest.mark.django_db


def usd(**filters) -> Scope:
    return Scope(start=A, end=A, currency="USD", **filters)


def on(day):
    return mock.patch("outlook.stored.today", return_value=day)


def test_the_first_view_computes_and_stores_the_next_reads_it(book):
    first = stored.forecast_for(usd())
    with CaptureQueriesContext(connection) as queries:
        second = stored.forecast_for(usd())

    assert first.forecast == forecast.cash_forecast(usd())
    assert second == first
    assert len(queries) == 1
    row = StoredForecast.objects.get()
    assert (row.scope_key, row.as_of, row.weeks) == ("currency=USD&weeks=13", A, 13)
    assert row.result["open_ar"] == "3500.00"
    assert row.result["weeks"][0]["expected"] == "1100.00"
    assert row.computed_at == first.computed_at


def test_a_stored_forecast_is_shown_until_it_is_older_than_the_maximum_age(book, settings):
    settings.O2C_FORECAST_MAX_AGE_SECONDS = 600
    before = stored.forecast_for(usd())
    # X (1000.00, due A+5) paid in full on A: open AR drops by 1000.00.
    pay(book.x, 1000, A)

    kept = stored.forecast_for(usd())
    StoredForecast.objects.update(computed_at=timezone.now() - timedelta(seconds=601))
    recomputed = stored.forecast_for(usd())

    assert (before.forecast.open_ar, kept.forecast.open_ar) == (D("3500.00"), D("3500.00"))
    assert kept.computed_at == before.computed_at
    assert recomputed.forecast.open_ar == D("2500.00")
    assert recomputed.forecast == forecast.cash_forecast(usd())
    assert StoredForecast.objects.count() == 1


def test_each_scope_and_horizon_is_its_own_forecast(book):
    rep = SalesRepFactory()
    stored.forecast_for(usd())
    stored.forecast_for(usd(rep=rep.pk), 6)
    stored.forecast_for(usd(customers_of=7, product_line="Widgets"))

    assert sorted(StoredForecast.objects.values_list("scope_key", flat=True)) == [
        "currency=USD&product_line=Widgets&customers_of=7&weeks=13",
        f"currency=USD&rep={rep.pk}&weeks=6",
        "currency=USD&weeks=13",
    ]
    empty = stored.forecast_for(usd(rep=rep.pk), 6).forecast
    assert (empty.open_ar, len(empty.weeks)) == (D("0"), 6)


def test_the_job_computes_the_default_scopes_before_they_expire_and_purges_past_days(
    book, settings
):
    settings.O2C_FORECAST_MAX_AGE_SECONDS = 600
    InvoiceFactory(customer=CustomerFactory(currency="EUR"), amount=D(50))
    rep = SalesRepFactory()
    viewed = stored.forecast_for(usd(rep=rep.pk))  # a rep's, viewed today
    old = stored.compute(
        Scope(start=A - timedelta(days=1), end=A - timedelta(days=1), currency="USD")
    )
    StoredForecast.objects.update(computed_at=timezone.now() - timedelta(seconds=301))

    with on(A):
        # Everything in USD and in EUR; the rep's is computed by its next view.
        assert JOBS["refresh_forecasts"]() == "2 forecasts computed, 1 of past days deleted"

    rows = dict(StoredForecast.objects.values_list("scope_key", "computed_at"))
    assert sorted(rows) == [
        "currency=EUR&weeks=13",
        f"currency=USD&rep={rep.pk}&weeks=13",
        "currency=USD&weeks=13",
    ]
    assert rows.pop(f"currency=USD&rep={rep.pk}&weeks=13") < viewed.computed_at
    assert all(at > old.computed_at for at in rows.values())
    assert StoredForecast.objects.get(scope_key="currency=EUR&weeks=13").result["open_ar"] == (
        "50.00"
    )
    with on(A):
        assert JOBS["refresh_forecasts"]() == "0 forecasts computed, 0 of past days deleted"


def admin_client(user, scoped: bool = False) -> Client:
    user.is_staff = True
    user.save()
    if scoped:
        user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    client = Client()
    client.force_login(user)
    return client


def test_the_admin_lists_shows_and_computes_again_but_never_edits(book):
    stored.forecast_for(usd())
    row = StoredForecast.objects.get()
    StoredForecast.objects.update(computed_at=timezone.now() - timedelta(hours=1))
    admin = admin_client(UserFactory(username="admin-forecasts", role="admin"))

    listing = admin.get("/admin/outlook/storedforecast/?q=USD")
    page = admin.get(f"/admin/outlook/storedforecast/{row.pk}/change/")
    add = admin.get("/admin/outlook/storedforecast/add/")
    posted = admin.post(
        "/admin/outlook/storedforecast/",
        {"action": "compute_again", "_selected_action": [row.pk]},
        follow=True,
    )

    assert listing.status_code == 200
    assert "currency=USD&amp;weeks=13" in listing.content.decode()
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert add.status_code == 403
    assert "1 forecast computed." in posted.content.decode()
    assert StoredForecast.objects.get().computed_at > timezone.now() - timedelta(minutes=1)


def test_a_user_limited_to_their_customers_sees_only_their_forecasts_in_the_admin(book):
    own = UserFactory(username="own-forecasts", role="admin")
    client = admin_client(own, scoped=True)
    stored.forecast_for(usd())
    stored.forecast_for(usd(customers_of=own.pk))

    listing = client.get("/admin/outlook/storedforecast/")

    assert [row.scope_key for row in listing.context["cl"].result_list] == [
        f"currency=USD&customers_of={own.pk}&weeks=13"
    ]

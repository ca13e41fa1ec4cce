"""The dashboard of a user limited to their own customers (accounts.scoping): every tile,
trend, aging bar, drilldown and CSV computed over those customers only, with the numbers of
the same pages filtered to exactly those customers."""

from datetime import date
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import CustomerAssignment
from accounts.scoping import SCOPED_GROUP
from metrics import engine
from metrics.scope import build_scope
from tests.dashboard.test_pages import add_invoices, csv_rows
from tests.factories import SalesRepFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 14)  # the default view is April 2026


@pytest.fixture(autouse=True)
def fixed_today():
    with mock.patch("dashboard.filters.today", return_value=TODAY):
        yield


@pytest.fixture
def world():
    """Ana's customer is assigned to the scoped collector; Ben's is not theirs."""
    mine = add_invoices(6, rep=SalesRepFactory(name="Ana"))[0].customer
    mine.name = "Mine Ltd"
    mine.save(update_fields=["name"])
    theirs = add_invoices(4, rep=SalesRepFactory(name="Ben"))[0].customer
    theirs.name = "Theirs Inc"
    theirs.save(update_fields=["name"])
    user = UserFactory(username="collector-scoped", role="collector")
    user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    CustomerAssignment.objects.create(user=user, customer=mine)
    scoped, everyone = Client(), Client()
    scoped.force_login(user)
    everyone.force_login(UserFactory(username="collector-all", role="collector"))
    return {"mine": mine, "theirs": theirs, "scoped": scoped, "everyone": everyone}


def test_a_scoped_users_dashboard_is_the_dashboard_of_their_customers(world):
    april = build_scope(start="2026-04-01", end="2026-04-30", customer=world["mine"].pk)
    summary = engine.summary(april)

    narrowed = world["scoped"].get("/dashboard/")
    filtered = world["everyone"].get(f"/dashboard/?customer={world['mine'].pk}")

    assert narrowed.status_code == 200
    assert {t.key: t.raw for t in narrowed.context["tiles"]} == {
        key: summary.kpis[key] for key in {t.key for t in narrowed.context["tiles"]}
    }
    assert narrowed.context["summary"].what_changed == summary.what_changed
    assert narrowed.context["aging"] == filtered.context["aging"]
    assert [t.points for t in narrowed.context["trends"]] == [
        t.points for t in filtered.context["trends"]
    ]
    assert narrowed.context["summary"].kpis["ar_balance"].value != (
        world["everyone"].get("/dashboard/").context["summary"].kpis["ar_balance"].value
    )
    assert b"Theirs Inc" not in narrowed.content


def test_a_scoped_users_exports_hold_their_customers_only(world):
    mine = world["mine"].pk
    for export in ("kpis", "trends", "aging", "outlook"):
        narrowed = world["scoped"].get(f"/dashboard/?export={export}")
        filtered = world["everyone"].get(f"/dashboard/?customer={mine}&export={export}")

        assert narrowed.status_code == 200, export
        if export == "outlook":  # each scope's own stored forecast, computed a moment apart
            assert [row[:-1] for row in csv_rows(narrowed)] == [
                row[:-1] for row in csv_rows(filtered)
            ]
        else:
            assert csv_rows(narrowed) == csv_rows(filtered), export


def test_the_worklist_and_risk_panels_hold_only_a_scoped_users_customers(world):
    page = world["scoped"].get("/dashboard/panels/")

    lines = page.context["panels"]["worklist"]["lines"]
    assert {line["item"].customer_name for line in lines} == {"Mine Ltd"}
    assert b"Theirs Inc" not in page.content
    assert b'id="risk"' in page.content
    for export in ("worklist", "risk"):
        csv = world["scoped"].get(f"/dashboard/?export={export}")
        assert csv.status_code == 200
        assert b"Theirs Inc" not in csv.content
    assert b"Theirs Inc" in world["everyone"].get("/dashboard/?export=worklist").content


def test_a_scoped_users_drilldown_reaches_their_customers_only(world):
    by_rep = world["scoped"].get("/dashboard/kpis/ar_balance/")
    by_customer = world["scoped"].get("/dashboard/kpis/ar_balance/?by=customer")
    invoices = world["scoped"].get("/dashboard/invoices/?kpi=ar_balance")
    export = world["scoped"].get("/dashboard/invoices/?kpi=ar_balance&export=invoices")

    assert [i["row"].group_name for i in by_rep.context["rows"]] == ["Ana"]
    assert [i["row"].group_name for i in by_customer.context["rows"]] == ["Mine Ltd"]
    assert {i.customer_id for i in invoices.context["rows"]} == {world["mine"].pk}
    assert invoices.context["total"] == 3  # of the six, the three unpaid
    assert {row[1] for row in csv_rows(export)[1:]} == {"Mine Ltd"}


def test_another_customer_is_unknown_to_a_scoped_user(world):
    response = world["scoped"].get(f"/dashboard/?customer={world['theirs'].pk}")

    assert response.status_code == 400
    assert response.context["codes"] == ["unknown_customer"]
    assert b"Theirs Inc" not in response.content

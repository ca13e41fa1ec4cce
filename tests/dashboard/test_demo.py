"""`manage.py demo` gives a dashboard with something to show, on whatever day it runs."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from dashboard.models import Annotation, HuddleAction

pytestmark = pytest.mark.django_db


def test_demo_prints_the_dashboard_first_and_fills_every_tile_and_chart():
    out = StringIO()

    call_command("demo", no_serve=True, customers=6, stdout=out)

    links = [line for line in out.getvalue().splitlines() if "http://" in line]
    assert links[0] == "Dashboard:  http://127.0.0.1:8000/dashboard/  (log in as the admin below)"
    assert Annotation.objects.count() == 2
    assert HuddleAction.objects.filter(status="open").count() == 1

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get("/dashboard/")
    assert [tile.key for tile in page.context["tiles"] if tile.raw.value is None] == []
    for trend in page.context["trends"]:
        # Six customers leave a month without sales now and then (no DSO that month).
        assert len(trend.chart.dots) >= 10, trend.key
        assert [mark.label.split(": ", 1)[1] for mark in trend.chart.marks] == [
            "New reminder wording",
            "Price change",
        ]
    assert page.context["aging"]["rows"][0]["bucket"].invoice_count > 0
    drill = client.get("/dashboard/kpis/dso/")
    assert len(drill.context["rows"]) > 1
    # The cash outlook, worklist and risk panels have something to show on the day it runs.
    panels = client.get("/dashboard/panels/").context["panels"]
    assert sum(1 for row in panels["outlook"]["weeks"] if row["week"].expected > 0) >= 4
    assert len(panels["worklist"]["lines"]) >= 3
    assert panels["worklist"]["lines"][0]["item"].cash_at_risk > 0
    assert sum(1 for row in panels["risk"]["bands"] if row["band"].invoice_count) >= 2

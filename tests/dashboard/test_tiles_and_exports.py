"""Issue 14's dashboard items checked one by one on small hand-made books: what a tile shows,
the trend intervals, the aging heatmap, and the CSV of every table."""

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client

from dashboard.models import HuddleAction
from metrics import engine
from tests.dashboard.test_pages import APRIL, TODAY, csv_rows
from tests.factories import InvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fixed_today():
    with mock.patch("dashboard.filters.today", return_value=TODAY):
        yield


@pytest.fixture
def viewer() -> Client:
    client = Client()
    client.force_login(UserFactory(username="viewer-tiles", role="viewer"))
    return client


@pytest.fixture
def book():
    """250.00 issued 2026-03-11 (due 04-10, 20 days past due on 04-30, no follow-up) and
    100.00 issued 2026-04-20 (not yet due): AR 350.00 on 30 April, 250.00 on 31 March."""
    InvoiceFactory(
        number="I-250",
        issue_date=date(2026, 3, 11),
        due_date=date(2026, 4, 10),
        amount=Decimal("250.00"),
    )
    InvoiceFactory(
        number="I-100",
        issue_date=date(2026, 4, 20),
        due_date=date(2026, 5, 20),
        amount=Decimal("100.00"),
    )


def tile_html(html: str, key: str) -> str:
    start = html.index(f'id="tile-{key}"')
    return html[start : html.index("</article>", start)]


def test_a_tile_shows_value_previous_change_status_in_words_explanation_and_owner(book, viewer):
    response = viewer.get("/dashboard/")
    html = response.content.decode()
    tiles = {tile.key: tile for tile in response.context["tiles"]}
    glossary = {entry.key: entry for entry in engine.glossary()}

    ar = tiles["ar_balance"]
    assert (ar.value, ar.previous, ar.change, ar.arrow) == (
        "350.00 USD",
        "250.00 USD",
        "100.00 USD",
        "▲",
    )
    ar_html = tile_html(html, "ar_balance")
    assert '<p class="value">350.00 USD</p>' in ar_html
    assert "previous period: 250.00 USD" in ar_html
    assert '<span aria-hidden="true">▲</span> 100.00 USD' in ar_html
    for key, tile in tiles.items():
        entry = glossary[key]
        piece = tile_html(html, key)
        # The status in words next to its colour, the glossary sentence on hover.
        assert f"</span>{tile.status_label}</p>" in piece
        assert tile.status_label in {"On target", "Watch", "Off target", "No target"}
        assert f'title="{entry.explanation}"'.replace("'", "&#x27;") in piece
        if entry.owner:
            assert f"Owner: {entry.owner}" in piece
        if entry.playbook_url:
            assert f'<a href="{entry.playbook_url}" rel="noopener">playbook</a>' in piece


@pytest.mark.parametrize(("interval", "points"), [("week", 53), ("month", 12), ("quarter", 5)])
def test_trend_lines_cover_twelve_months_by_week_month_or_quarter(book, viewer, interval, points):
    trends = viewer.get(f"/dashboard/?interval={interval}").context["trends"]

    assert {len(trend.points) for trend in trends} == {points}
    assert trends[0].points[0][0].start == date(2025, 5, 1)
    assert trends[0].points[-1][0].end == date(2026, 4, 30)


def test_the_aging_heatmap_marks_past_due_money_nobody_followed_up(book, viewer):
    rows = {row["bucket"].bucket: row for row in viewer.get("/dashboard/").context["aging"]["rows"]}

    assert (rows["1_30"]["amount"], rows["1_30"]["untouched_share"], rows["1_30"]["heat"]) == (
        "250.00 USD",
        "100",
        "0.88",
    )
    # Invoices not yet due are not expected to have a follow-up: no heat.
    assert (rows["current"]["amount"], rows["current"]["heat"]) == ("100.00 USD", "")
    assert rows["31_60"]["heat"] == "0.08"


def test_trends_invoices_and_actions_export_to_csv(book, viewer):
    HuddleAction.objects.create(
        title="Call the top five",
        kpi="dso",
        owner="Ana",
        due_date=date(2026, 5, 20),
        definition_of_done="Five calls logged",
        status="open",
    )

    trends = csv_rows(viewer.get("/dashboard/?export=trends"))
    invoices = csv_rows(viewer.get("/dashboard/invoices/?kpi=dso&export=invoices"))
    actions = csv_rows(viewer.get("/dashboard/?export=actions"))

    ar = engine.compute(APRIL, ["ar_balance"], [APRIL.period])[("ar_balance", None, 1)]
    assert trends[0] == ["kpi", "start", "end", "value", "unit"]
    assert ["ar_balance", "2026-04-01", "2026-04-30", str(ar), "money"] in trends
    assert str(ar) == "350.00"
    assert len(trends) == 1 + 7 * 12
    assert [row[0] for row in invoices] == ["number", "I-250", "I-100"]
    assert [row[5:11] for row in invoices[1:]] == [
        ["2026-04-10", "20", "250.00", "250.00", "USD", "open"],
        ["2026-05-20", "0", "100.00", "100.00", "USD", "open"],
    ]
    assert actions[0] == [
        "id",
        "title",
        "kpi",
        "context",
        "owner",
        "due_date",
        "definition_of_done",
        "status",
    ]
    assert actions[1][1:] == [
        "Call the top five",
        "dso",
        "",
        "Ana",
        "2026-05-20",
        "Five calls logged",
        "open",
    ]

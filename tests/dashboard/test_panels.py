"""The cash outlook, worklist and risk panels of the dashboard: the outlook and worklist
apps' own functions, for the view's filters, on histories worked out by hand."""

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import strip_tags

from accounts.models import CustomerAssignment
from accounts.scoping import SCOPED_GROUP
from dashboard.models import StoredPanel
from tests.dashboard.test_pages import add_invoices, csv_rows
from tests.factories import SalesRepFactory, UserFactory
from tests.outlook.conftest import A, book  # noqa: F401 - the outlook's hand-worked book
from tests.worklist.conftest import AS_OF, history  # noqa: F401 - the worklist's history

pytestmark = pytest.mark.django_db


def on(day: date):
    return mock.patch("dashboard.filters.today", return_value=day)


@pytest.fixture
def viewer() -> Client:
    client = Client()
    client.force_login(UserFactory(username="viewer-panels", role="viewer"))
    return client


def text(html: bytes) -> str:
    """The page as a person reads it: tags dropped, white space collapsed."""
    return " ".join(strip_tags(html.decode()).split())


# --- loaded after the page ------------------------------------------------------------------


def test_the_overview_shows_without_the_panels_and_loads_them_after(book, viewer):  # noqa: F811
    with on(A), CaptureQueriesContext(connection) as overview_queries:
        page = viewer.get("/dashboard/?currency=USD&interval=week")

    assert page.status_code == 200
    assert "panels" not in page.context
    # Neither the forecast's history nor the scoring statement ran for the overview.
    assert not [q for q in overview_queries.captured_queries if "hist AS" in q["sql"]]
    html = page.content.decode()
    assert 'data-src="/dashboard/panels/?currency=USD&amp;interval=week"' in html
    assert '<script src="/static/dashboard/panels.js" defer></script>' in html

    with on(A):
        fragment = viewer.get(
            "/dashboard/panels/?currency=USD&interval=week", headers={"X-Dashboard-Fragment": "1"}
        )
        whole = viewer.get("/dashboard/panels/?currency=USD&interval=week")

    # Asked by the script: the panels alone, to put in the page; opened as a page: the layout.
    assert fragment.content.decode().lstrip().startswith('<section id="outlook">')
    assert "<html" not in fragment.content.decode()
    assert [t.name for t in fragment.templates][0] == "dashboard/_panels.html"
    assert "<html" in whole.content.decode()
    assert "Cash outlook, worklist and risk" in text(whole.content)
    assert whole.context["panels"]["outlook"] == fragment.context["panels"]["outlook"]


def test_the_panels_page_asks_for_a_login_and_refuses_bad_filters(viewer):
    anonymous = Client().get("/dashboard/panels/")
    bad = viewer.get("/dashboard/panels/?rep=abc")

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    assert bad.status_code == 400
    assert "is not an id. Codes: invalid_id" in text(bad.content)


# --- cash outlook ----------------------------------------------------------------------------


def test_outlook_panel_worked_by_hand(book, viewer):  # noqa: F811
    # tests/outlook/test_forecast.py works the weeks out: X 500 + Y 600 in week 1, P's promised
    # 300 and 250 in week 2, 375, 250, then P 125 + Z 450 in week 5; Z's other 450 at A+43 is
    # week 7; W (60 days late, later than anything in the history) is after the 13 weeks.
    with on(A):
        response = viewer.get("/dashboard/panels/")

    outlook = response.context["panels"]["outlook"]
    assert [(row["week"].week, str(row["week"].expected)) for row in outlook["weeks"]] == [
        (1, "1100.00"),
        (2, "550.00"),
        (3, "375.00"),
        (4, "250.00"),
        (5, "575.00"),
        (6, "0.00"),
        (7, "450.00"),
        *[(k, "0.00") for k in range(8, 14)],
    ]
    assert outlook["after_amount"] == "200.00 USD"
    assert outlook["expected"] == "3,300.00 USD"
    assert outlook["open_ar"] == "3,500.00 USD"
    assert outlook["horizon_end"] == date(2026, 6, 30)
    assert outlook["api_url"] == "/api/v1/forecast/?as_of=2026-03-31&currency=USD"
    page = text(response.content)
    assert (
        "Cash outlook expected inflow per week after 31 Mar 2026, USD: 3,300.00 USD by "
        "30 Jun 2026 of 3,500.00 USD open" in page
    )
    assert "Of which promised" in page


def test_outlook_panel_is_the_forecast_api(book, viewer):  # noqa: F811
    with on(A):
        panel = viewer.get("/dashboard/panels/").context["panels"]["outlook"]
        api = viewer.get(panel["api_url"]).json()

    assert [str(row["week"].expected) for row in panel["weeks"]] == [
        w["expected"] for w in api["weeks"]
    ]
    assert panel["after_amount"] == f"{api['after_horizon']} USD"


def test_outlook_export_and_the_filters(book, viewer):  # noqa: F811
    other = SalesRepFactory(name="Nobody's")
    with on(A):
        rows = csv_rows(viewer.get("/dashboard/?export=outlook"))
        empty = viewer.get(f"/dashboard/panels/?rep={other.pk}").context["panels"]["outlook"]
        euros = viewer.get("/dashboard/panels/?currency=EUR").context["panels"]["outlook"]

    assert rows[0] == [
        "week",
        "start",
        "end",
        "expected",
        "promised",
        "behaviour",
        "disputed",
        "orders",
        "due_date_amount",
        "currency",
        "computed_at",
    ]
    computed_at = StoredPanel.objects.get(kind="forecast", scope_key="currency=USD&weeks=13")
    at = computed_at.computed_at.isoformat()
    assert rows[1] == [
        "1",
        "2026-04-01",
        "2026-04-07",
        "1100.00",
        "0.00",
        "1100.00",
        "0.00",
        "0.00",
        "2700.00",
        "USD",
        at,
    ]
    assert rows[14] == ["after_horizon", "", "", "200.00", "", "", "", "", "", "USD", at]
    assert len(rows) == 15
    assert (empty["open_ar"], empty["after_amount"]) == ("0.00 USD", "0.00 USD")
    assert (euros["open_ar"], euros["api_url"]) == (
        "0.00 EUR",
        "/api/v1/forecast/?as_of=2026-03-31&currency=EUR",
    )
    assert euros["other_currencies"] == [("USD", "?currency=USD#outlook")]


# --- worklist and risk -----------------------------------------------------------------------


def test_worklist_panel_worked_by_hand(history, viewer):  # noqa: F811
    # Scores, cash at risk and points as tests/worklist (test_worklist, test_explain) work
    # them out; the email on A-4 of 07-02 is after as_of, so its last activity is the call.
    with on(AS_OF):
        response = viewer.get("/dashboard/panels/")

    work = response.context["panels"]["worklist"]
    assert work["count"] == 3
    assert [
        (
            line["item"].invoice_number,
            line["item"].customer_name,
            line["item"].days_past_due,
            line["item"].score,
            line["cash_at_risk"],
            line["factors"],
            line["item"].last_activity and line["item"].last_activity.kind,
        )
        for line in work["lines"]
    ] == [
        (
            "A-5",
            "Acme",
            0,
            Decimal("97.5"),
            "487.50 USD",
            "Late payments +34.1, Open dispute +22.7, Broken promises +11.3",
            "reminder",
        ),
        (
            "A-4",
            "Acme",
            46,
            Decimal("92.5"),
            "370.00 USD",
            "Late payments +40.3, Days past due +16.4, Broken promises +13.4",
            "call",
        ),
        ("N-1", "Newco", 0, Decimal("18.2"), "182.00 USD", "No history +6.3", None),
    ]
    first = work["lines"][0]
    assert first["invoice_url"] == f"/admin/receivables/invoice/{history.a5.pk}/change/"
    assert first["customer_url"] == f"/dashboard/invoices/?currency=USD&customer={history.acme.pk}"
    assert work["api_url"] == "/api/v1/worklist/?as_of=2026-06-30&currency=USD&limit=10"
    page = text(response.content)
    assert (
        "A-4 Acme 46 400.00 USD 92.5 370.00 USD Late payments +40.3, Days past due +16.4, "
        "Broken promises +13.4 call, 5 days ago hold"
    ) in page
    assert "N-1 Newco 0 1,000.00 USD 18.2 182.00 USD No history +6.3 none reminder" in page


def test_worklist_panel_follows_the_filters_and_exports(history, viewer):  # noqa: F811
    bo = history.newco.rep_id
    with on(AS_OF):
        bos = viewer.get(f"/dashboard/panels/?rep={bo}").context["panels"]["worklist"]
        rows = csv_rows(viewer.get(f"/dashboard/panels/?rep={bo}&export=worklist"))

    assert [line["item"].invoice_number for line in bos["lines"]] == ["N-1"]
    assert bos["api_url"] == f"/api/v1/worklist/?as_of=2026-06-30&rep={bo}&currency=USD&limit=10"
    assert rows == [
        [
            "invoice",
            "customer",
            "rep",
            "due_date",
            "days_past_due",
            "open_amount",
            "score",
            "cash_at_risk",
            "top_factors",
            "last_activity",
            "last_activity_days_ago",
            "action",
            "currency",
        ],
        [
            "N-1",
            "Newco",
            "Bo Rep",
            "2026-07-01",
            "0",
            "1000.00",
            "18.2",
            "182.00",
            "no_history 6.3",
            "",
            "",
            "reminder",
            "USD",
        ],
    ]


def test_risk_panel_worked_by_hand(history, viewer):  # noqa: F811
    # A-5 (97.5, 500.00) and A-4 (92.5, 400.00) score 75 or more; N-1 (18.2, 1000.00) below 25.
    with on(AS_OF):
        response = viewer.get("/dashboard/panels/")
        rows = csv_rows(viewer.get("/dashboard/?export=risk"))
        acme = viewer.get(f"/dashboard/panels/?rep={history.acme.rep_id}").context["panels"]["risk"]

    risk = response.context["panels"]["risk"]
    assert [
        (b["label"], b["amount"], b["bar"].share, b["band"].invoice_count) for b in risk["bands"]
    ] == [
        ("0–25", "1,000.00 USD", "52.63%", 1),
        ("25–50", "0.00 USD", "0%", 0),
        ("50–75", "0.00 USD", "0%", 0),
        ("75–100", "900.00 USD", "47.37%", 2),
    ]
    assert (risk["total"], risk["count"]) == ("1,900.00 USD", 3)
    assert "75–100 900.00 USD 47.37% 2" in text(response.content)
    at = StoredPanel.objects.get(kind="risk_bands", scope_key="currency=USD&model=0").computed_at
    assert rows == [
        ["score_from", "score_to", "invoices", "open_amount", "currency", "computed_at"],
        ["0", "25", "1", "1000.00", "USD", at.isoformat()],
        ["25", "50", "0", "0.00", "USD", at.isoformat()],
        ["50", "75", "0", "0.00", "USD", at.isoformat()],
        ["75", "100", "2", "900.00", "USD", at.isoformat()],
    ]
    assert (acme["total"], acme["count"]) == ("900.00 USD", 2)


def test_a_custom_period_in_the_past_shows_the_panels_as_of_its_end(history, viewer):  # noqa: F811
    # Seen on 2026-08-15, a view of June 2026 shows what was at risk on 30 June.
    with on(date(2026, 8, 15)):
        june = viewer.get("/dashboard/panels/?period=custom&start=2026-06-01&end=2026-06-30")
        today = viewer.get("/dashboard/panels/").context["panels"]

    assert june.context["panels"]["as_of"] == AS_OF
    assert june.context["panels"]["worklist"]["count"] == 3
    assert today["as_of"] == date(2026, 8, 15)
    # By 15 August A-4 was paid (07-20): A-5 and N-1 are left.
    assert today["worklist"]["count"] == 2


def test_a_scoped_user_sees_the_panels_of_their_customers_only(history):  # noqa: F811
    # The outlook, the worklist and the risk bands are narrowed to a user limited to their
    # own customers (docs/security.md): the same lines as for that customer, and no other
    # customer's line shows, on the page or in the exports.
    user = UserFactory(username="scoped-viewer", role="collector")
    user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    CustomerAssignment.objects.create(user=user, customer=history.newco)
    client = Client()
    client.force_login(user)
    unscoped = Client()
    unscoped.force_login(UserFactory(username="everyone", role="collector"))

    with on(AS_OF):
        page = client.get("/dashboard/panels/")
        filtered = unscoped.get(f"/dashboard/panels/?customer={history.newco.pk}")
        exports = {
            export: client.get(f"/dashboard/?export={export}")
            for export in ("outlook", "worklist", "risk")
        }

    assert page.status_code == 200
    items = [line["item"] for line in page.context["panels"]["worklist"]["lines"]]
    assert [item.customer_name for item in items] == ["Newco"]
    assert items == [line["item"] for line in filtered.context["panels"]["worklist"]["lines"]]
    risk, risk_filtered = page.context["panels"]["risk"], filtered.context["panels"]["risk"]
    assert (risk["count"], risk["total"]) == (risk_filtered["count"], risk_filtered["total"])
    assert b"Acme" not in page.content
    for export, response in exports.items():
        assert response.status_code == 200, export
        assert b"Acme" not in response.content, export


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def cold_and_warm(client, url: str) -> tuple[int, int]:
    """Queries with no stored panels (the view computes them), then with them stored."""
    StoredPanel.objects.all().delete()
    return queries(client, url), queries(client, url)


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/panels/",
        "/dashboard/?export=outlook",
        "/dashboard/?export=worklist",
        "/dashboard/?export=risk",
    ],
)
def test_panels_cost_the_same_queries_at_two_sizes(url, viewer):
    rep = SalesRepFactory()
    with on(date(2026, 5, 14)):
        add_invoices(2, rep=rep)
        small = cold_and_warm(viewer, url)
        small_filtered = cold_and_warm(viewer, f"{url}{'&' if '?' in url else '?'}rep={rep.pk}")

        for _ in range(3):
            add_invoices(12)
        add_invoices(12, rep=rep)
        large = cold_and_warm(viewer, url)
        large_filtered = cold_and_warm(viewer, f"{url}{'&' if '?' in url else '?'}rep={rep.pk}")

    assert small == large
    assert small_filtered == large_filtered
    # Stored, the forecast is one query instead of its statement, the trailing cash and the
    # upsert, and the risk bands one instead of their statement and the upsert.
    assert small[0] - small[1] == 5

"""Small histories whose forecasts are worked out by hand (see each fixture's docstring)."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from receivables import services
from tests.factories import CustomerFactory, InvoiceFactory, SegmentFactory
from tests.metrics.conftest import D, pay

A = date(2026, 3, 31)


def day(n: int) -> date:
    """as_of + n days."""
    return A + timedelta(days=n)


def invoice(customer, number: str, due: date, amount, **kwargs):
    """An invoice on 30-day terms due on `due`."""
    return InvoiceFactory(
        customer=customer,
        number=number,
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount=D(amount),
        **kwargs,
    )


def paid_late(customer, number: str, due: date, amount, late: int, disputed: bool = False):
    """A history invoice paid in full `late` days after its due date (disputed: under a
    dispute opened 20 days before its due date and resolved the day it is paid)."""
    inv = invoice(customer, number, due, amount)
    dispute = None
    if disputed:
        dispute = services.open_dispute(
            inv, reason="pricing", amount=D(amount), opened_date=due - timedelta(days=20)
        )
    paid_on = due + timedelta(days=late)
    pay(inv, amount, paid_on)
    if dispute is not None:
        services.resolve_dispute(dispute, resolution="upheld", resolved_date=paid_on)
    return inv


@dataclass
class Book:
    customer: object
    x: object
    y: object
    z: object
    p: object
    w: object


@pytest.fixture
def book(db) -> Book:
    """One customer (alone in its segment, so its history is also the segment's and
    everyone's) and its history of the 12 months before A = 2026-03-31:

    - clean invoices (100.00 each) paid 0, 0, 10 and 20 days after their due dates;
    - disputed invoices (200.00 each) paid 30 and 44 days after their due dates.

    Open at A:
    - X 1000.00 due A+5 (not yet due);
    - Y 700.00 due A−15 (15 days late), 100.00 credited before A: 600.00 open;
    - Z 900.00 due A−1, under a dispute opened before A;
    - P 800.00 due A+10, with a promise (made A−5) of 300.00 on A+9;
    - W 200.00 due A−60: later than anything in the history.
    """
    customer = CustomerFactory(segment=SegmentFactory())
    for n, (due, late) in enumerate(
        [(date(2025, 11, 1), 0), (date(2025, 12, 1), 0), (date(2025, 12, 15), 10)]
        + [(date(2026, 1, 10), 20)]
    ):
        paid_late(customer, f"H-{n}", due, 100, late)
    paid_late(customer, "D-1", date(2025, 12, 1), 200, 30, disputed=True)
    paid_late(customer, "D-2", date(2026, 1, 5), 200, 44, disputed=True)

    x = invoice(customer, "X", day(5), 1000)
    y = invoice(customer, "Y", day(-15), 700)
    services.add_adjustment(y, kind="credit_note", amount=D(100), adjustment_date=day(-3))
    z = invoice(customer, "Z", day(-1), 900)
    services.open_dispute(z, reason="quality", amount=D(900), opened_date=day(-11))
    p = invoice(customer, "P", day(10), 800)
    services.create_promise(p, promised_date=day(9), amount=D(300), created_date=day(-5))
    w = invoice(customer, "W", day(-60), 200)
    return Book(customer, x, y, z, p, w)


@pytest.fixture
def gql(make_client):
    """`gql(query, variables, role="viewer")` posts to /graphql/ as that role; the JSON body."""

    def run(query: str, variables: dict | None = None, role: str | None = "viewer") -> dict:
        response = make_client(role).post(
            "/graphql/", {"query": query, "variables": variables or {}}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    return run

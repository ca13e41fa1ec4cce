"""A hand-worked history for the risk score and the worklist (as of 2026-06-30).

Customer Acme (rep Ada), invoices due in the year before as_of:

| invoice | amount | due        | settled    | late at as_of            |
|---------|--------|------------|------------|--------------------------|
| A-1     | 100    | 2025-12-31 | 2025-12-20 | no                       |
| A-2     | 200    | 2026-01-31 | 2026-02-10 | 10 days                  |
| A-3     | 300    | 2026-05-01 | 2026-05-31 | 30 days (recent)         |
| A-4     | 400    | 2026-05-15 | 2026-07-20 | 46 days by as_of (recent)|

so 3 of 4 late (0.75), 86 days late in all (28.67 on average: 0.9556 months), the last 90
days 2 of 2 late (trend 1 − 0.75 = 0.25), usual amount 250. Promises due in that year: on
A-2 (200 by 2026-02-05, paid 02-10: broken) and A-3 (300 by 2026-05-31: kept) → 0.5 broken.
Open at as_of: A-4 (46 days past due, a promise made 06-25 for 07-05 open, a dispute that
was resolved on 06-15) and A-5 (500, due 2026-07-10, disputed since 06-20).

Customer Newco: no history; N-1 (1000, due 2026-07-01), disputed only after as_of.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Customer
from metrics.scope import Scope
from receivables import services
from receivables.models import Invoice
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    PaymentFactory,
    SalesRepFactory,
    SegmentFactory,
)

AS_OF = date(2026, 6, 30)


def D(value) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(str(value))


def pay(invoice: Invoice, amount, on: date) -> None:
    payment = PaymentFactory(customer=invoice.customer, amount=D(amount), received_date=on)
    services.apply_payment(payment, invoice, D(amount), applied_date=on)


def invoice(customer, number, amount, issue: date, due: date) -> Invoice:
    return InvoiceFactory(
        customer=customer, number=number, amount=D(amount), issue_date=issue, due_date=due
    )


def moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def scope(**filters) -> Scope:
    return Scope(start=AS_OF, end=AS_OF, currency=filters.pop("currency", "USD"), **filters)


@dataclass
class History:
    acme: Customer
    newco: Customer
    a4: Invoice
    a5: Invoice
    n1: Invoice


@pytest.fixture
def history(db) -> History:
    segment = SegmentFactory(name="Enterprise", code="ENT")
    acme = CustomerFactory(
        name="Acme", segment=segment, rep=SalesRepFactory(name="Ada Rep", email="ada@x.com")
    )
    newco = CustomerFactory(
        name="Newco", segment=segment, rep=SalesRepFactory(name="Bo Rep", email="bo@x.com")
    )
    a1 = invoice(acme, "A-1", 100, date(2025, 12, 1), date(2025, 12, 31))
    a2 = invoice(acme, "A-2", 200, date(2026, 1, 1), date(2026, 1, 31))
    a3 = invoice(acme, "A-3", 300, date(2026, 4, 1), date(2026, 5, 1))
    a4 = invoice(acme, "A-4", 400, date(2026, 4, 15), date(2026, 5, 15))
    a5 = invoice(acme, "A-5", 500, date(2026, 6, 10), date(2026, 7, 10))
    n1 = invoice(newco, "N-1", 1000, date(2026, 6, 1), date(2026, 7, 1))
    services.create_promise(
        a2, promised_date=date(2026, 2, 5), amount=D(200), created_date=date(2026, 2, 1)
    )
    services.create_promise(
        a3, promised_date=date(2026, 5, 31), amount=D(300), created_date=date(2026, 5, 5)
    )
    services.create_promise(
        a4, promised_date=date(2026, 7, 5), amount=D(400), created_date=date(2026, 6, 25)
    )
    resolved = services.open_dispute(
        a4, reason="pricing", amount=D(50), opened_date=date(2026, 5, 20)
    )
    services.resolve_dispute(resolved, resolution="upheld", resolved_date=date(2026, 6, 15))
    services.open_dispute(a5, reason="quantity", amount=D(120), opened_date=date(2026, 6, 20))
    services.open_dispute(n1, reason="pricing", amount=D(10), opened_date=date(2026, 7, 1))
    pay(a1, 100, date(2025, 12, 20))
    pay(a2, 200, date(2026, 2, 10))
    pay(a3, 300, date(2026, 5, 31))
    pay(a4, 400, date(2026, 7, 20))
    services.refresh_promise_statuses(as_of=AS_OF)
    ActivityFactory(customer=acme, invoice=a4, kind="call", occurred_at=moment(date(2026, 6, 25)))
    ActivityFactory(
        customer=acme, invoice=a4, kind="email", occurred_at=moment(date(2026, 7, 2))
    )  # after as_of: not seen
    ActivityFactory(
        customer=acme, invoice=a5, kind="reminder", occurred_at=moment(date(2026, 5, 1))
    )
    return History(acme=acme, newco=newco, a4=a4, a5=a5, n1=n1)


@pytest.fixture
def gql(make_client):
    """`gql(query, variables, role="viewer")`: the decoded answer of POST /graphql/."""
    clients = {}

    def run(query: str, variables: dict | None = None, role: str | None = "viewer") -> dict:
        if role not in clients:
            clients[role] = make_client(role)
        response = clients[role].post(
            "/graphql/", {"query": query, "variables": variables or {}}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    return run

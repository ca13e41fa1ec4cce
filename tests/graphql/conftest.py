"""GraphQL test helpers: post a document as a role and get the decoded answer."""

from datetime import date
from decimal import Decimal

import pytest


@pytest.fixture
def gql(make_client):
    """`gql(query, variables, role="admin")` posts to /graphql/ with that role's token.

    Returns the decoded JSON body (`{"data": ..., "errors": [...]}`); `role=None` is anonymous.
    """
    clients = {}

    def run(query: str, variables: dict | None = None, role: str | None = "admin") -> dict:
        if role not in clients:
            clients[role] = make_client(role)
        response = clients[role].post(
            "/graphql/", {"query": query, "variables": variables or {}}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    return run


@pytest.fixture
def sample(db, monkeypatch):
    """A small ledger across two reps, two segments and three customers, 'today' = 2026-03-01.

    c1 (rep r1, segment s1): INV-A hardware 100 due 01-31 (open 90 after a credit note,
        past due, disputed, a broken promise), INV-B software 200 paid in full by P1 on 02-10,
        a draft INV-D.
    c2 (rep r2, segment s2): INV-C hardware 300 issued 02-20 (open, not due, a resolved
        dispute, an open promise), P2 with 50 of 80 applied to INV-C, a written-off INV-E.
    c3 (rep r1, no segment): no invoices; an activity on the customer.
    """
    from types import SimpleNamespace

    from receivables import services
    from receivables.models import Invoice
    from tests.factories import (
        ActivityFactory,
        CustomerFactory,
        InvoiceFactory,
        OpportunityFactory,
        OrderFactory,
        PaymentFactory,
        SalesRepFactory,
        SegmentFactory,
    )

    monkeypatch.setattr(services, "today", lambda: date(2026, 3, 1))
    r1, r2 = SalesRepFactory(name="Ann Rep"), SalesRepFactory(name="Bob Rep")
    s1, s2 = SegmentFactory(name="Enterprise", code="ENT"), SegmentFactory(name="SMB", code="SMB")
    c1 = CustomerFactory(name="Acme Corp", external_id="ACME-1", rep=r1, segment=s1)
    c2 = CustomerFactory(name="Globex", external_id="GLX-9", rep=r2, segment=s2)
    c3 = CustomerFactory(name="Initech", rep=r1, segment=None)
    o1 = OrderFactory(customer=c1, number="SO-1", product_line="hardware", amount=Decimal("100"))
    o2 = OrderFactory(customer=c2, number="SO-2", product_line="software", amount=Decimal("300"))
    OpportunityFactory(customer=c1, name="Big deal", amount=Decimal("5000"))
    OpportunityFactory(customer=c2, name="Lost deal", stage="lost", closed_date=date(2026, 2, 1))
    inv_a = InvoiceFactory(
        customer=c1, number="INV-A", order=o1, issue_date=date(2026, 1, 1), amount=Decimal("100")
    )
    inv_b = InvoiceFactory(
        customer=c1,
        number="INV-B",
        product_line="software",
        issue_date=date(2026, 1, 15),
        amount=Decimal("200"),
    )
    inv_c = InvoiceFactory(
        customer=c2,
        number="INV-C",
        product_line="hardware",
        issue_date=date(2026, 2, 20),
        amount=Decimal("300"),
    )
    inv_d = InvoiceFactory(
        customer=c1,
        number="INV-D",
        issue_date=date(2026, 2, 25),
        amount=Decimal("40"),
        status=Invoice.Status.DRAFT,
    )
    inv_e = InvoiceFactory(
        customer=c2, number="INV-E", issue_date=date(2026, 1, 5), amount=Decimal("60")
    )
    p1 = PaymentFactory(
        customer=c1, amount=Decimal("200"), received_date=date(2026, 2, 10), reference="wire 77"
    )
    services.apply_payment(p1, inv_b, Decimal("200"))
    p2 = PaymentFactory(
        customer=c2, amount=Decimal("80"), received_date=date(2026, 2, 21), external_id="BANK-2"
    )
    services.apply_payment(p2, inv_c, Decimal("50"))
    services.add_adjustment(
        inv_e, kind="write_off", amount=Decimal("60"), adjustment_date=date(2026, 2, 1)
    )
    services.open_dispute(
        inv_a, reason="pricing", amount=Decimal("20"), opened_date=date(2026, 2, 1)
    )
    services.add_adjustment(
        inv_a, kind="credit_note", amount=Decimal("10"), adjustment_date=date(2026, 1, 20)
    )
    settled = services.open_dispute(
        inv_c, reason="delivery", amount=Decimal("30"), opened_date=date(2026, 2, 22)
    )
    services.resolve_dispute(settled, resolution="upheld", resolved_date=date(2026, 2, 28))
    services.create_promise(
        inv_a,
        promised_date=date(2026, 2, 15),
        amount=Decimal("50"),
        created_date=date(2026, 2, 1),
    )
    services.create_promise(
        inv_c,
        promised_date=date(2026, 3, 15),
        amount=Decimal("100"),
        created_date=date(2026, 2, 25),
    )
    ActivityFactory(customer=c1, invoice=inv_a, kind="email")
    ActivityFactory(customer=c2, invoice=inv_c, kind="call")
    ActivityFactory(customer=c3, kind="note")
    return SimpleNamespace(
        r1=r1, r2=r2, s1=s1, s2=s2, c1=c1, c2=c2, c3=c3, o1=o1, o2=o2, p1=p1, p2=p2,
        inv_a=inv_a, inv_b=inv_b, inv_c=inv_c, inv_d=inv_d, inv_e=inv_e,
    )  # fmt: skip

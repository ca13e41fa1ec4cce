"""The worklist by hand: ranking by cash at risk, collection state, next action and reason."""

from datetime import date
from decimal import Decimal

import pytest

from worklist import engine

from .conftest import AS_OF, invoice, scope


def lines(**kwargs):
    return engine.worklist_page(scope(), AS_OF, **kwargs)


def test_ranked_by_cash_at_risk(history):
    # 500 × 97.5% = 487.50; A-4: 400 open at as_of (paid 07-20) × 92.5% = 370.00;
    # N-1: 1000 × 18.2% = 182.00. The largest invoice comes last: it is the least at risk.
    page = lines()
    assert page.count == 3
    assert [(i.invoice_number, i.open_amount, i.score, i.cash_at_risk) for i in page.results] == [
        ("A-5", Decimal("500.00"), Decimal("97.5"), Decimal("487.50")),
        ("A-4", Decimal("400.00"), Decimal("92.5"), Decimal("370.00")),
        ("N-1", Decimal("1000.00"), Decimal("18.2"), Decimal("182.00")),
    ]


def test_collection_state_and_actions(history):
    a5, a4, n1 = lines().results
    assert a5.open_dispute.reason == "quantity"
    assert a5.open_dispute.amount == Decimal("120.00")
    assert a5.open_promise is None
    assert (a5.last_activity.kind, a5.last_activity.days_ago) == ("reminder", 60)
    assert a5.action == "hold"
    assert a5.reason == (
        "Hold: a quantity dispute of 120.00 USD is open since 2026-06-20; resolve it before "
        "asking for payment."
    )
    assert [c.factor for c in a5.top_factors] == ["late_history", "open_dispute", "broken_promises"]

    # the email of 07-02 is after as_of; the call of 06-25 is the last activity.
    assert (a4.last_activity.kind, a4.last_activity.days_ago) == ("call", 5)
    assert a4.days_past_due == 46
    assert a4.open_dispute is None
    assert (a4.open_promise.amount, a4.open_promise.promised_date) == (
        Decimal("400.00"),
        date(2026, 7, 5),
    )
    assert a4.action == "hold"
    assert a4.reason == "Hold: Acme promised 400.00 USD by 2026-07-05; follow up if it is not kept."

    assert n1.last_activity is None
    assert n1.action == "reminder"
    assert n1.reason == (
        "Send a reminder: due tomorrow (2026-07-01), 18.2% likely to be paid late; mainly no "
        "invoice history in the last 12 months."
    )


def test_no_activity_filter(history):
    # A-4 had a call 5 days before as_of; A-5's last activity is 60 days old; N-1 has none.
    assert [i.invoice_number for i in lines(no_activity_days=7).results] == ["A-5", "N-1"]
    assert [i.invoice_number for i in lines(no_activity_days=61).results] == ["N-1"]
    assert lines(no_activity_days=61).count == 1


def test_pages(history):
    second = lines(limit=1, offset=1)
    assert second.count == 3
    assert [i.invoice_number for i in second.results] == ["A-4"]
    past_end = lines(limit=2, offset=5)
    assert (past_end.count, past_end.results) == (3, ())


@pytest.fixture
def slow(db):
    from tests.factories import CustomerFactory, SalesRepFactory

    customer = CustomerFactory(name="Slow", rep=SalesRepFactory(name="Cy Rep", email="cy@x.com"))
    invoice(customer, "S-1", 100, date(2026, 4, 16), date(2026, 5, 16))
    invoice(customer, "S-2", 100, date(2026, 3, 2), date(2026, 4, 1))
    return customer


def test_call_and_escalate(slow):
    # Both late and unpaid: late share 1, (45 + 90) / 2 = 67.5 days late (2.25 months), no
    # trend (both recent), same amounts. S-2: log-odds -2 + 3 + 1.35 + 0.6 × 3 = 4.15 →
    # 98.4; S-1: -2 + 3 + 1.35 + 0.6 × 1.5 = 3.25 → 96.3.
    page = engine.worklist_page(scope(customer=slow.pk), AS_OF)
    assert [(i.invoice_number, i.score, i.action, i.reason) for i in page.results] == [
        ("S-2", Decimal("98.4"), "escalate", "Escalate to Cy Rep: 90 days past due (score 98.4)."),
        (
            "S-1",
            Decimal("96.3"),
            "call",
            "Call Slow: 45 days past due, score 96.3; mainly 2 of 2 invoices due in the last 12 "
            "months were paid late.",
        ),
    ]


def test_risk_page_highest_score_first(history):
    page = engine.risk_page(scope(), AS_OF)
    assert [(r.invoice_number, r.score) for r in page.results] == [
        ("A-5", Decimal("97.5")),
        ("A-4", Decimal("92.5")),
        ("N-1", Decimal("18.2")),
    ]
    a4 = page.results[1]
    assert {c.factor: c.points for c in a4.factors if c.points} == {
        "late_history": Decimal("40.3"),
        "days_late": Decimal("10.2"),
        "trend": Decimal("6.7"),
        "broken_promises": Decimal("13.4"),
        "days_past_due": Decimal("16.4"),
        "amount": Decimal("2.5"),
        "open_promise": Decimal("-8.9"),
    }
    assert a4.base + sum(c.points for c in a4.factors) == a4.score


@pytest.mark.parametrize("candidates", [1, 2, 4])
def test_a_cut_page_is_the_page_of_the_full_ranking(history, monkeypatch, candidates):
    # A page is ranked among the invoices whose open amount reaches the cash at risk of the
    # page's last line among the largest ones (`risk._page_cut`). With one candidate per row,
    # page one is cut from N-1 alone (the largest, 182.00 at risk), so are found
    # only by the second statement: every page must still be the full ranking's.
    from worklist import risk

    monkeypatch.setattr(risk, "CUT_CANDIDATES", candidates)
    full = [i.invoice_number for i in engine.worklist_page(scope(), AS_OF, limit=3).results]
    assert full == ["A-5", "A-4", "N-1"]
    for limit in (1, 2, 3):
        for offset in (0, 1, 2, 3):
            page = engine.worklist_page(scope(), AS_OF, limit=limit, offset=offset)
            assert page.count == 3
            assert [i.invoice_number for i in page.results] == full[offset : offset + limit]


def test_the_cut_leaves_out_what_cannot_reach_the_page(history):
    # Page one of one line: A-5 is at risk for 487.41 (500 × 97.48%, shown as 97.5 and
    # 487.50), so nothing open for less can be on it: A-4 (400 open) is not scored again;
    # N-1 (1000 open, 182.00 at risk) is.
    from worklist import risk

    cut = risk._page_cut(scope(), AS_OF, risk.current_model(), None, 1)
    assert round(cut.at_least, 2) == 487.41
    # Fewer open invoices than the page reaches: nothing to cut.
    assert risk._page_cut(scope(), AS_OF, risk.current_model(), None, 4) is None

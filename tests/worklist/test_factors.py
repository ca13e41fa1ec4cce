"""Each factor of the score, worked by hand on the history of conftest.py."""

import math
from datetime import date

import pytest

from worklist import risk
from worklist.risk import DEFAULT_MODEL

from .conftest import AS_OF, scope


def values_at(as_of=AS_OF, **filters) -> dict[int, dict[str, float]]:
    scored = risk.scored_rows(scope(**filters), as_of, DEFAULT_MODEL, limit=None)
    return {row.invoice_id: row.values for row in scored.rows}


def test_acme_history_factors(history):
    # Given Acme's year: 3 of 4 invoices late, 10 + 30 + 46 = 86 days late, the last 90 days
    # 2 of 2 late, 1 of 2 promises broken, usual amount 250.
    values = values_at()

    a5 = values[history.a5.pk]
    assert a5["late_history"] == 0.75
    assert a5["days_late"] == pytest.approx(86 / 3 / 30)
    assert a5["trend"] == pytest.approx(0.25)
    assert a5["no_history"] == 0
    assert a5["broken_promises"] == 0.5
    assert a5["amount"] == pytest.approx(math.log(500 / 250))
    # not yet due, disputed since 06-20, no promise.
    assert a5["days_past_due"] == 0
    assert a5["open_dispute"] == 1
    assert a5["open_promise"] == 0


def test_invoice_factors_of_a_past_due_invoice(history):
    a4 = values_at()[history.a4.pk]
    # 46 days past due; the dispute was resolved before as_of; the promise of 06-25 is open.
    assert a4["days_past_due"] == pytest.approx(46 / 30)
    assert a4["open_dispute"] == 0
    assert a4["open_promise"] == 1
    assert a4["amount"] == pytest.approx(math.log(400 / 250))


def test_customer_without_history(history):
    # Newco: nothing due before as_of; its dispute opens the day after as_of.
    n1 = values_at()[history.n1.pk]
    assert n1 == {
        "late_history": 0,
        "days_late": 0,
        "trend": 0,
        "no_history": 1,
        "broken_promises": 0,
        "open_dispute": 0,
        "days_past_due": 0,
        "amount": 0,
        "open_promise": 0,
    }


def test_only_what_was_known_at_as_of(history):
    # A month earlier (2026-05-31): A-3 was paid that day, 30 days late; A-4 was 16 days past
    # due and still open (open in all: A-4 alone, A-5 and N-1 were not issued yet).
    values = values_at(as_of=date(2026, 5, 31))
    assert set(values) == {history.a4.pk}
    a4 = values[history.a4.pk]
    # Due before 05-31: A-1 (on time), A-2 (10 late), A-3 (30 late), A-4 (16 by then).
    assert a4["late_history"] == 0.75
    assert a4["days_late"] == pytest.approx((10 + 30 + 16) / 3 / 30)
    # Promises due before 05-31: only A-2's (broken); A-3's falls due that very day.
    assert a4["broken_promises"] == 1
    # The dispute opened 05-20 was still open; the promise of 06-25 not made yet.
    assert a4["open_dispute"] == 1
    assert a4["open_promise"] == 0
    assert a4["days_past_due"] == pytest.approx(16 / 30)


def test_scope_filters(history):
    assert set(values_at(customer=history.newco.pk)) == {history.n1.pk}
    assert set(values_at(rep=history.acme.rep_id)) == {history.a4.pk, history.a5.pk}
    assert values_at(currency="EUR") == {}


@pytest.mark.parametrize("narrow", ["rep", "customer", "segment", "product_line"])
def test_a_narrow_scope_scores_with_the_customers_whole_history(history, narrow):
    # The history and promises behind a score are the customer's whole year (all of Acme's
    # invoices and promises), whatever filter selects the invoice: the same values as unfiltered.
    filters = {
        "rep": history.acme.rep_id,
        "customer": history.acme.pk,
        "segment": history.acme.segment_id,
        "product_line": history.a5.product_line,
    }
    everything = values_at()

    narrowed = values_at(**{narrow: filters[narrow]})

    assert narrowed[history.a5.pk] == everything[history.a5.pk]
    assert narrowed[history.a5.pk]["broken_promises"] == 0.5
    assert narrowed[history.a5.pk]["late_history"] == 0.75

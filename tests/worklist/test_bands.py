"""Open AR by score band (`engine.risk_bands`), on the hand-worked history of conftest."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from worklist import engine

from .conftest import AS_OF, D, scope


def summary(bands: engine.RiskBands) -> list[tuple]:
    return [(b.low, b.high, b.invoice_count, b.open_amount) for b in bands.bands]


def test_open_ar_by_score_band(history):
    # Scores at as_of (test_worklist): A-5 97.5 (500.00), A-4 92.5 (400.00), N-1 18.2 (1000.00)
    bands = engine.risk_bands(scope(), AS_OF)

    assert summary(bands) == [
        (D(0), D(25), 1, D("1000.00")),
        (D(25), D(50), 0, D("0.00")),
        (D(50), D(75), 0, D("0.00")),
        (D(75), None, 2, D("900.00")),
    ]
    assert (bands.invoice_count, bands.open_amount) == (3, D("1900.00"))


def test_bands_follow_the_filters(history):
    bands = engine.risk_bands(scope(rep=history.acme.rep_id), AS_OF)

    assert summary(bands)[3] == (D(75), None, 2, D("900.00"))
    assert (bands.invoice_count, bands.open_amount) == (2, D("900.00"))
    assert engine.risk_bands(scope(currency="EUR"), AS_OF).invoice_count == 0


def test_a_score_is_banded_as_it_is_shown(history):
    # A-4 shows 92.5: in the band from 92.5, below the band from 92.6.
    at = engine.risk_bands(scope(), AS_OF, bounds=(Decimal("92.5"),))
    above = engine.risk_bands(scope(), AS_OF, bounds=(Decimal("92.6"),))

    assert [(b.invoice_count, b.open_amount) for b in at.bands] == [
        (1, D("1000.00")),
        (2, D("900.00")),
    ]
    assert [(b.invoice_count, b.open_amount) for b in above.bands] == [
        (2, D("1400.00")),
        (1, D("500.00")),
    ]


def test_bands_cost_two_queries(history):
    with CaptureQueriesContext(connection) as ctx:
        engine.risk_bands(scope(), AS_OF)
    assert len(ctx.captured_queries) == 2

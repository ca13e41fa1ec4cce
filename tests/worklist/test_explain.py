"""The score and its points per factor, by hand, with the default weights."""

from decimal import Decimal

from worklist import risk
from worklist.risk import DEFAULT_MODEL, FACTOR_KEYS


def zeros(**values) -> dict[str, float]:
    return {key: float(values.get(key, 0)) for key in FACTOR_KEYS}


def points(explained) -> dict[str, Decimal]:
    return {c.factor: c.points for c in explained.factors if c.points}


def test_one_factor_takes_all_the_difference():
    # Log-odds -2 + 0.5 = -1.5: score 100·σ(-1.5) = 18.24 → 18.2; base 100·σ(-2) = 11.92 → 11.9.
    explained = risk.explain(zeros(no_history=1), DEFAULT_MODEL)
    assert explained.score == Decimal("18.2")
    assert explained.base == Decimal("11.9")
    assert points(explained) == {"no_history": Decimal("6.3")}


def test_points_are_shared_in_proportion_and_add_up():
    # A-5 of the hand-worked history: terms 2.25, 0.5733, 0.375, 0.75, 1.5, 0.2079 (log 2 ×
    # 0.3); log-odds 3.6563, score 97.48 → 97.5. The 85.6 points above the base split in
    # proportion to the terms: 34.04, 8.67, 5.67, 11.35, 22.69, 3.15, rounded 34.0 8.7 5.7
    # 11.3 22.7 3.1 = 85.5; the 0.1 left goes to the largest term (late history).
    values = zeros(
        late_history=0.75,
        days_late=86 / 3 / 30,
        trend=0.25,
        broken_promises=0.5,
        open_dispute=1,
        amount=0.6931471805599453,
    )
    explained = risk.explain(values, DEFAULT_MODEL)
    assert explained.score == Decimal("97.5")
    assert points(explained) == {
        "late_history": Decimal("34.1"),
        "days_late": Decimal("8.7"),
        "trend": Decimal("5.7"),
        "broken_promises": Decimal("11.3"),
        "open_dispute": Decimal("22.7"),
        "amount": Decimal("3.1"),
    }
    assert explained.base + sum(points(explained).values()) == explained.score


def test_a_factor_can_lower_the_score():
    # Open promise only: log-odds -2.5, score 7.59 → 7.6, so -4.3 points.
    explained = risk.explain(zeros(open_promise=1), DEFAULT_MODEL)
    assert explained.score == Decimal("7.6")
    assert points(explained) == {"open_promise": Decimal("-4.3")}


def test_top_factors_are_the_positive_ones_largest_first():
    explained = risk.explain(zeros(late_history=0.5, open_dispute=1, open_promise=1), DEFAULT_MODEL)
    assert [c.factor for c in risk.top(explained.factors)] == ["late_history", "open_dispute"]

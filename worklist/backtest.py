"""How good the risk score is: scored as of past month ends, compared with what happened.

At each month end of the period, the invoices then open and not yet due are scored with what
was known at that month end (`risk.scored_rows`), and their outcome is read from today's data:
late when paid after the due date (or not paid at all). Invoices whose outcome is not known
yet (unpaid and not yet due today) are left out. The same rows get the simple baseline: the
customer's share of late invoices in the 12 months before the month end (for a customer
without history, the average of that share over the month end's other rows). For both, the
ROC AUC (the chance that a late invoice scores above an on-time one, ties counting half) and
the calibration: in ten bands of 10 points of score, how many invoices and how many were late.

One scoring query per month end (`MAX_MONTH_ENDS` at most), then one pass over the rows.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError

from metrics.scope import Scope, today
from worklist import risk
from worklist.errors import ErrorCode
from worklist.risk import Model

MAX_MONTH_ENDS = 36
BANDS = 10


@dataclass(frozen=True)
class Band:
    """Invoices whose score (0-100) fell in [low, high) (the last band includes 100)."""

    low: int
    high: int
    count: int
    late: int
    late_share: float | None  # late / count, 0 to 1
    mean_score: float | None  # the band's average predicted chance of being late, 0 to 1


@dataclass(frozen=True)
class Quality:
    """ROC AUC and calibration bands of one predictor over the backtest's rows."""

    auc: float | None
    bands: tuple[Band, ...]


@dataclass(frozen=True)
class Backtest:
    start: date
    end: date
    scope: Scope
    model: Model
    month_ends: tuple[date, ...]
    count: int  # scored invoice snapshots (an invoice counts once per month end it was open)
    late: int
    score: Quality
    baseline: Quality


def month_ends(start: date, end: date) -> list[date]:
    """The last days of the months that fall within [start, end]."""
    ends = []
    year, month = start.year, start.month
    while True:
        last = date(year, month, calendar.monthrange(year, month)[1])
        if last > end:
            break
        if last >= start:
            ends.append(last)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def checked_month_ends(start: date, end: date) -> list[date]:
    """`month_ends`, refusing periods without any or with more than MAX_MONTH_ENDS.

    Raises:
        ValidationError: no_month_end, too_many_month_ends.
    """
    ends = month_ends(start, end)
    if not ends:
        raise ValidationError(
            {"end": ValidationError("The period contains no month end.", ErrorCode.NO_MONTH_END)}
        )
    if len(ends) > MAX_MONTH_ENDS:
        raise ValidationError(
            {
                "end": ValidationError(
                    f"The period contains more than {MAX_MONTH_ENDS} month ends.",
                    ErrorCode.TOO_MANY_MONTH_ENDS,
                )
            }
        )
    return ends


def auc(predictions: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """ROC AUC by the Mann-Whitney statistic with average ranks for ties; None without both
    outcomes."""
    positives = sum(outcomes)
    negatives = len(outcomes) - positives
    if not positives or not negatives:
        return None
    order = sorted(range(len(predictions)), key=lambda i: predictions[i])
    rank_sum = 0.0
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and predictions[order[j + 1]] == predictions[order[i]]:
            j += 1
        average_rank = (i + j) / 2 + 1  # ranks i+1..j+1
        rank_sum += average_rank * sum(outcomes[order[k]] for k in range(i, j + 1))
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def calibration(predictions: Sequence[float], outcomes: Sequence[int]) -> tuple[Band, ...]:
    """Ten bands of predicted chance (0-0.1, ..., 0.9-1): count, late, late share, mean."""
    counts, lates, sums = [0] * BANDS, [0] * BANDS, [0.0] * BANDS
    for p, late in zip(predictions, outcomes, strict=True):
        band = min(int(p * BANDS), BANDS - 1)
        counts[band] += 1
        lates[band] += late
        sums[band] += p
    step = 100 // BANDS
    return tuple(
        Band(
            low=b * step,
            high=(b + 1) * step,
            count=counts[b],
            late=lates[b],
            late_share=round(lates[b] / counts[b], 4) if counts[b] else None,
            mean_score=round(sums[b] / counts[b], 4) if counts[b] else None,
        )
        for b in range(BANDS)
    )


def quality(predictions: Sequence[float], outcomes: Sequence[int]) -> Quality:
    value = auc(predictions, outcomes)
    return Quality(None if value is None else round(value, 4), calibration(predictions, outcomes))


def snapshots(
    scope: Scope, ends: Sequence[date], model: Model, *, known_by: date, not_yet_due: bool
) -> list[tuple[date, risk.ScoredRow]]:
    """The invoices open at each month end with a known outcome, scored as of that date."""
    rows = []
    for end in ends:
        scored = risk.scored_rows(scope, end, model, limit=None, outcome_known_by=known_by)
        for row in scored.rows:
            if not_yet_due and row.values["days_past_due"] > 0:
                continue
            rows.append((end, row))
    return rows


def baseline_of(rows: list[tuple[date, risk.ScoredRow]]) -> list[float]:
    """The customer's late share of the 12 months before the month end; without history, the
    average late share of the month end's rows that have one."""
    shares: dict[date, list[float]] = {}
    for end, row in rows:
        if not row.values["no_history"]:
            shares.setdefault(end, []).append(row.values["late_history"])
    average = {end: sum(values) / len(values) for end, values in shares.items()}
    return [
        average.get(end, 0.0) if row.values["no_history"] else row.values["late_history"]
        for end, row in rows
    ]


def backtest(
    scope: Scope, start: date, end: date, *, model: Model | None = None, known_by=None
) -> Backtest:
    """Score the invoices open and not yet due at each month end of [start, end] as of that
    month end; compare with whether they were paid late, and do the same for the baseline.

    Args:
        scope: filters and currency (its own period is not used).
        start, end: the period whose month ends are scored.
        model: the weights (the current model by default).
        known_by: the day outcomes are read on (today by default).

    Returns:
        A `Backtest` with the AUC and calibration bands of the score and of the baseline.

    Raises:
        ValidationError: no_month_end, too_many_month_ends.
    """
    ends = checked_month_ends(start, end)
    model = model or risk.current_model()
    rows = snapshots(scope, ends, model, known_by=known_by or today(), not_yet_due=True)
    outcomes = [row.late for _, row in rows]
    predictions = [risk.score_of(row.values, model) for _, row in rows]
    return Backtest(
        start=start,
        end=end,
        scope=scope,
        model=model,
        month_ends=tuple(ends),
        count=len(rows),
        late=sum(outcomes),
        score=quality(predictions, outcomes),
        baseline=quality(baseline_of(rows), outcomes),
    )


def previous_year(d: date) -> tuple[date, date]:
    """The twelve month ends before the month of d (a default backtest period)."""
    end = d.replace(day=1) - timedelta(days=1)
    return end.replace(day=1) - timedelta(days=334), end

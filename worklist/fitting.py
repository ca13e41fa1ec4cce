"""Fitting the risk model: a logistic regression of the outcome on the factors, stored.

The training rows are the invoices open at each month end of a period (not yet due and past
due alike, so that days past due gets its weight), scored with what was known then, and
labelled with what happened (`risk.late_q`), as far as it is known today. scikit-learn's
`LogisticRegression` (L2, lbfgs: deterministic) fits the weights on the factor values as the
scoring query computes them, so each weight times a value is exactly the factor's term in
the log-odds the API explains.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from metrics.scope import Scope, today
from worklist import backtest, risk
from worklist.errors import ErrorCode
from worklist.models import RiskModel


def fit(
    scope: Scope,
    start: date,
    end: date,
    *,
    known_by: date | None = None,
    regularization: float = 1.0,
    description: str = "",
) -> RiskModel:
    """Fit the weights on the month ends of [start, end] and store them as the current model.

    Args:
        scope: filters and currency of the training invoices.
        start, end: the period whose month ends give the training snapshots.
        known_by: the day outcomes are read on (today by default).
        regularization: scikit-learn's C (inverse L2 strength).
        description: what the model was fitted on, for people.

    Returns:
        The stored `RiskModel`.

    Raises:
        ValidationError: no_month_end, too_many_month_ends, not_enough_outcomes (no late or
            no on-time invoice among the training rows).
    """
    from sklearn.linear_model import LogisticRegression

    ends = backtest.checked_month_ends(start, end)
    rows = backtest.snapshots(
        scope, ends, risk.DEFAULT_MODEL, known_by=known_by or today(), not_yet_due=False
    )
    outcomes = [row.late for _, row in rows]
    if len(set(outcomes)) < 2:
        raise ValidationError(
            "The training rows need both late and on-time invoices.", ErrorCode.NOT_ENOUGH_OUTCOMES
        )
    features = [[row.values[key] for key in risk.FACTOR_KEYS] for _, row in rows]
    regression = LogisticRegression(C=regularization, max_iter=1000)
    regression.fit(features, outcomes)
    return RiskModel.objects.create(
        fitted_at=timezone.now(),
        currency=scope.currency,
        training_start=ends[0],
        training_end=ends[-1],
        training_rows=len(rows),
        late_share=round(sum(outcomes) / len(outcomes), 4),
        intercept=float(regression.intercept_[0]),
        coefficients={
            key: float(weight)
            for key, weight in zip(risk.FACTOR_KEYS, regression.coef_[0], strict=True)
        },
        description=description,
    )

"""The payment-risk score of open invoices: its factors, weights and the one scoring query.

The score of an invoice open at `as_of` is the likelihood, 0 to 100, that it is paid late:
after its due date when it is not yet due, still unpaid 30 days after `as_of` when it is
already past due. It is a logistic model, score = 100 / (1 + e^-L), whose log-odds
L = intercept + Σ weight × factor value add up one term per factor of `FACTORS`. The weights
are the latest `RiskModel` fitted by `manage.py fit_risk_model`, or `DEFAULT_MODEL` before
any is fitted.

Only what was known at `as_of` enters a factor: invoices due before it (paid by their due
date or not), promises due before it with their status (kept means the promised cash was
applied by the promised date, so before `as_of`), disputes opened on or before it and not
resolved by then, activities on or before it. That is what lets `worklist.backtest` score the
past and compare with what happened.

Everything is computed in the database by one statement (`scored_rows`): the open invoices
in scope, their customers' 12-month history and promises, the factor values, the log-odds,
the ranking and the page, with the total count. Python then explains the rows of the page
(`explain`): each factor's points, which add up to the score exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, connections
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Least
from django.utils import timezone
from django.utils.timezone import get_current_timezone

from metrics.scope import Scope
from o2c_api.expressions import DaysBetween
from o2c_api.money import ZERO, money_field, summed
from o2c_api.routers import read_alias
from receivables import predicates
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    PaymentApplication,
    PromiseToPay,
)

HISTORY_DAYS = 365  # the customer's history: invoices and promises due in the year before
RECENT_DAYS = 90  # the trend compares the last quarter of that year with the whole year
PAST_DUE_HORIZON_DAYS = 30  # a past-due invoice is late when still unpaid this long after
MAX_DAYS_LATE = 90  # caps of the day-based factors, so one outlier cannot dominate
MAX_DAYS_PAST_DUE = 180
MAX_AMOUNT_LOG_RATIO = 3.0


@dataclass(frozen=True)
class Factor:
    """One term of the log-odds: its key, label, what its value is, and its default weight."""

    key: str
    label: str
    value: str
    default_weight: float


# The value of each factor is what its SQL in `_FACTOR_SQL` computes; the default weights are
# a prior written by hand (a late payer's invoices are late, disputes and broken promises
# hold cash, age makes it worse, an open promise helps), used until a model is fitted.
FACTORS: tuple[Factor, ...] = (
    Factor(
        "late_history",
        "Late payments",
        "share of the customer's invoices due in the 12 months before as_of that were not "
        "settled by their due date (0 to 1)",
        3.0,
    ),
    Factor(
        "days_late",
        "How late",
        "average days those late invoices were late (by as_of, at most 90), in months of 30 days",
        0.6,
    ),
    Factor(
        "trend",
        "Trend",
        "late share of the last 90 days minus late share of the 12 months (-1 to 1)",
        1.5,
    ),
    Factor(
        "no_history",
        "No history",
        "1 when the customer had no invoice due in the 12 months before as_of",
        0.5,
    ),
    Factor(
        "broken_promises",
        "Broken promises",
        "share of the customer's promises due in the 12 months before as_of that were not "
        "kept (0 to 1); promise reliability is 1 minus it",
        1.5,
    ),
    Factor("open_dispute", "Open dispute", "1 when the invoice has a dispute open at as_of", 1.5),
    Factor(
        "days_past_due",
        "Days past due",
        "days past the due date at as_of (at most 180), in months of 30 days",
        0.6,
    ),
    Factor(
        "amount",
        "Amount vs usual",
        "natural log of the invoice amount over the customer's average amount in those 12 "
        "months (-3 to 3; 0 without history)",
        0.3,
    ),
    Factor(
        "open_promise",
        "Open promise",
        "1 when a promise to pay on the invoice, made by as_of, falls due on or after as_of",
        -0.5,
    ),
)
FACTOR_KEYS = tuple(f.key for f in FACTORS)
LABELS = {f.key: f.label for f in FACTORS}
DEFAULT_INTERCEPT = -2.0


@dataclass(frozen=True)
class Model:
    """The weights that score: a fitted `RiskModel` or the default ones."""

    source: str  # "fitted" or "default"
    intercept: float
    weights: tuple[tuple[str, float], ...]  # (factor key, weight), in FACTORS order
    id: int | None = None
    fitted_at: datetime | None = None
    training_start: date | None = None
    training_end: date | None = None
    training_rows: int | None = None
    description: str = ""

    def weight(self, key: str) -> float:
        return dict(self.weights)[key]


DEFAULT_MODEL = Model(
    source="default",
    intercept=DEFAULT_INTERCEPT,
    weights=tuple((f.key, f.default_weight) for f in FACTORS),
    description="Default weights written by hand (worklist.risk.FACTORS); no model fitted yet.",
)


def current_model() -> Model:
    """The latest fitted `RiskModel` as a `Model`, or `DEFAULT_MODEL` (one query)."""
    from worklist.models import RiskModel

    fitted = RiskModel.objects.first()
    if fitted is None:
        return DEFAULT_MODEL
    return model_of(fitted)


def model_of(fitted) -> Model:
    """A stored `RiskModel` as a `Model` (factors it does not know weigh 0)."""
    return Model(
        source="fitted",
        intercept=fitted.intercept,
        weights=tuple((key, float(fitted.coefficients.get(key, 0.0))) for key in FACTOR_KEYS),
        id=fitted.pk,
        fitted_at=fitted.fitted_at,
        training_start=fitted.training_start,
        training_end=fitted.training_end,
        training_rows=fitted.training_rows,
        description=fitted.description,
    )


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One factor of one invoice: its value and the score points it adds (may be negative)."""

    factor: str
    label: str
    value: float
    points: Decimal


@dataclass(frozen=True)
class Explained:
    """A score 0-100 (one decimal) and its base and factor points, which add up to it."""

    score: Decimal
    base: Decimal
    factors: tuple[Contribution, ...]


ONE_DECIMAL = Decimal("0.1")


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def explain(values: dict[str, float], model: Model) -> Explained:
    """Score the factor values with the model and split the score into points per factor.

    The base is the score of an invoice whose factors are all 0 (100·σ(intercept)). The rest,
    score − base, is shared among the factors in proportion to their log-odds terms
    (weight × value): that is the slope of the sigmoid between the base and the invoice's
    log-odds, the same for every factor, so a factor twice as heavy in the log-odds gets twice
    the points, and the points add up exactly (in exact decimals, after rounding to one
    decimal; the rounding difference goes to the largest term).

    Args:
        values: the value of every factor key.
        model: the weights.

    Returns:
        The score, the base and one `Contribution` per factor, in `FACTORS` order.
    """
    terms = [model.weight(key) * values[key] for key in FACTOR_KEYS]
    logit = model.intercept + sum(terms)
    base = 100.0 * _sigmoid(model.intercept)
    score = 100.0 * _sigmoid(logit)
    spread = logit - model.intercept
    # With no spread the secant is the tangent: the sigmoid's derivative at the base.
    slope = (score - base) / spread if abs(spread) > 1e-12 else base * (1.0 - base / 100.0)
    rounded_score = _one_decimal(score)
    rounded_base = _one_decimal(base)
    points = [_one_decimal(slope * term) for term in terms]
    residual = rounded_score - rounded_base - sum(points, Decimal("0.0"))
    if residual and terms:
        largest = max(range(len(terms)), key=lambda i: (abs(terms[i]), -i))
        points[largest] += residual
    return Explained(
        score=rounded_score,
        base=rounded_base,
        factors=tuple(
            Contribution(key, LABELS[key], round(values[key], 4), points[i])
            for i, key in enumerate(FACTOR_KEYS)
        ),
    )


def _one_decimal(x: float) -> Decimal:
    return Decimal(repr(x)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def score_of(values: dict[str, float], model: Model) -> float:
    """The unrounded probability (0 to 1) of the factor values under the model."""
    return _sigmoid(model.intercept + sum(model.weight(k) * values[k] for k in FACTOR_KEYS))


# --- the scoring query -------------------------------------------------------------------------


def next_midnight(d: date) -> datetime:
    """The first moment after day d, in the project's time zone (activities are timestamps)."""
    return datetime.combine(d + timedelta(days=1), time.min, tzinfo=get_current_timezone())


def open_amount_at(d: date):
    """An invoice's open amount at the end of day d: today's open amount plus what moved it
    after d (the services keep open_amount = amount − applications − adjustments)."""

    def moved_after(model, date_field: str):
        return Coalesce(
            Subquery(
                model.objects.filter(invoice_id=OuterRef("pk"), **{f"{date_field}__gt": d})
                .order_by()
                .values("invoice_id")
                .annotate(total=Sum("amount"))
                .values("total"),
                output_field=money_field(),
            ),
            Value(ZERO),
            output_field=money_field(),
        )

    return (
        F("open_amount")
        + moved_after(PaymentApplication, "applied_date")
        + moved_after(Adjustment, "adjustment_date")
    )


def last_activity_at(d: date) -> Subquery:
    """When the latest collection activity on the invoice up to the end of day d happened."""
    return Subquery(
        CollectionActivity.objects.filter(
            invoice_id=OuterRef("pk"), occurred_at__lt=next_midnight(d)
        )
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )


def late_q(d: date) -> Q:
    """For invoices open at d: what the score predicts. Paid after the due date when not yet
    due at d; still unpaid PAST_DUE_HORIZON_DAYS after d when already past due."""
    horizon = d + timedelta(days=PAST_DUE_HORIZON_DAYS)
    return (Q(due_date__gte=d) & (Q(paid_date__isnull=True) | Q(paid_date__gt=F("due_date")))) | (
        Q(due_date__lt=d) & (Q(paid_date__isnull=True) | Q(paid_date__gt=horizon))
    )


def known_q(d: date, today: date) -> Q:
    """The outcome of `late_q` is known by `today`: settled, or its horizon has passed."""
    horizon = d + timedelta(days=PAST_DUE_HORIZON_DAYS)
    q = Q(paid_date__isnull=False) | Q(due_date__gte=d, due_date__lt=today)
    if horizon < today:
        q |= Q(due_date__lt=d)
    return q


def _open_invoices(
    scope: Scope,
    d: date,
    no_activity_days: int | None,
    outcome: date | None,
):
    """The invoices open at d in the scope, with the columns the factors read off them.

    `predicates.open_at` in its two disjoint parts, not settled and settled after d (as
    `metrics.engine.aging` reads them): the first is answered from the covering partial index
    of unpaid invoices alone (an index-only scan: at 1M invoices, 25 ms instead of 110 ms
    fetching their scattered heap pages), the second is a few rows of `invoice_settled_covering`.

    Their disputes, promises and what moved them after d are joined in `scored_rows` from
    small grouped sets (`_invoice_sets`) rather than probed once per invoice: at 1M invoices
    about 54k are open today, and four probes each cost more than grouping the few rows.
    """

    def part(settled: Q):
        qs = Invoice.objects.filter(
            predicates.counting() & predicates.issued_by(d) & settled & in_scope(scope)
        )
        annotations = {
            "risk_past_due": DaysBetween(Value(d), F("due_date")),
            # The amount factor's float, cast once per invoice (`_FACTOR_SQL`).
            "risk_amount": Cast("amount", FloatField()),
        }
        fields = ["id", "customer_id", "open_amount", "risk_past_due", "risk_amount"]
        if outcome is not None:
            annotations["risk_late"] = Case(When(late_q(d), then=Value(1)), default=Value(0))
            qs = qs.filter(known_q(d, outcome))
            fields.append("risk_late")
        if no_activity_days is not None:
            # A filter, so a probe per open invoice of the (invoice, occurred_at) index.
            annotations["risk_activity"] = last_activity_at(d)
        qs = qs.annotate(**annotations)
        if no_activity_days is not None:
            since = next_midnight(d) - timedelta(days=no_activity_days)
            qs = qs.filter(Q(risk_activity__isnull=True) | Q(risk_activity__lt=since))
        return qs.values(*fields).order_by()

    return part(Q(paid_date__isnull=True)).union(part(Q(paid_date__gt=d)), all=True).order_by()


def _invoice_sets(d: date) -> dict:
    """Per invoice: applications and adjustments dated after d (to add back to today's open
    amount), disputes open at d, promises open at d. Each a small grouped query."""

    def moved_after(model, date_field: str):
        return (
            model.objects.filter(**{f"{date_field}__gt": d})
            .values("invoice_id")
            .annotate(total=Sum("amount"))
            .values("invoice_id", "total")
            .order_by()
        )

    disputes = (
        Dispute.objects.filter(opened_date__lte=d)
        .filter(Q(resolved_date__isnull=True) | Q(resolved_date__gt=d))
        .values("invoice_id")
        .annotate(n=Count("id"))
        .values("invoice_id", "n")
        .order_by()
    )
    promises = (
        PromiseToPay.objects.filter(created_date__lte=d, promised_date__gte=d)
        .values("invoice_id")
        .annotate(n=Count("id"))
        .values("invoice_id", "n")
        .order_by()
    )
    return {
        "ma": moved_after(PaymentApplication, "applied_date"),
        "mj": moved_after(Adjustment, "adjustment_date"),
        "od": disputes,
        "op": promises,
    }


def in_scope(scope: Scope) -> Q:
    """Invoices in the scope's dimensions and currency; for a user limited to their own
    customers (`Scope.customers_of`), only those customers' (one subquery on the user's id,
    so the query count does not change)."""
    return predicates.invoice_dimensions(**scope.filters())


def _customers_in(scope: Scope, d: date, path: str, candidates: bool) -> Q:
    """Customers whose history is needed: those of the open invoices in scope (`path` leads
    from the rows filtered to their customer's id). Nothing to filter for every customer.
    With `candidates`, those of the scored invoices alone (the statement's `o`, `_Cut`)."""
    if candidates:
        return Q(**{f"{path}__in": RawSQL("SELECT o.customer_id FROM o", [])})
    if scope.customer is not None:
        return Q(**{path: scope.customer})
    narrowed = (scope.rep, scope.product_line, scope.segment, scope.customers_of)
    if all(value is None for value in narrowed):
        return Q()
    open_in_scope = Invoice.objects.filter(predicates.open_at(d) & in_scope(scope)).values(
        "customer_id"
    )
    return Q(**{f"{path}__in": open_in_scope})


def _history(scope: Scope, d: date, candidates: bool):
    """Per customer: its invoices due in the year before d, how many were late (not settled
    by their due date), their days late by d, the same for the last 90 days, and amounts."""
    late = Q(paid_date__isnull=True) | Q(paid_date__gt=F("due_date"))
    recent = Q(due_date__gte=d - timedelta(days=RECENT_DAYS))
    settled_or_d = Least(Coalesce("paid_date", Value(d)), Value(d), output_field=DateField())
    return (
        Invoice.objects.filter(
            predicates.counting(),
            _customers_in(scope, d, "customer_id", candidates),
            currency=scope.currency,
            due_date__gte=d - timedelta(days=HISTORY_DAYS),
            due_date__lt=d,
        )
        .values("customer_id")
        .annotate(
            n=Count("id"),
            late=Count("id", filter=late),
            late_days=Sum(DaysBetween(settled_or_d, F("due_date")), filter=late),
            n_recent=Count("id", filter=recent),
            late_recent=Count("id", filter=late & recent),
            amount_sum=Sum("amount"),
            # The amount factor's float, cast once per customer (`_FACTOR_SQL`).
            amount_float=Cast(Sum("amount"), FloatField()),
        )
        .values(
            "customer_id",
            "n",
            "late",
            "late_days",
            "n_recent",
            "late_recent",
            "amount_sum",
            "amount_float",
        )
        .order_by()
    )


def _promises(scope: Scope, d: date, candidates: bool):
    """Per customer: promises made by d and due in the year before it, and those not kept."""
    return (
        PromiseToPay.objects.filter(
            _customers_in(scope, d, "customer_id", candidates),
            created_date__lte=d,
            promised_date__gte=d - timedelta(days=HISTORY_DAYS),
            promised_date__lt=d,
        )
        .values(risk_customer=F("customer_id"))
        .annotate(due=Count("id"), broken=Count("id", filter=~Q(status="kept")))
        .values("risk_customer", "due", "broken")
        .order_by()
    )


def _ratio(num: str, den: str) -> str:
    return f"(CAST({num} AS DOUBLE PRECISION) / {den})"


def _clip(sql: str, low: float | None, high: float) -> str:
    clipped = f"(CASE WHEN {sql} > {high} THEN {high} ELSE {sql} END)"
    if low is None:
        return clipped
    return f"(CASE WHEN {sql} < {low} THEN {low} ELSE {clipped} END)"


# Each factor's value from the open invoice (o), its customer's history (h) and promises (p).
# Portable SQL (PostgreSQL and SQLite): CASE rather than LEAST/GREATEST, explicit casts.
# PostgreSQL casts a decimal to a float through its text, and SQL repeats an expression
# wherever it is read (the amount's logarithm thrice in its clip): the amount and the
# customer's sum of amounts come as floats from `o` and `h`, cast once per invoice and per
# customer rather than six times per invoice (at 1M invoices, about 60 of the statement's
# 510 ms of CPU). The same casts of the same values, so the same factor.
_FACTOR_SQL = {
    "late_history": f"(CASE WHEN h.n > 0 THEN {_ratio('h.late', 'h.n')} ELSE 0 END)",
    "days_late": "(CASE WHEN h.late > 0 THEN "
    f"{_clip(_ratio('h.late_days', 'h.late'), None, MAX_DAYS_LATE)} / 30.0 ELSE 0 END)",
    "trend": "(CASE WHEN h.n_recent > 0 THEN "
    f"{_ratio('h.late_recent', 'h.n_recent')} - {_ratio('h.late', 'h.n')} ELSE 0 END)",
    "no_history": "(CASE WHEN h.n IS NULL THEN 1 ELSE 0 END)",
    "broken_promises": f"(CASE WHEN p.due > 0 THEN {_ratio('p.broken', 'p.due')} ELSE 0 END)",
    "open_dispute": "(CASE WHEN od.n > 0 THEN 1 ELSE 0 END)",
    "days_past_due": "(CASE WHEN o.risk_past_due > 0 THEN "
    f"{_clip('o.risk_past_due', None, MAX_DAYS_PAST_DUE)} / 30.0 ELSE 0 END)",
    "amount": "(CASE WHEN h.amount_sum > 0 THEN "
    + _clip(
        "LN(o.risk_amount * h.n / h.amount_float)",
        -MAX_AMOUNT_LOG_RATIO,
        MAX_AMOUNT_LOG_RATIO,
    )
    + " ELSE 0 END)",
    "open_promise": "(CASE WHEN op.n > 0 THEN 1 ELSE 0 END)",
}
ORDERINGS = ("cash_at_risk", "score")


@dataclass(frozen=True)
class ScoredRow:
    """One open invoice as the scoring query returns it: factor values, log-odds and counts."""

    invoice_id: int
    customer_id: int
    values: dict[str, float]
    logit: float
    late: int | None  # the outcome (1 late, 0 not), when asked for
    history: dict[str, int]  # the customer's counts behind the factors


@dataclass(frozen=True)
class Scored:
    rows: tuple[ScoredRow, ...]
    count: int


@dataclass(frozen=True)
class _Cut:
    """The invoices a statement scores, when not every open invoice in scope: the `largest`
    open amounts at as_of (that many), or those whose open amount (as the float the ranking
    divides) is `at_least` a bound. Their customers' histories alone are read."""

    largest: int | None = None
    at_least: float | None = None


def _scoring_ctes(
    scope: Scope,
    as_of: date,
    model: Model,
    no_activity_days: int | None,
    outcome_known_by: date | None,
    cut: _Cut | None = None,
) -> tuple[str, list]:
    """`WITH …` of the scoring statement, ending in `s`: one row per scored invoice with its
    factor values (f_*), history counts, open amount at as_of (`open_amount` as a float for the
    ranking, `open_exact` as a decimal) and log-odds. `a` holds every open invoice in scope,
    `o` those scored (all of them, or the `cut`). Shared by `scored_rows` and `band_totals`, so
    both score with the same SQL."""
    open_at = "a.open_amount + COALESCE(ma.total, 0) + COALESCE(mj.total, 0)"
    ctes, params = [], []

    def add(name: str, qs, materialized: bool = False) -> None:
        sql, part_params = qs.query.sql_with_params()
        ctes.append(f"{name} AS {'MATERIALIZED ' if materialized else ''}({sql})")
        params.extend(part_params)

    add("a", _open_invoices(scope, as_of, no_activity_days, outcome_known_by))
    for name, qs in _invoice_sets(as_of).items():
        add(name, qs)
    scored = (
        f"SELECT a.*, CAST({open_at} AS DOUBLE PRECISION) AS open_float, {open_at} AS open_exact "
        "FROM a LEFT JOIN ma ON ma.invoice_id = a.id LEFT JOIN mj ON mj.invoice_id = a.id"
    )
    if cut is not None and cut.at_least is not None:
        scored += f" WHERE CAST({open_at} AS DOUBLE PRECISION) >= %s"
        params.append(cut.at_least)
    if cut is not None and cut.largest is not None:
        scored += " ORDER BY open_exact DESC, a.id LIMIT %s"
        params.append(cut.largest)
    ctes.append(f"o AS ({scored})")
    # The customers' histories computed once, by themselves (PostgreSQL): inlined, PostgreSQL
    # may run the whole statement in parallel workers that each aggregate the year of history
    # again (at 1M invoices, 340 ms in each of three processes instead of 145 ms once).
    add(
        "h",
        _history(scope, as_of, candidates=cut is not None),
        materialized=connection.vendor == "postgresql",
    )
    add("p", _promises(scope, as_of, candidates=cut is not None))
    factor_columns = ", ".join(f"{_FACTOR_SQL[key]} AS f_{key}" for key in FACTOR_KEYS)
    history_columns = "h.n AS h_n, h.late AS h_late, p.due AS p_due, p.broken AS p_broken"
    late_column = ", o.risk_late AS late" if outcome_known_by is not None else ""
    ctes.append(
        "f AS (SELECT o.id AS id, o.customer_id AS customer_id, "
        "o.open_float AS open_amount, o.open_exact AS open_exact, "
        f"{factor_columns}, {history_columns}{late_column} "
        "FROM o LEFT JOIN h ON h.customer_id = o.customer_id "
        "LEFT JOIN p ON p.risk_customer = o.customer_id "
        "LEFT JOIN od ON od.invoice_id = o.id LEFT JOIN op ON op.invoice_id = o.id)"
    )
    logit = " + ".join(["%s", *(f"%s * f.f_{key}" for key in FACTOR_KEYS)])
    params.extend([model.intercept, *(model.weight(key) for key in FACTOR_KEYS)])
    ctes.append(f"s AS (SELECT f.*, ({logit}) AS logit FROM f)")
    return f"WITH {', '.join(ctes)}", params


# Cash at risk, the worklist's ranking: open amount × likelihood of being late.
_CASH_AT_RISK = "s.open_amount / (1.0 + EXP(-s.logit))"
# A page of the worklist reaching this far down (offset + limit) is cut (`_page_cut`) ...
CUT_REACH = 2000
# ... from a first scoring of this many times as many of the largest open amounts.
CUT_CANDIDATES = 4


def _page_cut(
    scope: Scope, as_of: date, model: Model, no_activity_days: int | None, reach: int
) -> _Cut | None:
    """The invoices that can be on a worklist page ending at row `reach`, found exactly
    without scoring every open invoice in scope (one statement).

    Cash at risk is the open amount times a likelihood below one, so it is never more than
    the open amount. The `reach` × CUT_CANDIDATES largest open amounts are scored first; the
    `reach`-th cash at risk among them, T, is reached by at least `reach` invoices, so an
    invoice whose open amount is below T ranks below all of them and cannot be on the page.
    The page is then ranked among the invoices whose open amount is at least T: at 1M
    invoices a few hundred of 54k, with their customers' histories alone (the year of history
    of every customer was half the cost of scoring them all).

    Returns:
        The cut, or None (score every invoice) when fewer than `reach` are open.
    """
    ctes, params = _scoring_ctes(
        scope, as_of, model, no_activity_days, None, _Cut(largest=reach * CUT_CANDIDATES)
    )
    sql = f"{ctes} SELECT {_CASH_AT_RISK} FROM s ORDER BY 1 DESC, s.id LIMIT 1 OFFSET %s"
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, [*params, reach - 1])
        row = cursor.fetchone()
    return None if row is None else _Cut(at_least=float(row[0]))


def scored_rows(
    scope: Scope,
    as_of: date,
    model: Model,
    *,
    ordering: str = "score",
    no_activity_days: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    outcome_known_by: date | None = None,
) -> Scored:
    """Score the invoices open at `as_of` in the scope in one statement; return a page.

    A worklist page (cash at risk, not deeper than CUT_REACH rows) takes a statement more and
    scores only the invoices that can be on it (`_page_cut`): the same page as scoring them
    all. Otherwise every open invoice in scope is scored.

    Args:
        scope: dimension filters and currency (its period is not used).
        as_of: the day the score is computed for, with what was known by its end.
        model: the weights.
        ordering: "score" (highest first) or "cash_at_risk" (open amount × score, highest
            first); the invoice id breaks ties.
        no_activity_days: keep only invoices without a collection activity in the last N days.
        limit: page size (None: every row, for the backtest and the fit).
        offset: rows skipped.
        outcome_known_by: when set, keep only invoices whose outcome (`late_q`) is known by
            that day and return it (backtest and fit).

    Returns:
        The page of rows and the total count of rows in scope (before the page).
    """
    if ordering not in ORDERINGS:
        raise ValueError(ordering)
    cut = None
    if (
        ordering == "cash_at_risk"
        and limit is not None
        and offset + limit <= CUT_REACH
        and outcome_known_by is None
    ):
        cut = _page_cut(scope, as_of, model, no_activity_days, offset + limit)
    ctes, params = _scoring_ctes(scope, as_of, model, no_activity_days, outcome_known_by, cut)
    rank = "s.logit" if ordering == "score" else _CASH_AT_RISK
    # The count from the open invoices alone: COUNT(*) OVER () over `s` kept every scored row,
    # factors and all, before the page was cut (a fifth of the statement at 1M invoices).
    sql = f"{ctes} SELECT s.*, (SELECT COUNT(*) FROM a) AS total FROM s ORDER BY {rank} DESC, s.id"
    if limit is not None:
        sql += " LIMIT %s OFFSET %s"
        params.extend([limit, offset])
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        fetched = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    if fetched:
        total = fetched[0]["total"]
    elif offset:
        # A page past the end still says how many rows there are.
        total = _open_invoices(scope, as_of, no_activity_days, outcome_known_by).count()
    else:
        total = 0
    rows = tuple(
        ScoredRow(
            invoice_id=row["id"],
            customer_id=row["customer_id"],
            values={key: float(row[f"f_{key}"]) for key in FACTOR_KEYS},
            logit=float(row["logit"]),
            late=row.get("late"),
            history={
                "invoices": row["h_n"] or 0,
                "late": row["h_late"] or 0,
                "promises": row["p_due"] or 0,
                "broken": row["p_broken"] or 0,
            },
        )
        for row in fetched
    )
    return Scored(rows, total)


# The score bands of `band_totals`: 0-25, 25-50, 50-75, 75-100.
SCORE_BANDS = (Decimal(25), Decimal(50), Decimal(75))
HALF_POINT = Decimal("0.05")


def _logit(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


def band_totals(
    scope: Scope,
    as_of: date,
    model: Model,
    bounds: Sequence[Decimal] = SCORE_BANDS,
) -> dict[int, tuple[int, Decimal]]:
    """The invoices open at `as_of` in the scope, counted and summed by score band (one query).

    Band 0 is below bounds[0], band i holds scores from bounds[i-1] up to bounds[i], the last
    band scores of bounds[-1] and above. A score is banded as it is shown (one decimal, half
    up: `explain`), so 74.96 shown as 75.0 is in the band from 75: the boundary is the
    log-odds of bound − 0.05.

    Args:
        scope: dimension filters and currency (its period is not used).
        as_of: the day scored.
        model: the weights.
        bounds: increasing scores between 0 and 100 (exclusive).

    Returns:
        {band: (invoice count, open amount at as_of)}, only the bands that hold invoices.
    """
    ctes, params = _scoring_ctes(scope, as_of, model, None, None)
    case, case_params = _band_case(bounds)
    params.extend(case_params)
    sql = f"{ctes} SELECT {case} AS band, COUNT(*), SUM(s.open_exact) FROM s GROUP BY 1"
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {int(band): (int(count), summed(amount)) for band, count, amount in rows}


def _band_case(bounds: Sequence[Decimal]) -> tuple[str, list]:
    """The band of a scored row `s` (`band_totals`), as SQL and its parameters."""
    cases, params = [], []
    for band, bound in reversed(list(enumerate(bounds, start=1))):
        cases.append(f"WHEN s.logit >= %s THEN {band}")
        params.append(_logit(float((bound - HALF_POINT) / 100)))
    return f"CASE {' '.join(cases)} ELSE 0 END", params


def local_date(moment: datetime) -> date:
    """The day a timestamp falls on in the project's time zone."""
    return timezone.localtime(moment).date()


def top(contributions: Sequence[Contribution], n: int = 3) -> tuple[Contribution, ...]:
    """The n factors adding the most points (positive only), largest first."""
    adding = [c for c in contributions if c.points > 0]
    return tuple(sorted(adding, key=lambda c: (-c.points, FACTOR_KEYS.index(c.factor)))[:n])

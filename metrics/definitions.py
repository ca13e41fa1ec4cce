"""Every KPI of the spec: its key, label, unit, direction, glossary text and formula.

The formulas take the building-block results of one group and one period (`Inputs`) and
return an exact Decimal or None (zero denominator). They do no I/O: the queries are in
`metrics.blocks`, run once for all periods and groups by `metrics.engine`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from metrics.blocks import Movements
from metrics.scope import Period, month_windows

COUNTBACK_WINDOWS = 36
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Inputs:
    """What a formula may read for one group and one period."""

    movements: Movements | None
    rows: dict  # block name -> aggregated row of this group and period ({} when none)
    group: object
    period: Period

    def row(self, block: str) -> dict:
        return self.rows.get(block) or {}


def ratio(numerator, denominator) -> Decimal | None:
    """numerator ÷ denominator as a Decimal; None when the denominator is zero or missing."""
    if not denominator:
        return None
    return Decimal(numerator or 0) / Decimal(denominator)


def percent(numerator, denominator) -> Decimal | None:
    value = ratio(numerator, denominator)
    return None if value is None else value * HUNDRED


# --- formulas --------------------------------------------------------------------------


def _ar(i: Inputs) -> Decimal:
    return i.movements.ar(i.group, i.period.end)


def _current(i: Inputs) -> Decimal:
    return i.movements.current_ar(i.group, i.period.end)


def _sales(i: Inputs) -> Decimal:
    return i.movements.credit_sales(i.group, i.period)


def dso_of(ar: Decimal, sales: Decimal, days: int) -> Decimal | None:
    """DSO from AR(end), credit sales(P) and N: the formula of `_dso` and of a breakdown by
    customer (`OfBalance`)."""
    return ratio(ar * days, sales)


@dataclass(frozen=True)
class OfBalance:
    """A KPI that reads AR(end), credit sales(P) and N alone, as a function of them.

    A breakdown by customer computes it from one row per customer
    (`metrics.balances.balances_by_customer`) and ranks every customer in the database by
    `sql`, the same formula over the placeholders {ar}, {sales} and {days} (NULL where
    `compute` gives None); a test holds the two to the same order.
    """

    compute: Callable[[Decimal, Decimal, int], Decimal | None]
    sql: str


def _dso(i: Inputs) -> Decimal | None:
    return dso_of(_ar(i), _sales(i), i.period.days)


def _bpdso(i: Inputs) -> Decimal | None:
    return ratio(_current(i) * i.period.days, _sales(i))


def _add(i: Inputs) -> Decimal | None:
    dso, bpdso = _dso(i), _bpdso(i)
    return None if dso is None or bpdso is None else dso - bpdso


def _cei(i: Inputs) -> Decimal | None:
    opening = i.movements.ar(i.group, i.period.start - timedelta(days=1))
    sales = _sales(i)
    return percent(opening + sales - _ar(i), opening + sales - _current(i))


def countback_dates(period: Period) -> list:
    """The dates the countback of `period` needs in the AR movements (its window edges)."""
    dates = []
    for window in month_windows(period.end, COUNTBACK_WINDOWS):
        dates += [window.start - timedelta(days=1), window.end]
    return dates


def _countback(i: Inputs) -> Decimal | None:
    remaining = _ar(i)
    days = Decimal(0)
    for window in month_windows(i.period.end, COUNTBACK_WINDOWS):
        if remaining <= 0:
            return days
        sales = i.movements.credit_sales(i.group, window)
        if sales >= remaining:
            return days + Decimal(window.days) * remaining / sales
        days += window.days
        remaining -= sales
    return days if remaining <= 0 else None


def _pipeline(i: Inputs) -> Decimal | None:
    row = i.row("pipeline")
    won, lost = row.get("won") or 0, row.get("lost") or 0
    win_rate = ratio(won, won + lost)
    average_amount = ratio(row.get("won_amount"), won)
    average_cycle = ratio(row.get("won_days"), won)
    if win_rate is None or average_amount is None or not average_cycle:
        return None
    return Decimal(row.get("open") or 0) * win_rate * average_amount / average_cycle


def _block_ratio(block: str, numerator: str, denominator: str, scale: Decimal = HUNDRED):
    def formula(i: Inputs) -> Decimal | None:
        row = i.row(block)
        value = ratio(row.get(numerator), row.get(denominator))
        return None if value is None else value * scale

    return formula


# --- the registry ------------------------------------------------------------------------

MONEY, DAYS, PERCENT, MONEY_PER_DAY = "money", "days", "%", "money/day"
# Blocks: the AR movements, Current AR among them, and the countback windows.
LEDGER, CURRENT, COUNTBACK = "movements", "current", "countback"


@dataclass(frozen=True)
class KPI:
    """One KPI of the spec and its glossary entry."""

    key: str
    label: str
    unit: str
    better: str | None
    explanation: str
    formula: str
    blocks: tuple[str, ...]
    compute: Callable[[Inputs], Decimal | None]
    choices: tuple[str, ...] = ()
    group_bys: tuple[str, ...] = ("rep", "segment", "product_line", "customer")
    # For a KPI that reads nothing but AR(end), credit sales(P) and N: what `compute`
    # returns, as a function of them (a breakdown by customer reads one row per customer).
    of_balance: OfBalance | None = None


AR_CHOICES = (
    "Read from the daily AR rollup; with a customer filter (the rollup has no customer key) "
    "computed from the invoices, applications and adjustments with the same definition.",
    "Void and draft invoices never count, on any date (voiding removes an invoice from history).",
)
PERIOD_CHOICES = ("Periods are inclusive; N = end − start + 1 days.",)
NO_PRODUCT_LINE = ("rep", "segment", "customer")

KPIS: dict[str, KPI] = {
    k.key: k
    for k in (
        KPI(
            "ar_balance",
            "AR balance",
            MONEY,
            None,
            "What customers owe at the end of the period.",
            "AR(end) = Σ open amount at end over counting invoices issued by end",
            (LEDGER,),
            _ar,
            AR_CHOICES,
        ),
        KPI(
            "current_ar",
            "Current AR",
            MONEY,
            None,
            "The part of AR not yet past due at the end of the period.",
            "Current AR(end) = AR(end) over invoices with due_date >= end",
            (LEDGER, CURRENT),
            _current,
            AR_CHOICES + ("An invoice due on the as-of date itself is current.",),
        ),
        KPI(
            "past_due_ar",
            "Past-due AR",
            MONEY,
            "lower",
            "What customers owe that is already past its due date.",
            "AR(end) − Current AR(end)",
            (LEDGER, CURRENT),
            lambda i: _ar(i) - _current(i),
            AR_CHOICES,
        ),
        KPI(
            "credit_sales",
            "Credit sales",
            MONEY,
            None,
            "What was invoiced in the period.",
            "Σ amount of counting invoices with issue_date in P",
            (LEDGER,),
            _sales,
            AR_CHOICES,
        ),
        KPI(
            "collected",
            "Cash collected",
            MONEY,
            "higher",
            "Cash applied to invoices in the period.",
            "Σ application amounts with applied_date in P",
            (LEDGER,),
            lambda i: i.movements.collected(i.group, i.period),
            AR_CHOICES + ("Unapplied cash is not collected until it is applied to an invoice.",),
        ),
        KPI(
            "dso",
            "DSO",
            DAYS,
            "lower",
            "How many days of sales are tied up in receivables.",
            "AR(end) / Credit sales(P) × N",
            (LEDGER,),
            _dso,
            PERIOD_CHOICES + ("No credit sales in P: null.",),
            of_balance=OfBalance(dso_of, "{ar} * {days} / NULLIF({sales}, 0)"),
        ),
        KPI(
            "dso_countback",
            "Countback DSO",
            DAYS,
            "lower",
            "How many days of the most recent sales it takes to account for today's AR.",
            "walk back calendar-month windows from end, taking each window's credit sales off "
            "AR(end); full windows add their days, the last adds days × remaining ÷ its sales",
            (LEDGER, COUNTBACK),
            _countback,
            (
                "The first window is the 1st of end's month to end; then 35 whole months.",
                "AR(end) = 0 gives 0 days; AR not exhausted by 36 windows gives null.",
            ),
        ),
        KPI(
            "best_possible_dso",
            "Best possible DSO",
            DAYS,
            "lower",
            "DSO if every customer paid exactly on time (only current AR outstanding).",
            "Current AR(end) / Credit sales(P) × N",
            (LEDGER, CURRENT),
            _bpdso,
            PERIOD_CHOICES + ("No credit sales in P: null.",),
        ),
        KPI(
            "average_days_delinquent",
            "Average days delinquent",
            DAYS,
            "lower",
            "The days DSO adds beyond the best possible: the cost of late payment.",
            "DSO − best possible DSO",
            (LEDGER, CURRENT),
            _add,
            ("Null when DSO is null.",),
        ),
        KPI(
            "cei",
            "Collection effectiveness index",
            PERCENT,
            "higher",
            "How much of what could be collected in the period was collected.",
            "(AR(start−1) + Sales(P) − AR(end)) / (AR(start−1) + Sales(P) − Current AR(end)) × 100",
            (LEDGER, CURRENT),
            _cei,
            ("Denominator zero (nothing was collectable): null.",),
        ),
        KPI(
            "first_pass_yield",
            "First-pass yield",
            PERCENT,
            "higher",
            "Share of invoices that needed no dispute and no credit note.",
            "invoices issued in P with no dispute and no credit note / invoices issued in P × 100",
            ("invoice_quality",),
            _block_ratio("invoice_quality", "first_pass", "issued"),
            (
                "Disputes and credit notes count whenever they were recorded, also after P.",
                "Write-offs do not spoil the first pass (they are not a correction of the "
                "invoice); void and draft invoices are not counted.",
            ),
        ),
        KPI(
            "dispute_rate",
            "Dispute rate",
            PERCENT,
            "lower",
            "Share of invoices the customer disputed.",
            "invoices issued in P with at least one dispute / invoices issued in P × 100",
            ("invoice_quality",),
            _block_ratio("invoice_quality", "disputed", "issued"),
            ("Disputes count whenever they were opened, also after P.",),
        ),
        KPI(
            "dispute_resolution_days",
            "Dispute resolution time",
            DAYS,
            "lower",
            "Average days from opening a dispute to resolving it.",
            "mean(resolved_date − opened_date) over disputes resolved in P",
            ("dispute_resolution",),
            _block_ratio("dispute_resolution", "days", "resolved", Decimal(1)),
            ("Disputes on void invoices are not counted.",),
        ),
        KPI(
            "cash_application_match_rate",
            "Cash application match rate",
            PERCENT,
            "higher",
            "Share of payments applied in full without a person touching them.",
            "payments received in P fully applied, every application automatic / payments "
            "received in P × 100",
            ("payment_matching",),
            _block_ratio("payment_matching", "matched", "received"),
            (
                "Judged on the applications as they stand now.",
                "A payment takes its customer's current rep; payments have no product line, "
                "so the product-line filter does not narrow this KPI (no product-line "
                "breakdown).",
            ),
            NO_PRODUCT_LINE,
        ),
        KPI(
            "promise_kept_rate",
            "Promise kept rate",
            PERCENT,
            "higher",
            "Share of promises to pay that were kept.",
            "promises with promised_date in P kept / promises with promised_date in P × 100; "
            "kept: Σ applications to the invoice dated created_date..promised_date ≥ amount",
            ("promise_keeping",),
            _block_ratio("promise_keeping", "kept", "due"),
            (
                "Kept is derived from the applications, not from the stored status.",
                "Every application to the invoice in the window counts, also for other promises.",
            ),
        ),
        KPI(
            "time_to_invoice_days",
            "Time to invoice",
            DAYS,
            "lower",
            "Average days from booking an order to invoicing it.",
            "mean(issue_date − order.order_date) over counting invoices issued in P with an order",
            ("time_to_invoice",),
            _block_ratio("time_to_invoice", "days", "invoiced", Decimal(1)),
            ("Median and p90 interpolate linearly like PostgreSQL's percentile_cont.",),
        ),
        KPI(
            "pipeline_velocity",
            "Pipeline velocity",
            MONEY_PER_DAY,
            "higher",
            "Expected won revenue per day flowing out of the pipeline.",
            "(N_open × win rate × average won amount) / average won cycle days",
            ("pipeline",),
            _pipeline,
            (
                "Opportunities in the scope's currency; rep is the opportunity's own; no "
                "product line (the filter does not narrow it, no product-line breakdown).",
                "No won or lost opportunity, no won one, or a zero average cycle: null.",
            ),
            NO_PRODUCT_LINE,
        ),
        KPI(
            "reminder_conversion_rate",
            "Reminder conversion rate",
            PERCENT,
            "higher",
            "Share of reminders followed by cash on their invoice within 7 days.",
            "reminders sent in P whose invoice got an application dated sent..sent + 7 days / "
            "reminders sent in P × 100",
            ("reminder_funnel",),
            _block_ratio("reminder_funnel", "paid", "sent"),
            (
                "The sent date is the reminder's occurred_at date in the server's time zone.",
                "A reminder without an invoice counts as sent and never converts; it is in its "
                "customer's currency and matches no product line.",
            ),
        ),
    )
}

KEYS = tuple(KPIS)


# --- forward-looking reports ---------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """A forward-looking report of the spec (its "Forward-looking reports" section): not a
    KPI (no thresholds, series or breakdown), but in the glossary beside them. Computed by
    the `outlook` app."""

    key: str
    label: str
    unit: str
    explanation: str
    formula: str
    choices: tuple[str, ...] = ()


REPORTS: dict[str, Report] = {
    r.key: r
    for r in (
        Report(
            "dso_impact",
            "DSO impact",
            DAYS,
            "What DSO and working capital become if invoices go out sooner after the order "
            "and payments arrive sooner, for a share of credit sales.",
            "projected DSO = DSO − Σ levers (share ÷ 100 × days); working capital freed = "
            "(DSO − projected DSO) × Credit sales(P) ÷ N",
            (
                "Linear: each lever moves DSO by share × days, and the levers add up; "
                "projected DSO never goes below 0.",
                "DSO is the dso KPI of the same scope (same currency rule: the base currency "
                "when none is named); no credit sales: DSO, projected DSO and working capital "
                "freed are null.",
                "Measured levers shown beside it: the scope's time to invoice (mean and "
                "median) and average days delinquent.",
                "Days are 0 to 365, shares 0 to 100 (100 when omitted), at most 20 further "
                "scenarios written <days>:<share>.",
            ),
        ),
        Report(
            "cash_forecast",
            "Cash forecast",
            MONEY,
            "The cash expected each week after the as-of date from what customers owe then "
            "(and, optionally, from orders not yet invoiced).",
            "week k = as_of + 7(k−1) + 1 … as_of + 7k; Σ weeks + after horizon = AR(as_of) "
            "(+ open orders)",
            (
                "Only facts dated on or before the as-of date are used.",
                "An open promise puts what is left of it (at most the open amount) on its "
                "promised date.",
                "The rest of an invoice follows the customer's own cash of the 12 months "
                "before the as-of date, by days after the due date and counted per "
                "application, restricted to the part later than the invoice already is; the "
                "customer's history weighs n ÷ (n + 5) for its n such applications, the rest "
                "goes to the segment's history the same way, the rest of that to everyone's.",
                "An invoice under an open dispute follows the history of disputed invoices "
                "(source disputed); nothing in the history that late: after the horizon.",
                "Orders: expected to be invoiced the scope's mean time to invoice (12 months) "
                "after the order date, due after the customer's terms, then paid like the "
                "customer.",
                "Without a currency the scope's one currency is used; several: the request "
                "must name one (currency_required).",
                "Weeks are rounded to the cent by largest remainder, so they and the "
                "after-horizon amount add up exactly.",
            ),
        ),
        Report(
            "forecast_accuracy",
            "Forecast accuracy",
            PERCENT,
            "How far the cash forecast made at a past date was from the cash that came, "
            "next to two simple baselines.",
            "WAPE = Σ_k |forecast_k − actual_k| ÷ Σ_k actual_k × 100; actual_k = cash applied "
            "in week k to the invoices open at the as-of date",
            (
                "Baselines: every invoice paid on its due date; on its due date plus its "
                "customer's average days late (amount-weighted, negative when early; else the "
                "segment's, else everyone's). A date on or before the as-of date counts in "
                "week 1.",
                "The forecast is backtested without orders; the horizon must be over.",
                "Nothing collected in the horizon: WAPE is null.",
            ),
        ),
    )
}

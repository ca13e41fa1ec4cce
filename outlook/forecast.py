"""The 13-week cash forecast (its backtest is `outlook.backtest`).

Plain functions taking a validated `Scope` and an as-of date A, returning frozen dataclasses
with exact Decimals. REST (`outlook.api`) and GraphQL (`outlook.graphql`) only render them.

The model (the glossary states it in words, `metrics.definitions.REPORTS`). Week k covers
A + 7(k−1) + 1 … A + 7k. Only facts dated on or before A are read: invoices issued, cash
applied, adjustments, disputes opened (and not resolved by A) and promises made by A. For each
invoice open at A, with open amount at A:

- an open promise (made by A, promised date after A, not yet covered by cash applied since it
  was made) puts what is left of it, at most the open amount, on its promised date;
- the rest is spread over the days after A like the customer's own history: every
  application of the 12 months up to A, by days after its invoice's due date, each counting
  once (how invoices settle, not how big they were). Only the part of that history later
  than the invoice already is counts (an invoice 20 days late at A is expected where the
  customer paid later than 20 days), so the invoice's share on day A + n is the history's
  applications at lateness (A − due) + n over those later than A − due. The customer's
  history weighs n ÷ (n + CREDIBILITY) for its n such applications, the rest of the weight
  goes to its segment's history the same way, the rest of that to everyone's: a thin history
  leans on the wider one instead of letting one payment decide an invoice's week. When
  nothing in any history was ever that late, the amount is expected after the horizon;
- an invoice under a dispute open at A follows, the same way, the history of disputed
  invoices (applications to invoices with a dispute opened by the application's date), and is
  reported as the `disputed` source;
- with `include_orders`, what is not yet invoiced of each order booked by A (in the scope, not
  cancelled) is expected to be invoiced the scope's mean time-to-invoice (12 months to A) after
  the order date (the day after A at the earliest), due after the customer's payment terms,
  and paid like the customer's history (source `orders`).

Everything after the last week, and what no history expects, is `after_horizon`: open AR
(plus open orders) minus the weeks, each source of each week rounded to the cent by largest
remainder, so the identity holds to the cent and no amount is negative.

The baselines of the backtest come from the same statement: the open amount on the due date,
and on the due date plus the customer's amount-weighted mean days late of the same history
(its segment's, then everyone's, without any); a date on or before A counts in week 1.

Query budget, whatever the data size and the number of weeks: the forecast is one SQL
statement (common table expressions over the history, the open invoices and the orders; the
result is at most a few rows per week), plus one for the currency when the request names none,
one to three for the trailing cash collected (`metrics.engine.compute`) and one for the
time-to-invoice with orders.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from metrics import engine
from metrics.scope import Period, Scope, build_scope, parse_date, today
from o2c_api.expressions import DaysBetween
from o2c_api.money import CENT, ZERO, money_field
from o2c_api.routers import read_alias
from outlook.errors import ErrorCode
from receivables import predicates
from receivables.models import (
    Adjustment,
    Dispute,
    Invoice,
    Order,
    PaymentApplication,
    PromiseToPay,
)

DEFAULT_WEEKS = 13
MAX_WEEKS = 52
HISTORY_DAYS = 365
# Credibility of a history of n applications against the wider one: n ÷ (n + CREDIBILITY).
# A customer with 5 applications later than an invoice already is counts for half, the
# segment (then everyone) for the other half: one payment alone never decides a week.
CREDIBILITY = 5
TRAILING_WEEKS = 26
SOURCES = ("promised", "behaviour", "disputed", "orders")
BASELINES = ("due_date", "due_plus_average_late")
FILTERS = ("rep", "segment", "customer", "product_line", "currency")


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceAmounts:
    """Expected cash of one week by where the expectation comes from."""

    promised: Decimal
    behaviour: Decimal
    disputed: Decimal
    orders: Decimal

    @property
    def total(self) -> Decimal:
        return self.promised + self.behaviour + self.disputed + self.orders


@dataclass(frozen=True)
class ForecastWeek:
    """Week k of a forecast: its dates, expected cash (and by source), and the cash that
    falls due in it (already past-due amounts in week 1: the due-date baseline)."""

    week: int
    start: date
    end: date
    expected: Decimal
    by_source: SourceAmounts
    due_date_amount: Decimal


@dataclass(frozen=True)
class CashForecast:
    """The cash forecast at `as_of`: Σ weeks' expected + after_horizon = open_ar + open_orders.

    `open_orders` is zero unless orders are included. `average_weekly_collected` is the cash
    collected in the 26 weeks up to as_of, divided by 26 (the baseline line).
    """

    scope: Scope
    as_of: date
    currency: str
    open_ar: Decimal
    open_orders: Decimal
    include_orders: bool
    after_horizon: Decimal
    average_weekly_collected: Decimal
    weeks: tuple[ForecastWeek, ...]


# --- input ---------------------------------------------------------------------------------


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code)})


def parse_weeks(value) -> int:
    """The number of weeks, 1 to 52 (13 when empty). Raises ValidationError(invalid_weeks)."""
    if value is None or value == "":
        return DEFAULT_WEEKS
    try:
        weeks = int(value)
    except (TypeError, ValueError) as exc:
        raise _error(
            "weeks", f"{value!r} is not a number of weeks.", ErrorCode.INVALID_WEEKS
        ) from exc
    if not 1 <= weeks <= MAX_WEEKS:
        raise _error("weeks", f"weeks is 1 to {MAX_WEEKS}.", ErrorCode.INVALID_WEEKS)
    return weeks


def parse_bool(value, field: str) -> bool:
    """true/false (also 1/0, yes/no); False when empty. Raises ValidationError(invalid_boolean)."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise _error(field, f"{value!r} is not true or false.", ErrorCode.INVALID_BOOLEAN)


def forecast_scope(
    *,
    as_of=None,
    rep=None,
    segment=None,
    customer=None,
    product_line=None,
    currency=None,
    include_orders: bool = False,
    user=None,
) -> Scope:
    """Validate the forecast's scope: the period is the single day as_of (default today).

    For a `user` limited to their own customers, the scope holds only those
    (`metrics.scope.build_scope`): the forecast of their open invoices and orders. The
    payment behaviour it is projected with is learnt from every customer's cash, as for a
    scope of one customer; no other customer's row or amount is shown.

    A scope never sums across currencies. Without `currency`, the forecast answers in the one
    currency of the scope's invoices open at as_of (and, with orders, its open orders); when
    they hold several, the client must choose: `currency_required`. With none at all, the
    base currency.

    Raises:
        ValidationError: the codes of `metrics.scope.build_scope`, and currency_required.
    """
    as_of_date = parse_date(as_of, "as_of") or today()
    scope = build_scope(
        start=as_of_date,
        end=as_of_date,
        rep=rep,
        segment=segment,
        customer=customer,
        product_line=product_line,
        currency=currency,
        user=user,
    )
    if currency:
        return scope
    dims = {**scope.filters(), "currency": None}
    currencies = set(
        Invoice.objects.filter(
            predicates.open_at(as_of_date) & predicates.invoice_dimensions(**dims)
        )
        .values_list("currency", flat=True)
        .distinct()
        .order_by()
    )
    if include_orders:
        currencies |= set(
            _open_orders(scope, as_of_date, currency=False)
            .values_list("currency", flat=True)
            .distinct()
            .order_by()
        )
    if len(currencies) > 1:
        names = " and ".join(sorted(currencies))
        raise _error(
            "currency",
            f"The scope holds amounts in {names}, which are never added up: name one with "
            "currency.",
            ErrorCode.CURRENCY_REQUIRED,
        )
    if currencies:
        return replace(scope, currency=currencies.pop())
    return scope


# --- the querysets behind the forecast statement --------------------------------------------


def _flag(condition) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _moved_by(model, date_field: str, as_of: date) -> Coalesce:
    """Σ amount of the outer invoice's applications or adjustments dated by as_of."""
    total = (
        model.objects.filter(invoice_id=OuterRef("pk"), **{f"{date_field}__lte": as_of})
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=money_field()), Value(ZERO))


def _history(currency: str, as_of: date):
    """Cash applied in the 12 months up to as_of, per customer, segment, disputed flag and
    days after the due date (negative when early): amount and number of applications."""
    disputed_then = Exists(
        Dispute.objects.filter(
            invoice_id=OuterRef("invoice_id"), opened_date__lte=OuterRef("applied_date")
        )
    )
    return (
        PaymentApplication.objects.filter(
            predicates.counting("invoice"),
            invoice__currency=currency,
            applied_date__gt=as_of - timedelta(days=HISTORY_DAYS),
            applied_date__lte=as_of,
        )
        .annotate(
            h_customer=F("invoice__customer_id"),
            h_segment=F("invoice__customer__segment_id"),
            h_disputed=_flag(disputed_then),
            h_days=DaysBetween(F("applied_date"), F("invoice__due_date")),
        )
        .values("h_customer", "h_segment", "h_disputed", "h_days")
        .annotate(h_amount=Sum("amount"), h_count=Count("id"))
        .order_by()
    )


def _open_invoices(scope: Scope, as_of: date):
    """The scope's invoices open at as_of: open amount then, days past due (negative before the
    due date), an open dispute, and what is left of the latest open promise."""
    disputed = Exists(
        Dispute.objects.filter(invoice_id=OuterRef("pk"), opened_date__lte=as_of).filter(
            Q(resolved_date__isnull=True) | Q(resolved_date__gt=as_of)
        )
    )
    paid_since_promise = (
        PaymentApplication.objects.filter(
            invoice_id=OuterRef("invoice_id"),
            applied_date__gte=OuterRef("created_date"),
            applied_date__lte=as_of,
        )
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    promises = (
        PromiseToPay.objects.filter(
            invoice_id=OuterRef("pk"), created_date__lte=as_of, promised_date__gt=as_of
        )
        .annotate(
            p_left=F("amount")
            - Coalesce(Subquery(paid_since_promise, output_field=money_field()), Value(ZERO)),
            p_ahead=DaysBetween(F("promised_date"), Value(as_of)),
        )
        .order_by("-created_date", "-id")
    )
    return (
        Invoice.objects.filter(
            predicates.open_at(as_of) & predicates.invoice_dimensions(**scope.filters())
        )
        .annotate(
            o_id=F("id"),
            o_customer=F("customer_id"),
            o_segment=F("customer__segment_id"),
            o_late=DaysBetween(Value(as_of), F("due_date")),
            o_open=F("amount")
            - _moved_by(PaymentApplication, "applied_date", as_of)
            - _moved_by(Adjustment, "adjustment_date", as_of),
            o_disputed=_flag(disputed),
            o_promise_left=Subquery(promises.values("p_left")[:1], output_field=money_field()),
            o_promise_ahead=Subquery(promises.values("p_ahead")[:1], output_field=IntegerField()),
        )
        .values(
            "o_id",
            "o_customer",
            "o_segment",
            "o_late",
            "o_open",
            "o_disputed",
            "o_promise_left",
            "o_promise_ahead",
        )
        .order_by()
    )


def _open_orders(scope: Scope, as_of: date, currency: bool = True):
    """Orders booked by as_of in the scope, not cancelled, with an amount not yet invoiced
    (by counting invoices issued by as_of)."""
    invoiced = (
        Invoice.objects.filter(predicates.counting() & predicates.issued_by(as_of))
        .filter(order_id=OuterRef("pk"))
        .order_by()
        .values("order_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    dims = scope.filters()
    if not currency:
        dims["currency"] = None
    return (
        Order.objects.filter(predicates.invoice_dimensions(**dims), order_date__lte=as_of)
        .exclude(status=Order.Status.CANCELLED)
        .annotate(
            q_left=F("amount")
            - Coalesce(Subquery(invoiced, output_field=money_field()), Value(ZERO))
        )
        .filter(q_left__gt=0)
    )


def _orders(scope: Scope, as_of: date):
    return (
        _open_orders(scope, as_of)
        .annotate(
            q_id=F("id"),
            q_customer=F("customer_id"),
            q_segment=F("customer__segment_id"),
            q_age=DaysBetween(Value(as_of), F("order_date")),
            q_terms=F("customer__payment_terms_days"),
        )
        .values("q_id", "q_customer", "q_segment", "q_age", "q_terms", "q_left")
        .order_by()
    )


# --- the statement -------------------------------------------------------------------------


def _statement(scope: Scope, as_of: date, weeks: int, orders_after_days: int | None):
    """The forecast as one SQL statement: rows (kind, week, amount).

    Kinds: the sources (`promised`, `behaviour`, `disputed`, `orders`), the two baselines
    (`due_date`, `due_plus_average_late`), `open_ar` and `open_orders` (week 0). Week K + 1
    is after the horizon. `orders_after_days` is the mean time-to-invoice in whole days, or
    None to leave the orders out. Source amounts are not rounded (see `rounded`).
    """
    horizon = 7 * weeks
    after = weeks + 1

    def week_of(days: str) -> str:
        # Days after as_of (at least 1) to a week number, K + 1 after the horizon.
        return f"CASE WHEN {days} > {horizon} THEN {after} ELSE ({days} + 6) / 7 END"

    def soonest_week(days: str) -> str:
        # As `week_of`, with a date on or before as_of in week 1 (the baselines' rule).
        return f"CASE WHEN {days} < 1 THEN 1 ELSE {week_of(days)} END"

    def credibility(n: str) -> str:
        # How much a level's own history counts against the wider one's: n ÷ (n + m).
        return f"COALESCE(1.0 * {n} / ({n} + {CREDIBILITY}), 0)"

    history_sql, history_params = _history(scope.currency, as_of).query.sql_with_params()
    open_sql, open_params = _open_invoices(scope, as_of).query.sql_with_params()
    ctes = [
        (f"hist AS ({history_sql})", history_params),
        (f"open_inv AS ({open_sql})", open_params),
        (
            # The part of each open invoice a still-open promise covers.
            "promised AS (SELECT o_id, o_promise_ahead AS ahead, CASE WHEN o_promise_left < "
            "o_open THEN o_promise_left ELSE o_open END AS amount FROM open_inv "
            "WHERE o_promise_left > 0)",
            [],
        ),
    ]
    # What follows a history: (id, kind, customer, segment, disputed flag, lateness threshold,
    # shift, amount). Cash at lateness d (> late) is expected d − late + shift days after as_of.
    rest = [
        "SELECT o.o_id AS rid, CASE WHEN o.o_disputed = 1 THEN 'disputed' ELSE 'behaviour' END "
        "AS kind, o.o_customer AS customer, o.o_segment AS segment, o.o_disputed AS disputed, "
        "o.o_late AS late, 0 AS shift, o.o_open - COALESCE(p.amount, 0) AS amount "
        "FROM open_inv o LEFT JOIN promised p ON p.o_id = o.o_id "
        "WHERE o.o_open - COALESCE(p.amount, 0) > 0"
    ]
    if orders_after_days is not None:
        orders_sql, orders_params = _orders(scope, as_of).query.sql_with_params()
        ctes.append((f"open_ord AS ({orders_sql})", orders_params))
        # Invoiced `orders_after_days` after the order date (the day after as_of at the
        # earliest) and due `terms` days later; paid on or after the invoice date, so the
        # history counts from lateness −terms on, and that day is `issue − 1` days after as_of.
        issue = (
            f"CASE WHEN {orders_after_days} - q_age < 1 THEN 1 ELSE {orders_after_days} - q_age END"
        )
        rest.append(
            "SELECT -q_id, 'orders', q_customer, q_segment, 0, -q_terms - 1, "
            f"{issue} - 1, q_left FROM open_ord"
        )
    ahead = week_of("h.h_days - k.late + k.shift")
    ctes += [
        ("rest AS (" + " UNION ALL ".join(rest) + ")", []),
        (
            "seg_hist AS (SELECT h_segment, h_disputed, h_days, SUM(h_count) AS h_count "
            "FROM hist WHERE h_segment IS NOT NULL GROUP BY h_segment, h_disputed, h_days)",
            [],
        ),
        (
            "all_hist AS (SELECT h_disputed, h_days, SUM(h_count) AS h_count FROM hist "
            "GROUP BY h_disputed, h_days)",
            [],
        ),
        # Per level (the customer; its segment; everyone), the applications of the history
        # later than each row's lateness, by week after as_of (`_w`) and in all (`_t`). The
        # segment and everyone levels are computed per distinct (segment, disputed, late,
        # shift) rather than per row: far fewer. Each such key gets a number (`sk`, `ak`)
        # that the later joins use alone: joined on the four columns, the planner expected one
        # row and looped over the segment's weeks for every row (seconds at 100k invoices).
        (
            f"cust_w AS (SELECT k.rid, {ahead} AS week, SUM(h.h_count) AS n FROM rest k "
            "JOIN hist h ON h.h_customer = k.customer AND h.h_disputed = k.disputed "
            f"AND h.h_days > k.late GROUP BY k.rid, {ahead})",
            [],
        ),
        ("cust_t AS (SELECT rid, SUM(n) AS n FROM cust_w GROUP BY rid)", []),
        (
            "seg_keys AS (SELECT segment, disputed, late, shift, ROW_NUMBER() OVER "
            "(ORDER BY segment, disputed, late, shift) AS sk FROM (SELECT DISTINCT segment, "
            "disputed, late, shift FROM rest WHERE segment IS NOT NULL) AS distinct_keys)",
            [],
        ),
        (
            f"seg_w AS (SELECT k.sk, {ahead} AS week, SUM(h.h_count) AS n FROM seg_keys k "
            "JOIN seg_hist h ON h.h_segment = k.segment AND h.h_disputed = k.disputed "
            f"AND h.h_days > k.late GROUP BY k.sk, {ahead})",
            [],
        ),
        ("seg_t AS (SELECT sk, SUM(n) AS n FROM seg_w GROUP BY sk)", []),
        (
            "all_keys AS (SELECT disputed, late, shift, ROW_NUMBER() OVER "
            "(ORDER BY disputed, late, shift) AS ak FROM (SELECT DISTINCT disputed, late, "
            "shift FROM rest) AS distinct_keys)",
            [],
        ),
        (
            f"all_w AS (SELECT k.ak, {ahead} AS week, SUM(h.h_count) AS n FROM all_keys k "
            "JOIN all_hist h ON h.h_disputed = k.disputed AND h.h_days > k.late "
            f"GROUP BY k.ak, {ahead})",
            [],
        ),
        ("all_t AS (SELECT ak, SUM(n) AS n FROM all_w GROUP BY ak)", []),
        # Each row's weight on the customer's history, its segment's and everyone's: the
        # customer's counts by its credibility, the rest goes to the segment the same way,
        # the rest of that to everyone (nothing when no level has such a late history).
        (
            "blend AS (SELECT r.rid, r.kind, r.amount, sk.sk, ak.ak, "
            f"{credibility('c.n')} AS a_cust, "
            f"(1 - {credibility('c.n')}) * {credibility('s.n')} AS a_seg, "
            f"(1 - {credibility('c.n')}) * (1 - {credibility('s.n')}) AS a_all "
            "FROM rest r LEFT JOIN cust_t c ON c.rid = r.rid "
            "LEFT JOIN seg_keys sk ON sk.segment = r.segment AND sk.disputed = r.disputed "
            "AND sk.late = r.late AND sk.shift = r.shift "
            "LEFT JOIN seg_t s ON s.sk = sk.sk "
            "JOIN all_keys ak ON ak.disputed = r.disputed AND ak.late = r.late "
            "AND ak.shift = r.shift)",
            [],
        ),
        # The baseline's average days late: the customer's amount-weighted mean lateness over
        # the 12 months, else its segment's, else everyone's (all cash, disputed or not).
        (
            "avg_cust AS (SELECT h_customer AS customer, SUM(h_days * h_amount) / SUM(h_amount) "
            "AS days FROM hist GROUP BY h_customer)",
            [],
        ),
        (
            "avg_seg AS (SELECT h_segment AS segment, SUM(h_days * h_amount) / SUM(h_amount) "
            "AS days FROM hist WHERE h_segment IS NOT NULL GROUP BY h_segment)",
            [],
        ),
        ("avg_all AS (SELECT SUM(h_days * h_amount) / SUM(h_amount) AS days FROM hist)", []),
        (
            "late_days AS (SELECT o.o_id, o.o_late, o.o_open, "
            "CAST(ROUND(COALESCE(c.days, s.days, a.days, 0)) AS INTEGER) AS days "
            "FROM open_inv o LEFT JOIN avg_cust c ON c.customer = o.o_customer "
            "LEFT JOIN avg_seg s ON s.segment = o.o_segment CROSS JOIN avg_all a)",
            [],
        ),
    ]
    selects = [
        "SELECT b.kind, w.week, SUM(b.amount * b.a_cust * w.n / t.n) FROM blend b "
        "JOIN cust_t t ON t.rid = b.rid JOIN cust_w w ON w.rid = b.rid GROUP BY b.kind, w.week",
        # The segment's and everyone's shares are the same for every row of a key: the
        # rows' amounts are added up per key first, then spread over the key's weeks.
        "SELECT b.kind, w.week, SUM(b.amount * w.n / t.n) FROM (SELECT kind, sk, "
        "SUM(amount * a_seg) AS amount FROM blend WHERE sk IS NOT NULL GROUP BY kind, sk) b "
        "JOIN seg_t t ON t.sk = b.sk JOIN seg_w w ON w.sk = b.sk GROUP BY b.kind, w.week",
        "SELECT b.kind, w.week, SUM(b.amount * w.n / t.n) FROM (SELECT kind, ak, "
        "SUM(amount * a_all) AS amount FROM blend GROUP BY kind, ak) b "
        "JOIN all_t t ON t.ak = b.ak JOIN all_w w ON w.ak = b.ak GROUP BY b.kind, w.week",
        f"SELECT 'promised', {week_of('ahead')}, SUM(amount) FROM promised "
        f"GROUP BY {week_of('ahead')}",
        f"SELECT 'due_date', {soonest_week('-o_late')}, SUM(o_open) FROM open_inv "
        f"GROUP BY {soonest_week('-o_late')}",
        f"SELECT 'due_plus_average_late', {soonest_week('days - o_late')}, SUM(o_open) "
        f"FROM late_days GROUP BY {soonest_week('days - o_late')}",
        "SELECT 'open_ar', 0, SUM(o_open) FROM open_inv",
    ]
    if orders_after_days is not None:
        selects.append("SELECT 'open_orders', 0, SUM(q_left) FROM open_ord")
    # MATERIALIZED (PostgreSQL 12+, SQLite 3.35+): each step is computed once. Inlined, a
    # step read by a join was re-run for every row of the other side, because the estimates
    # over these aggregates are one row and the planner picks nested loops.
    materialized = [cte.replace(" AS (", " AS MATERIALIZED (", 1) for cte, _ in ctes]
    sql = "WITH " + ", ".join(materialized) + " " + " UNION ALL ".join(selects)
    params = [param for _, cte_params in ctes for param in cte_params]
    return sql, params


def to_decimal(value) -> Decimal:
    if value is None:
        return ZERO
    # SQLite answers floats: read through their shortest repr.
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def amounts(
    scope: Scope, as_of: date, weeks: int, orders_after_days: int | None = None
) -> dict[tuple[str, int], Decimal]:
    """{(kind, week): amount} of `_statement` (one query): the sources unrounded, the
    baselines and totals to the cent. Shared with `outlook.backtest`."""
    sql, params = _statement(scope, as_of, weeks, orders_after_days)
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result: dict[tuple[str, int], Decimal] = {}
    for kind, week, amount in rows:
        key = (kind, int(week))
        result[key] = result.get(key, ZERO) + to_decimal(amount)
    return {
        key: amount if key[0] in SOURCES else amount.quantize(CENT)
        for key, amount in result.items()
    }


AFTER = ("after_horizon", 0)


def rounded(by_kind: dict, weeks: int, total: Decimal) -> dict[tuple[str, int], Decimal]:
    """The sources of weeks 1..K to the cent, by largest remainder: they and what is left
    (after the horizon) add up to `total` exactly, none negative."""
    keys = [(source, k) for k in range(1, weeks + 1) for source in SOURCES]
    exact = {key: max(by_kind.get(key, ZERO), ZERO) for key in keys}
    exact[AFTER] = max(total - sum(exact.values(), ZERO), ZERO)
    result = {key: value.quantize(CENT, ROUND_FLOOR) for key, value in exact.items()}
    cents = int((total - sum(result.values(), ZERO)) / CENT)
    largest = sorted(exact, key=lambda key: result[key] - exact[key])
    for key in largest[: max(cents, 0)]:
        result[key] += CENT
    return result


def week_period(as_of: date, k: int) -> Period:
    """Week k (1-based) after as_of: as_of + 7(k−1) + 1 … as_of + 7k."""
    return Period(as_of + timedelta(days=7 * (k - 1) + 1), as_of + timedelta(days=7 * k))


# --- the public functions ------------------------------------------------------------------


def cash_forecast(
    scope: Scope, weeks: int = DEFAULT_WEEKS, include_orders: bool = False
) -> CashForecast:
    """Expected cash per week after the scope's end date (the as-of date A).

    Args:
        scope: from `forecast_scope` (its end is the as-of date, its currency resolved).
        weeks: the horizon in weeks, 1 to 52.
        include_orders: also expect the cash of orders not yet fully invoiced.

    Returns:
        A CashForecast whose weeks and after_horizon add up to open AR (+ open orders).
    """
    as_of = scope.end
    orders_after = None
    if include_orders:
        year = replace(scope, start=as_of - timedelta(days=HISTORY_DAYS - 1))
        mean = engine.compute(year, ["time_to_invoice_days"], [year.period])[
            ("time_to_invoice_days", None, 1)
        ]
        orders_after = int((mean or Decimal(0)).to_integral_value())
    by_kind = amounts(scope, as_of, weeks, orders_after)
    open_ar = by_kind.get(("open_ar", 0), ZERO)
    open_orders = by_kind.get(("open_orders", 0), ZERO)
    sources_of = rounded(by_kind, weeks, open_ar + open_orders)
    trailing = Period(as_of - timedelta(days=7 * TRAILING_WEEKS - 1), as_of)
    collected = engine.compute(replace(scope, start=trailing.start), ["collected"], [trailing])[
        ("collected", None, 1)
    ]
    result_weeks = []
    for k in range(1, weeks + 1):
        sources = SourceAmounts(*(sources_of[(source, k)] for source in SOURCES))
        period = week_period(as_of, k)
        result_weeks.append(
            ForecastWeek(
                k,
                period.start,
                period.end,
                sources.total,
                sources,
                by_kind.get(("due_date", k), ZERO),
            )
        )
    expected = sum((w.expected for w in result_weeks), ZERO)
    return CashForecast(
        scope=scope,
        as_of=as_of,
        currency=scope.currency,
        open_ar=open_ar,
        open_orders=open_orders,
        include_orders=include_orders,
        after_horizon=open_ar + open_orders - expected,
        average_weekly_collected=((collected or ZERO) / TRAILING_WEEKS).quantize(CENT),
        weeks=tuple(result_weeks),
    )

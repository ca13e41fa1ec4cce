"""The risk list and the collector's worklist: plain functions returning frozen dataclasses.

`risk_page` lists the invoices open at a date with their score and its factors, highest
score first; `worklist_page` ranks them by cash at risk (open amount × score) and adds what a
collector needs to act: the last activity, an open promise or dispute, and the suggested next
action with its reason. REST (`worklist.api`) and GraphQL (`worklist.graphql`) only render
them.

Query budget, whatever the data and the page size: the model (1), the scoring statement (1;
a second, a count, only for a page past the end), and for the worklist the page's details (1).
Validating the scope adds one query per rep, segment or customer id given.

A user limited to their own customers (`accounts.scoping`) gets the lists of those customers'
invoices only: `scope_at` puts the user in the scope (`Scope.customers_of`), and every query
above filters by it with one subquery on the user's id (the query count does not change).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery

from metrics.scope import Scope, build_scope, parse_date
from o2c_api.errors import ErrorCode as PageCode
from o2c_api.money import CENT
from receivables.models import CollectionActivity, Dispute, Invoice, PromiseToPay
from worklist import risk
from worklist.errors import ErrorCode
from worklist.risk import Contribution, Model

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
ACTIONS = ("reminder", "call", "escalate", "hold")
ESCALATE_AFTER_DAYS = 60  # past due this long: the rep takes it up with the customer
ESCALATE_BROKEN_SHARE = 0.5  # or past due a month with at least this share of promises broken


# --- parameters ------------------------------------------------------------------------------


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code)})


def page_bounds(limit, offset) -> tuple[int, int]:
    """Limit (1 to 500, default 50; larger is clamped like the other lists) and offset (>= 0).

    Raises:
        ValidationError: invalid_limit, invalid_offset.
    """
    values = []
    codes = {"limit": PageCode.INVALID_LIMIT, "offset": PageCode.INVALID_OFFSET}
    for field, raw, default in (("limit", limit, DEFAULT_LIMIT), ("offset", offset, 0)):
        if raw is None or raw == "":
            values.append(default)
            continue
        try:
            number = int(raw)
        except (TypeError, ValueError) as exc:
            raise _error(field, f"{raw!r} is not a number.", codes[field]) from exc
        if number < (1 if field == "limit" else 0):
            low = "1" if field == "limit" else "0"
            raise _error(field, f"{field} must be at least {low}.", codes[field])
        values.append(number)
    return min(values[0], MAX_LIMIT), values[1]


def no_activity_days_of(raw) -> int | None:
    """`no_activity_days`: None, or a whole number of days 0..3660.

    Raises:
        ValidationError: invalid_no_activity_days.
    """
    if raw is None or raw == "":
        return None
    try:
        days = int(raw)
    except (TypeError, ValueError) as exc:
        raise _error(
            "no_activity_days",
            f"{raw!r} is not a number of days.",
            ErrorCode.INVALID_NO_ACTIVITY_DAYS,
        ) from exc
    if not 0 <= days <= 3660:
        raise _error(
            "no_activity_days", "no_activity_days is 0 to 3660.", ErrorCode.INVALID_NO_ACTIVITY_DAYS
        )
    return days


def scope_at(params: Mapping, user=None) -> tuple[Scope, date]:
    """The scope (filters, currency) and as_of date of a risk or worklist request; for a
    `user` limited to their own customers, only those (`metrics.scope.build_scope`).

    Raises:
        ValidationError: invalid_date and the scope's codes (`metrics.scope.build_scope`).
    """
    as_of = parse_date(params.get("as_of"), "as_of")
    scope = build_scope(
        start=as_of,
        end=as_of,
        rep=params.get("rep"),
        segment=params.get("segment"),
        customer=params.get("customer"),
        product_line=params.get("product_line"),
        currency=params.get("currency"),
        user=user,
    )
    return scope, scope.end


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRisk:
    """One open invoice's score and its factors."""

    invoice_id: int
    invoice_number: str
    customer_id: int
    customer_name: str
    due_date: date
    open_amount: Decimal
    days_past_due: int
    score: Decimal
    base: Decimal
    factors: tuple[Contribution, ...]


@dataclass(frozen=True)
class RiskPage:
    as_of: date
    scope: Scope
    model: Model
    count: int
    results: tuple[InvoiceRisk, ...]


@dataclass(frozen=True)
class LastActivity:
    kind: str
    outcome: str
    occurred_at: datetime
    days_ago: int


@dataclass(frozen=True)
class OpenPromise:
    id: int
    amount: Decimal
    promised_date: date


@dataclass(frozen=True)
class OpenDispute:
    id: int
    reason: str
    amount: Decimal
    opened_date: date


@dataclass(frozen=True)
class WorkItem:
    """One line of the worklist: the invoice, its risk, its collection state, what to do."""

    invoice_id: int
    invoice_number: str
    customer_id: int
    customer_name: str
    rep_id: int | None
    rep_name: str | None
    currency: str
    due_date: date
    open_amount: Decimal
    days_past_due: int
    score: Decimal
    cash_at_risk: Decimal
    top_factors: tuple[Contribution, ...]
    last_activity: LastActivity | None
    open_promise: OpenPromise | None
    open_dispute: OpenDispute | None
    action: str
    reason: str


@dataclass(frozen=True)
class Worklist:
    as_of: date
    scope: Scope
    no_activity_days: int | None
    model: Model
    count: int
    results: tuple[WorkItem, ...]


# --- the page's details ----------------------------------------------------------------------


def _details(ids: list[int], d: date) -> dict[int, Invoice]:
    """The page's invoices with their open amount at d, latest activity up to d, the promise
    and the dispute open at d (one query)."""
    if not ids:
        return {}
    activity = CollectionActivity.objects.filter(
        invoice_id=OuterRef("pk"), occurred_at__lt=risk.next_midnight(d)
    ).order_by("-occurred_at", "-id")
    promise = PromiseToPay.objects.filter(
        invoice_id=OuterRef("pk"), created_date__lte=d, promised_date__gte=d
    ).order_by("promised_date", "id")
    dispute = Dispute.objects.filter(invoice_id=OuterRef("pk"), opened_date__lte=d).filter(
        Q(resolved_date__isnull=True) | Q(resolved_date__gt=d)
    )
    dispute = dispute.order_by("opened_date", "id")
    annotations = {"risk_open": risk.open_amount_at(d)}
    for prefix, qs, fields in (
        ("activity", activity, ("occurred_at", "kind", "outcome")),
        ("promise", promise, ("id", "amount", "promised_date")),
        ("dispute", dispute, ("id", "reason", "amount", "opened_date")),
    ):
        for field in fields:
            annotations[f"{prefix}_{field}"] = Subquery(qs.values(field)[:1])
    invoices = (
        Invoice.objects.filter(pk__in=ids).select_related("customer", "rep").annotate(**annotations)
    )
    return {invoice.pk: invoice for invoice in invoices}


def _days_past_due(invoice: Invoice, d: date) -> int:
    return max(0, (d - invoice.due_date).days)


# --- risk list -------------------------------------------------------------------------------


def risk_page(
    scope: Scope,
    as_of: date,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    model=None,
) -> RiskPage:
    """The invoices open at `as_of` in the scope, highest score first, with their factors.

    Args:
        scope: validated filters and currency (`scope_at`).
        as_of: the date scored, with what was known by its end.
        limit, offset: the page (`page_bounds`).
        model: the weights; the current model (`risk.current_model`) by default.

    Returns:
        A `RiskPage`: the count of open invoices in scope and the page's rows.
    """
    model = model or risk.current_model()
    scored = risk.scored_rows(
        scope,
        as_of,
        model,
        ordering="score",
        limit=limit,
        offset=offset,
    )
    invoices = _details([row.invoice_id for row in scored.rows], as_of)
    results = []
    for row in scored.rows:
        invoice = invoices[row.invoice_id]
        explained = risk.explain(row.values, model)
        results.append(
            InvoiceRisk(
                invoice_id=invoice.pk,
                invoice_number=invoice.number,
                customer_id=invoice.customer_id,
                customer_name=invoice.customer.name,
                due_date=invoice.due_date,
                open_amount=invoice.risk_open.quantize(CENT),
                days_past_due=_days_past_due(invoice, as_of),
                score=explained.score,
                base=explained.base,
                factors=explained.factors,
            )
        )
    return RiskPage(as_of, scope, model, scored.count, tuple(results))


# --- risk bands --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskBand:
    """One score band: scores from `low` up to `high` (None: up to 100), its open invoices."""

    low: Decimal
    high: Decimal | None
    invoice_count: int
    open_amount: Decimal


@dataclass(frozen=True)
class RiskBands:
    """Open AR at `as_of` in the scope by score band; the bands' amounts add up to `open_amount`."""

    as_of: date
    scope: Scope
    model: Model
    invoice_count: int
    open_amount: Decimal
    bands: tuple[RiskBand, ...]


def risk_bands(
    scope: Scope,
    as_of: date,
    *,
    model=None,
    bounds: tuple[Decimal, ...] = risk.SCORE_BANDS,
) -> RiskBands:
    """The invoices open at `as_of` in the scope, counted and summed by score band.

    Scored by the same statement as `risk_page` and `worklist_page`; a score is banded as it
    is shown (one decimal). Every band is listed, empty ones with zeros, lowest first.

    Args:
        scope: validated filters and currency (`scope_at`).
        as_of: the date scored.
        model: the weights; the current model by default.
        bounds: the scores between bands (0-25, 25-50, 50-75, 75-100 by default).

    Returns:
        `RiskBands` (two queries: the model and the banding statement).
    """
    model = model or risk.current_model()
    totals = risk.band_totals(scope, as_of, model, bounds)
    return bands_of(totals, bounds, as_of, scope, model)


def bands_of(totals: dict, bounds: tuple[Decimal, ...], as_of: date, scope: Scope, model):
    """`RiskBands` from `risk.band_totals`' {band: (count, amount)}: every band, lowest first."""
    lows = (Decimal(0), *bounds)
    highs = (*bounds, None)
    bands = tuple(
        RiskBand(low, high, *totals.get(i, (0, Decimal("0.00"))))
        for i, (low, high) in enumerate(zip(lows, highs, strict=True))
    )
    return RiskBands(
        as_of=as_of,
        scope=scope,
        model=model,
        invoice_count=sum(b.invoice_count for b in bands),
        open_amount=sum((b.open_amount for b in bands), Decimal("0.00")),
        bands=bands,
    )


# --- worklist --------------------------------------------------------------------------------


def worklist_page(
    scope: Scope,
    as_of: date,
    *,
    no_activity_days: int | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    model=None,
) -> Worklist:
    """The collector's list: invoices open at `as_of`, largest cash at risk first.

    Cash at risk is the open amount × score / 100. Each line carries the score's top factors
    (those adding the most points), the last activity on the invoice, the promise and the
    dispute open at `as_of`, and the suggested next action with its reason (`next_action`).

    Args:
        scope: validated filters and currency (`scope_at`).
        as_of: the date the list is for.
        no_activity_days: keep only invoices with no activity in the last N days (to as_of).
        limit, offset: the page (`page_bounds`).
        model: the weights; the current model by default.

    Returns:
        A `Worklist` with the count of matching invoices and the page's lines.
    """
    model = model or risk.current_model()
    scored = risk.scored_rows(
        scope,
        as_of,
        model,
        ordering="cash_at_risk",
        no_activity_days=no_activity_days,
        limit=limit,
        offset=offset,
    )
    invoices = _details([row.invoice_id for row in scored.rows], as_of)
    items = tuple(_item(invoices[row.invoice_id], row, as_of, model) for row in scored.rows)
    return Worklist(as_of, scope, no_activity_days, model, scored.count, items)


def _item(invoice: Invoice, row: risk.ScoredRow, d: date, model: Model) -> WorkItem:
    explained = risk.explain(row.values, model)
    activity = None
    if invoice.activity_occurred_at is not None:
        occurred = invoice.activity_occurred_at
        activity = LastActivity(
            kind=invoice.activity_kind,
            outcome=invoice.activity_outcome,
            occurred_at=occurred,
            days_ago=(d - risk.local_date(occurred)).days,
        )
    promise = None
    if invoice.promise_id is not None:
        promise = OpenPromise(
            invoice.promise_id,
            invoice.promise_amount.quantize(CENT),
            invoice.promise_promised_date,
        )
    dispute = None
    if invoice.dispute_id is not None:
        dispute = OpenDispute(
            invoice.dispute_id,
            invoice.dispute_reason,
            invoice.dispute_amount.quantize(CENT),
            invoice.dispute_opened_date,
        )
    days_past_due = _days_past_due(invoice, d)
    top_factors = risk.top(explained.factors)
    action, reason = next_action(
        invoice=invoice,
        as_of=d,
        days_past_due=days_past_due,
        score=explained.score,
        top_factors=top_factors,
        history=row.history,
        values=row.values,
        promise=promise,
        dispute=dispute,
    )
    return WorkItem(
        invoice_id=invoice.pk,
        invoice_number=invoice.number,
        customer_id=invoice.customer_id,
        customer_name=invoice.customer.name,
        rep_id=invoice.rep_id,
        rep_name=invoice.rep.name if invoice.rep else None,
        currency=invoice.currency,
        due_date=invoice.due_date,
        open_amount=invoice.risk_open.quantize(CENT),
        days_past_due=days_past_due,
        score=explained.score,
        cash_at_risk=(invoice.risk_open.quantize(CENT) * explained.score / 100).quantize(CENT),
        top_factors=top_factors,
        last_activity=activity,
        open_promise=promise,
        open_dispute=dispute,
        action=action,
        reason=reason,
    )


def factor_detail(factor: str, values: dict[str, float], history: dict[str, int]) -> str:
    """A few words on why a factor adds to the score, for the reason sentence."""
    if factor == "late_history":
        return (
            f"{history['late']} of {history['invoices']} invoices due in the last 12 months "
            "were paid late"
        )
    if factor == "days_late":
        return f"late invoices were {round(values['days_late'] * 30)} days late on average"
    if factor == "trend":
        return "payments have been later in the last 90 days"
    if factor == "no_history":
        return "no invoice history in the last 12 months"
    if factor == "broken_promises":
        return f"{history['broken']} of {history['promises']} promises in the last 12 months broken"
    if factor == "open_dispute":
        return "the invoice is disputed"
    if factor == "days_past_due":
        return f"{round(values['days_past_due'] * 30)} days past due"
    if factor == "amount":
        return "the amount is larger than this customer's usual invoice"
    return "a promise to pay is open"


def next_action(
    *,
    invoice: Invoice,
    as_of: date,
    days_past_due: int,
    score: Decimal,
    top_factors: tuple[Contribution, ...],
    history: dict[str, int],
    values: dict[str, float],
    promise: OpenPromise | None,
    dispute: OpenDispute | None,
) -> tuple[str, str]:
    """The suggested next action and the reason, as a sentence.

    In order: an open dispute holds collection (resolve it first); an open promise holds it
    until its date; past due more than 60 days, or more than 30 with at least half of the
    customer's recent promises broken, goes to the rep; past due is a call; not yet due a
    reminder.
    """
    why = ""
    if top_factors:
        why = "; mainly " + factor_detail(top_factors[0].factor, values, history)
    if dispute is not None:
        return "hold", (
            f"Hold: a {dispute.reason} dispute of {dispute.amount} {invoice.currency} is open "
            f"since {dispute.opened_date}; resolve it before asking for payment."
        )
    if promise is not None:
        return "hold", (
            f"Hold: {invoice.customer.name} promised {promise.amount} {invoice.currency} by "
            f"{promise.promised_date}; follow up if it is not kept."
        )
    broken_share = values["broken_promises"]
    if days_past_due > ESCALATE_AFTER_DAYS or (
        days_past_due > 30 and broken_share >= ESCALATE_BROKEN_SHARE
    ):
        who = invoice.rep.name if invoice.rep else "the account's rep"
        promises = ""
        if history["broken"]:
            promises = (
                f" and {history['broken']} of {history['promises']} promises in the last 12 "
                "months were broken"
            )
        return "escalate", (
            f"Escalate to {who}: {days_past_due} days past due{promises} (score {score})."
        )
    if days_past_due > 0:
        return "call", (
            f"Call {invoice.customer.name}: {days_past_due} days past due, score {score}{why}."
        )
    due_in = (invoice.due_date - as_of).days
    when = {0: "today", 1: "tomorrow"}.get(due_in, f"in {due_in} days")
    return "reminder", (
        f"Send a reminder: due {when} ({invoice.due_date}), {score}% likely to be paid late{why}."
    )

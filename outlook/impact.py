"""The DSO impact model: a linear what-if on the `dso` KPI of a scope.

Projected DSO = DSO − Σ over levers of (share ÷ 100) × days; working capital freed =
(DSO − projected DSO) × Credit sales(P) ÷ N (../shared/spec/kpis.md, "Forward-looking
reports"). DSO, credit sales and average days delinquent are the KPI engine's own values for
the same scope (`metrics.engine.compute`, as the summary computes them), time to invoice is
`metrics.engine.time_to_invoice`: nothing here recomputes a KPI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from metrics import engine
from metrics.scope import Scope
from o2c_api.money import CENT
from outlook.errors import ErrorCode

HUNDRED = Decimal(100)
MAX_LEVER_DAYS = Decimal(365)
MAX_SCENARIOS = 20
MODEL = (
    "Linear: a lever that brings invoicing or payment forward by d days for s % of credit "
    "sales lowers DSO by s ÷ 100 × d days; the levers add up. Projected DSO = DSO − Σ "
    "s ÷ 100 × d, never below 0. Working capital freed = (DSO − projected DSO) × credit "
    "sales ÷ days in the period, in the scope's currency."
)


@dataclass(frozen=True)
class Lever:
    """One lever: `days` sooner for `share` % of credit sales; `effect_days` is its change to
    DSO (negative: DSO falls)."""

    name: str
    days: Decimal
    share: Decimal

    @property
    def effect_days(self) -> Decimal:
        return -(self.share / HUNDRED) * self.days


@dataclass(frozen=True)
class DSOImpact:
    """The what-if for a scope, and the scope's measured levers: its time to invoice (mean and
    median days from order to invoice in P) and average days delinquent (DSO − best possible
    DSO), to judge which lever is realistic. DSO-derived values are None without credit sales."""

    scope: Scope
    current_dso: Decimal | None
    levers: tuple[Lever, ...]
    projected_dso: Decimal | None
    credit_sales: Decimal
    working_capital_freed: Decimal | None
    time_to_invoice_days: Decimal | None
    time_to_invoice_median_days: Decimal | None
    average_days_delinquent: Decimal | None
    model: str = MODEL


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code)})


def _number(value, field: str, low: Decimal, high: Decimal, code: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise _error(field, f"{value!r} is not a number.", code) from exc
    if not number.is_finite() or not low <= number <= high:
        raise _error(field, f"{field} is {low} to {high}.", code)
    return number


def lever(name: str, days, share=None, field: str | None = None) -> Lever:
    """A validated lever: days 0 to 365, share 0 to 100 (100 when empty).

    Raises:
        ValidationError: invalid_days, invalid_share.
    """
    field = field or name
    share = HUNDRED if share is None or share == "" else share
    return Lever(
        name,
        _number(days, f"{field}_days", Decimal(0), MAX_LEVER_DAYS, ErrorCode.INVALID_DAYS),
        _number(share, f"{field}_share", Decimal(0), HUNDRED, ErrorCode.INVALID_SHARE),
    )


def levers(
    *,
    invoice_lag_days=None,
    invoice_lag_share=None,
    payment_lag_days=None,
    payment_lag_share=None,
    scenarios: Iterable[str] = (),
) -> tuple[Lever, ...]:
    """The levers of a request: invoice lag, payment lag (each when its days are given) and
    each `scenario` written `<days>:<share>` (share optional), at most 20.

    Raises:
        ValidationError: invalid_days, invalid_share, invalid_scenario, too_many_scenarios.
    """
    # A share is checked even without its days (which leave the lever out), so that no
    # value out of range is taken in silence.
    for field, share in (("invoice_lag", invoice_lag_share), ("payment_lag", payment_lag_share)):
        if share not in (None, ""):
            _number(share, f"{field}_share", Decimal(0), HUNDRED, ErrorCode.INVALID_SHARE)
    result = []
    if invoice_lag_days not in (None, ""):
        result.append(lever("invoice_lag", invoice_lag_days, invoice_lag_share))
    if payment_lag_days not in (None, ""):
        result.append(lever("payment_lag", payment_lag_days, payment_lag_share))
    scenarios = list(scenarios)
    if len(scenarios) > MAX_SCENARIOS:
        raise _error(
            "scenario", f"At most {MAX_SCENARIOS} scenarios.", ErrorCode.TOO_MANY_SCENARIOS
        )
    for i, text in enumerate(scenarios, start=1):
        days, _, share = str(text).partition(":")
        try:
            result.append(lever(f"scenario_{i}", days, share, field="scenario"))
        except ValidationError as exc:
            raise _error(
                "scenario",
                f"Scenario {text!r} is not <days>:<share> with days 0 to 365 and share 0 to 100.",
                ErrorCode.INVALID_SCENARIO,
            ) from exc
    return tuple(result)


KEYS = ("dso", "credit_sales", "average_days_delinquent")


def dso_impact(scope: Scope, lever_list: Iterable[Lever] = ()) -> DSOImpact:
    """Projected DSO and working capital freed by the levers, for a validated KPI scope.

    Args:
        scope: as for the KPIs (`metrics.scope.build_scope`); its currency is the answer's.
        lever_list: the levers (see `levers`).

    Returns:
        A DSOImpact; current DSO is the `dso` KPI of the scope.
    """
    lever_list = tuple(lever_list)
    values = engine.compute(scope, KEYS, [scope.period])
    dso = values[("dso", None, 1)]
    credit_sales = values[("credit_sales", None, 1)]
    time_to_invoice = engine.time_to_invoice(scope, slowest=0)
    projected = freed = None
    if dso is not None:
        projected = max(dso + sum((lv.effect_days for lv in lever_list), Decimal(0)), Decimal(0))
        freed = ((dso - projected) * credit_sales / scope.days).quantize(CENT)
    return DSOImpact(
        scope=scope,
        current_dso=dso,
        levers=lever_list,
        projected_dso=projected,
        credit_sales=credit_sales,
        working_capital_freed=freed,
        time_to_invoice_days=time_to_invoice.mean,
        time_to_invoice_median_days=time_to_invoice.median,
        average_days_delinquent=values[("average_days_delinquent", None, 1)],
    )

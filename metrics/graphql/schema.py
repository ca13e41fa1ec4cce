"""The KPIs in GraphQL: the same engine calls and numbers as REST's /api/v1/kpis/.

Every field needs `metrics.view_kpis` (viewer and above); a user limited to their own
customers reads the KPIs of those customers (accounts.scoping). Refusals and scope errors are
GraphQL errors whose `extensions` carry REST's codes: `not_authenticated`,
`permission_denied`, and the scope's validation codes with the field they concern.
"""

from datetime import date

import strawberry
from django.core.exceptions import ValidationError
from graphql import GraphQLError
from strawberry.types import Info

from accounts.scoping import KPI_PERMISSION, may_view_kpis
from metrics import engine
from metrics.graphql.types import (
    AgingType,
    BreakdownType,
    GlossaryEntryType,
    KpiCompare,
    KpiGroupBy,
    KpiInterval,
    KpiKey,
    KPIsType,
    ReminderFunnelType,
    SeriesType,
    TimeToInvoiceType,
    kpis_of,
)
from metrics.scope import build_scope, today
from o2c_api.api.exceptions import django_validation_errors
from o2c_api.errors import ErrorCode as CommonCode

PERMISSION = KPI_PERMISSION


def require_kpi_permission(info: Info, *, narrowed: bool = False) -> None:
    """Raise a GraphQLError unless the request's user may read KPIs: over every customer, or
    (`narrowed`, for the reports whose scope is built with the user) over their own."""
    user = getattr(info.context.request, "user", None)
    if user is None or not user.is_authenticated:
        raise GraphQLError(
            "Authentication credentials were not provided.",
            extensions={"code": CommonCode.NOT_AUTHENTICATED},
        )
    if not (may_view_kpis(user) if narrowed else user.has_perm(PERMISSION)):
        raise GraphQLError(
            "You do not have permission to perform this action.",
            extensions={"code": CommonCode.PERMISSION_DENIED},
        )


def run(info: Info, function, *args, narrowed: bool = False, **kwargs):
    """Check the permission, call the engine, turn a ValidationError into GraphQL errors.

    `narrowed`: the report narrows itself to a scoped user's customers (its scope is built
    with `user_of(info)`); without it a user limited to their own customers is refused.
    """
    require_kpi_permission(info, narrowed=narrowed)
    try:
        return function(*args, **kwargs)
    except ValidationError as exc:
        errors = django_validation_errors(exc)
        first = errors[0]
        raise GraphQLError(
            "; ".join(error["message"] for error in errors),
            extensions={"code": first["code"], "field": first["field"], "errors": errors},
        ) from exc


def user_of(info: Info):
    """The request's user: the scope of a user limited to their own customers holds those."""
    return getattr(info.context.request, "user", None)


def scope_of(info: Info, start, end, rep, segment, customer, product_line, currency):
    return build_scope(
        start=start,
        end=end,
        rep=rep,
        segment=segment,
        customer=customer,
        product_line=product_line,
        currency=currency,
        user=user_of(info),
    )


@strawberry.type
class Query:
    @strawberry.field(description="Every KPI for a scope: value, previous, change, status.")
    def kpis(
        self,
        info: Info,
        start: date | None = None,
        end: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
        compare: KpiCompare = KpiCompare.PREVIOUS_PERIOD,
    ) -> KPIsType:
        def resolve():
            scope = scope_of(info, start, end, rep, segment, customer, product_line, currency)
            return kpis_of(engine.summary(scope, compare=compare.value))

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="One KPI per week, month or quarter of P.")
    def kpi_series(
        self,
        info: Info,
        key: KpiKey,
        interval: KpiInterval = KpiInterval.MONTH,
        start: date | None = None,
        end: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> SeriesType:
        def resolve():
            scope = scope_of(info, start, end, rep, segment, customer, product_line, currency)
            return SeriesType.of(engine.series(key.value, scope, interval.value))

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="Several KPIs per week, month or quarter of P, in one call.")
    def kpi_series_many(
        self,
        info: Info,
        keys: list[KpiKey],
        interval: KpiInterval = KpiInterval.MONTH,
        start: date | None = None,
        end: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> list[SeriesType]:
        def resolve():
            if not keys:
                raise ValidationError(
                    {"keys": ValidationError("Name one or more KPIs.", CommonCode.REQUIRED)}
                )
            scope = scope_of(info, start, end, rep, segment, customer, product_line, currency)
            names = list(dict.fromkeys(key.value for key in keys))
            return [SeriesType.of(s) for s in engine.many_series(names, scope, interval.value)]

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="One KPI per rep, segment, product line or customer.")
    def kpi_breakdown(
        self,
        info: Info,
        key: KpiKey,
        group_by: KpiGroupBy,
        limit: int = 20,
        offset: int = 0,
        compare: KpiCompare = KpiCompare.PREVIOUS_PERIOD,
        start: date | None = None,
        end: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> BreakdownType:
        def resolve():
            scope = scope_of(info, start, end, rep, segment, customer, product_line, currency)
            result = engine.breakdown(
                key.value, scope, group_by.value, limit, offset, compare.value
            )
            return BreakdownType.of(result)

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="Open AR at a date (default today) by days past due.")
    def aging(
        self,
        info: Info,
        as_of: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> AgingType:
        def resolve():
            day = as_of or today()
            scope = scope_of(info, day, day, rep, segment, customer, product_line, currency)
            return AgingType.of(engine.aging(scope, scope.end))

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="Reminders sent in P, clicked, and paid within 7 days.")
    def reminder_funnel(
        self,
        info: Info,
        start: date | None = None,
        end: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> ReminderFunnelType:
        def resolve():
            scope = scope_of(info, start, end, rep, segment, customer, product_line, currency)
            return ReminderFunnelType.of(engine.reminder_funnel(scope))

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="Days from order to invoice: mean, median, p90, slowest.")
    def time_to_invoice(
        self,
        info: Info,
        start: date | None = None,
        end: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> TimeToInvoiceType:
        def resolve():
            scope = scope_of(info, start, end, rep, segment, customer, product_line, currency)
            return TimeToInvoiceType.of(engine.time_to_invoice(scope))

        return run(info, resolve, narrowed=True)

    @strawberry.field(description="What each KPI means, how it is computed, who owns it.")
    def kpi_glossary(self, info: Info) -> list[GlossaryEntryType]:
        return run(
            info,
            lambda: [GlossaryEntryType.of(entry) for entry in engine.glossary()],
            narrowed=True,
        )

"""REST endpoints of the KPIs under /api/v1/kpis/: parse the scope, call the engine, render.

Every scope error is a Django ValidationError raised by `metrics.scope` or `metrics.engine`,
turned into a 400 with its code by the project's exception handler.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics import engine
from metrics.api import serializers
from metrics.definitions import KEYS
from metrics.errors import ErrorCode
from metrics.render import currency_of, measure
from metrics.results import Series
from metrics.scope import (
    COMPARES,
    INTERVALS,
    parse_compare,
    parse_date,
    scope_from_params,
    today,
)
from o2c_api.api import csvexport
from o2c_api.api.permissions import CanViewScopedKPIs
from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.money import CURRENCIES

# An id is a positive whole number (`invalid_id`); one that names no record is a 422.
ID = {"type": "integer", "minimum": 1}
SCOPE_PARAMETERS = [
    OpenApiParameter(
        "start",
        OpenApiTypes.DATE,
        description="First day of P. Without start and end: the last full calendar month; "
        "with end only: the 1st of end's month.",
    ),
    OpenApiParameter(
        "end",
        OpenApiTypes.DATE,
        description="Last day of P (with start only: today). A period ending after today is "
        "partial (`scope.partial`).",
    ),
    OpenApiParameter("rep", ID, description="Sales rep id."),
    OpenApiParameter("segment", ID, description="Segment id (customer's segment)."),
    OpenApiParameter("customer", ID, description="Customer id."),
    OpenApiParameter("product_line", OpenApiTypes.STR, description="Product line label."),
    OpenApiParameter(
        "currency",
        OpenApiTypes.STR,
        enum=list(CURRENCIES),
        description="ISO 4217 code (default: base currency).",
    ),
]
FILTER_PARAMETERS = [p for p in SCOPE_PARAMETERS if p.name not in ("start", "end")]
COMPARE_PARAMETER = OpenApiParameter(
    "compare",
    OpenApiTypes.STR,
    enum=list(COMPARES),
    default="previous_period",
    description="What `previous` is computed over: `previous_period` (a whole calendar month, "
    "quarter or year: the one before it; any other period: the same number of days just "
    "before) or `previous_year` (the same dates a year earlier).",
)
KEY_PARAMETER = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(KEYS), description="KPI key."
)
ERROR_EXAMPLE = OpenApiExample(
    "Bad scope",
    value={
        "errors": [
            {
                "code": ErrorCode.END_BEFORE_START.value,
                "field": "end",
                "message": "The end 2026-03-01 is before the start 2026-03-31.",
            }
        ]
    },
    response_only=True,
    status_codes=["400"],
)
SCOPE_EXAMPLE = {
    "start": "2026-04-01",
    "end": "2026-04-30",
    "partial": False,
    "rep": None,
    "segment": None,
    "customer": None,
    "product_line": None,
    "currency": "USD",
}


class KPIView(APIView):
    """The KPI endpoints: readable by every role (viewer and above); a user limited to their
    own customers gets the KPIs of those customers only."""

    permission_classes = [CanViewScopedKPIs]

    def scope(self):
        return scope_from_params(self.request.query_params, self.request.user)

    def compare(self) -> str:
        return parse_compare(self.request.query_params.get("compare"))


class SummaryView(KPIView):
    @extend_schema(
        operation_id="kpis_summary",
        summary="Every KPI for a scope, with previous period, change, status and what changed",
        description="Money values are decimal strings in `scope.currency` (each money KPI "
        "names its `currency`); days and percentages are numbers rounded to two decimals. "
        "`currencies` lists every currency the filters find invoices in: amounts in another "
        "currency are never summed in, ask for them with `currency=`.",
        parameters=[*SCOPE_PARAMETERS, COMPARE_PARAMETER],
        responses={200: serializers.SummarySerializer},
        examples=[
            OpenApiExample(
                "April 2026",
                value={
                    "scope": SCOPE_EXAMPLE,
                    "previous_scope": {**SCOPE_EXAMPLE, "start": "2026-03-01", "end": "2026-03-31"},
                    "compare": "previous_period",
                    "currencies": ["EUR", "USD"],
                    "kpis": {
                        "ar_balance": {
                            "value": "15000.00",
                            "previous": "8000.00",
                            "change": "7000.00",
                            "status": None,
                            "previous_status": None,
                            "unit": "money",
                            "currency": "USD",
                            "better": None,
                        },
                        "dso": {
                            "value": 48.9,
                            "previous": 41.2,
                            "change": 7.7,
                            "status": "amber",
                            "previous_status": "green",
                            "unit": "days",
                            "currency": None,
                            "better": "lower",
                        },
                    },
                    "what_changed": ["DSO rose from 41.2 to 48.9 days (+7.7): amber."],
                    "changes": [
                        {
                            "key": "dso",
                            "previous": 41.2,
                            "value": 48.9,
                            "change": 7.7,
                            "status": "amber",
                            "unit": "days",
                            "currency": None,
                            "sentence": "DSO rose from 41.2 to 48.9 days (+7.7): amber.",
                        }
                    ],
                },
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request):
        result = engine.summary(self.scope(), compare=self.compare())
        return Response(serializers.SummarySerializer(result).data)


SERIES_EXAMPLE = {
    "key": "dso",
    "unit": "days",
    "currency": None,
    "points": [{"start": "2026-04-01", "end": "2026-04-30", "value": 45.0}],
}


def series_csv(result: tuple[Series, ...], filename: str):
    """Long format: one row per KPI and sub-period."""
    rows = (
        {
            "key": one.key,
            "start": point.start.isoformat(),
            "end": point.end.isoformat(),
            "value": measure(point.value, one.unit),
            "unit": one.unit,
            "currency": currency_of(one.unit, one.scope.currency),
        }
        for one in result
        for point in one.points
    )
    return csvexport.stream(("key", "start", "end", "value", "unit", "currency"), rows, filename)


def parse_int(params, name: str, default: int) -> int:
    """An integer query parameter; anything else is a 400 `invalid_<name>`."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationError(
            {name: ValidationError(f"{raw!r} is not a number.", f"invalid_{name}")}
        ) from exc


INTERVAL_PARAMETER = OpenApiParameter(
    "interval", OpenApiTypes.STR, enum=list(INTERVALS), default="month"
)


class SeriesView(KPIView):
    renderer_classes = csvexport.RENDERERS

    @extend_schema(
        operation_id="kpis_series",
        summary="One KPI per week, month or quarter of P",
        description="Each point is the KPI over that sub-period (calendar weeks from Monday, "
        "months or quarters, the first and last clipped to P). `?format=csv`: one row per "
        "point.",
        parameters=[KEY_PARAMETER, INTERVAL_PARAMETER, *SCOPE_PARAMETERS],
        responses={200: serializers.SeriesSerializer},
        examples=[
            OpenApiExample(
                "DSO by month",
                value={**SERIES_EXAMPLE, "interval": "month", "scope": SCOPE_EXAMPLE},
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request, key):
        engine.get_kpi(key)
        interval = request.query_params.get("interval", "month")
        result = engine.series(key, self.scope(), interval)
        if csvexport.wants_csv(request):
            return series_csv((result,), f"{key}-series")
        return Response(serializers.SeriesSerializer(result).data)


class ManySeriesView(KPIView):
    renderer_classes = csvexport.RENDERERS

    @extend_schema(
        operation_id="kpis_series_many",
        summary="Several KPIs per week, month or quarter of P, in one call",
        description="`keys` is a comma-separated list of KPI keys (at most all of them); an "
        "unknown key is a 400 `unknown_kpi` listing the valid ones. `?format=csv`: one row "
        "per KPI and point.",
        parameters=[
            OpenApiParameter(
                "keys",
                {"type": "string", "pattern": rf"^(?:{'|'.join(KEYS)})(?:,(?:{'|'.join(KEYS)}))*$"},
                required=True,
                description=f"Comma-separated KPI keys: {', '.join(KEYS)}.",
            ),
            INTERVAL_PARAMETER,
            *SCOPE_PARAMETERS,
        ],
        responses={200: serializers.ManySeriesSerializer},
        examples=[
            OpenApiExample(
                "DSO and CEI by month",
                value={
                    "interval": "month",
                    "scope": SCOPE_EXAMPLE,
                    "currencies": ["USD"],
                    "series": [
                        SERIES_EXAMPLE,
                        {
                            "key": "cei",
                            "unit": "%",
                            "currency": None,
                            "points": [
                                {"start": "2026-04-01", "end": "2026-04-30", "value": 81.25}
                            ],
                        },
                    ],
                },
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request):
        raw = request.query_params.get("keys") or ""
        keys = list(dict.fromkeys(key.strip() for key in raw.split(",") if key.strip()))
        if not keys:
            raise ValidationError(
                {
                    "keys": ValidationError(
                        f"Name one or more KPIs: {', '.join(KEYS)}.", CommonCode.REQUIRED
                    )
                }
            )
        for key in keys:
            engine.get_kpi(key)
        interval = request.query_params.get("interval", "month")
        scope = self.scope()
        result = engine.many_series(keys, scope, interval)
        if csvexport.wants_csv(request):
            return series_csv(result, "series")
        return Response(
            serializers.ManySeriesSerializer(
                {
                    "interval": interval,
                    "scope": scope,
                    "currencies": result[0].currencies,
                    "series": result,
                }
            ).data
        )


class BreakdownView(KPIView):
    renderer_classes = csvexport.RENDERERS

    @extend_schema(
        operation_id="kpis_breakdown",
        summary="One KPI per rep, segment, product line or customer, worst first",
        description="Each group's value, its value over the previous period (`compare`) and "
        "the change, worst first (nulls last). Paged like the lists: `count` groups in all, "
        "`limit` (1 to 500, default 20) from `offset`, `next` and `previous` links. "
        "`?format=csv`: the same page, one row per group.",
        parameters=[
            KEY_PARAMETER,
            OpenApiParameter(
                "group_by",
                OpenApiTypes.STR,
                enum=["rep", "segment", "product_line", "customer"],
                required=True,
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": engine.MAX_BREAKDOWN_LIMIT},
                default=20,
                description=f"1 to {engine.MAX_BREAKDOWN_LIMIT}.",
            ),
            OpenApiParameter("offset", OpenApiTypes.INT, default=0, description="0 or more."),
            COMPARE_PARAMETER,
            *SCOPE_PARAMETERS,
        ],
        responses={200: serializers.BreakdownSerializer},
        examples=[
            OpenApiExample(
                "Reps driving DSO up",
                value={
                    "key": "dso",
                    "group_by": "rep",
                    "unit": "days",
                    "currency": None,
                    "scope": SCOPE_EXAMPLE,
                    "previous_scope": {**SCOPE_EXAMPLE, "start": "2026-03-01", "end": "2026-03-31"},
                    "currencies": ["USD"],
                    "count": 2,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "group": {"id": 7, "name": "Ana"},
                            "value": 71.5,
                            "previous": 60.0,
                            "change": 11.5,
                            "status": "red",
                        },
                        {
                            "group": {"id": 3, "name": "Ben"},
                            "value": 38.0,
                            "previous": 40.0,
                            "change": -2.0,
                            "status": "green",
                        },
                    ],
                },
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request, key):
        engine.get_kpi(key)
        params = request.query_params
        limit = parse_int(params, "limit", 20)
        offset = parse_int(params, "offset", 0)
        result = engine.breakdown(
            key, self.scope(), params.get("group_by"), limit, offset, self.compare()
        )
        if csvexport.wants_csv(request):
            rows = (
                {
                    "group_id": row.group_id,
                    "group_name": row.group_name,
                    "value": measure(row.value, result.unit),
                    "previous": measure(row.previous, result.unit),
                    "change": measure(row.change, result.unit),
                    "status": row.status,
                    "unit": result.unit,
                    "currency": currency_of(result.unit, result.scope.currency),
                }
                for row in result.rows
            )
            columns = (
                "group_id",
                "group_name",
                "value",
                "previous",
                "change",
                "status",
                "unit",
                "currency",
            )
            return csvexport.stream(columns, rows, f"{key}-by-{result.group_by}")
        context = {"request": request, "limit": limit}
        return Response(serializers.BreakdownSerializer(result, context=context).data)


class AgingView(KPIView):
    renderer_classes = csvexport.RENDERERS

    @extend_schema(
        operation_id="kpis_aging",
        summary="Open AR at a date by days past due, with collection activity per bucket",
        description="Amounts are decimal strings in `currency`; `currencies` lists every "
        "currency open invoices are in. `?format=csv`: one row per bucket.",
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="Default: today."),
            *FILTER_PARAMETERS,
        ],
        responses={200: serializers.AgingSerializer},
        examples=[
            OpenApiExample(
                "Aging",
                value={
                    "as_of": "2026-04-30",
                    "currency": "USD",
                    "currencies": ["USD"],
                    "total": "15000.00",
                    "buckets": [
                        {
                            "bucket": "current",
                            "label": "Current",
                            "amount": "4000.00",
                            "invoice_count": 1,
                            "activity_count": 0,
                            "invoices_without_activity": 1,
                        }
                    ],
                },
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request):
        params = request.query_params.copy()
        as_of = parse_date(params.get("as_of"), "as_of") or today()
        params["end"] = params["start"] = as_of.isoformat()
        scope = scope_from_params(params, request.user)
        result = engine.aging(scope, scope.end)
        if csvexport.wants_csv(request):
            rows = (
                {
                    "as_of": result.as_of.isoformat(),
                    "bucket": b.bucket,
                    "label": b.label,
                    "amount": measure(b.amount, "money"),
                    "currency": scope.currency,
                    "invoice_count": b.invoice_count,
                    "activity_count": b.activity_count,
                    "invoices_without_activity": b.invoices_without_activity,
                }
                for b in result.buckets
            )
            columns = (
                "as_of",
                "bucket",
                "label",
                "amount",
                "currency",
                "invoice_count",
                "activity_count",
                "invoices_without_activity",
            )
            return csvexport.stream(columns, rows, f"aging-{result.as_of.isoformat()}")
        return Response(serializers.AgingSerializer(result).data)


class ReminderFunnelView(KPIView):
    @extend_schema(
        operation_id="kpis_reminder_funnel",
        summary="Reminders sent in P, clicked, and paid within 7 days",
        parameters=SCOPE_PARAMETERS,
        responses={200: serializers.ReminderFunnelSerializer},
        examples=[
            OpenApiExample(
                "Funnel",
                value={
                    "scope": SCOPE_EXAMPLE,
                    "currencies": ["USD"],
                    "sent": 40,
                    "clicked": 22,
                    "paid": 12,
                    "conversion_rate": 30.0,
                },
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request):
        result = engine.reminder_funnel(self.scope())
        return Response(serializers.ReminderFunnelSerializer(result).data)


class TimeToInvoiceView(KPIView):
    @extend_schema(
        operation_id="kpis_time_to_invoice",
        summary="Days from order to invoice in P: mean, median, p90 and the slowest invoices",
        parameters=SCOPE_PARAMETERS,
        responses={200: serializers.TimeToInvoiceSerializer},
        examples=[
            OpenApiExample(
                "Time to invoice",
                value={
                    "scope": SCOPE_EXAMPLE,
                    "currencies": ["USD"],
                    "count": 4,
                    "mean": 4.5,
                    "median": 3.5,
                    "p90": 8.8,
                    "slowest": [
                        {
                            "invoice_id": 12,
                            "number": "INV-00012",
                            "customer_id": 3,
                            "order_id": 9,
                            "order_date": "2026-04-01",
                            "issue_date": "2026-04-11",
                            "days": 10,
                        }
                    ],
                },
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request):
        result = engine.time_to_invoice(self.scope())
        return Response(serializers.TimeToInvoiceSerializer(result).data)


class GlossaryView(KPIView):
    @extend_schema(
        operation_id="kpis_glossary",
        summary="What each KPI means: label, hover text, formula, unit, direction, owner",
        responses={200: serializers.GlossaryEntrySerializer(many=True)},
    )
    def get(self, request):
        return Response(serializers.GlossaryEntrySerializer(engine.glossary(), many=True).data)

"""REST endpoints of the cash outlook: the DSO impact model, the cash forecast and its backtest.

Parse the parameters, call `outlook.impact` / `outlook.forecast`, render. Every bad input is a
Django ValidationError with a stable code, turned into a 400 by the project's exception
handler; GraphQL (`outlook.graphql.schema`) parses the same arguments with the same functions.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.api.views import FILTER_PARAMETERS, SCOPE_PARAMETERS
from metrics.scope import scope_from_params
from o2c_api.api.permissions import CanViewScopedKPIs
from o2c_api.money import CURRENCIES
from outlook import backtest, forecast, impact
from outlook.api import serializers
from outlook.errors import ErrorCode
from outlook.impact import MAX_SCENARIOS

# The levers' bounds (outlook.impact.lever: days 0 to 365, share 0 to 100), as the schema
# states them; a scenario is `<days>:<share>` with the same bounds, share optional.
DAYS = {"type": "number", "minimum": 0, "maximum": 365}
SHARE = {"type": "number", "minimum": 0, "maximum": 100}
_DAYS = r"(?:(?:\d|[1-9]\d|[12]\d\d|3[0-5]\d|36[0-4])(?:\.\d+)?|365(?:\.0+)?)"
_SHARE = r"(?:(?:\d|[1-9]\d)(?:\.\d+)?|100(?:\.0+)?)"
SCENARIO = {"type": "string", "pattern": rf"^{_DAYS}(?::{_SHARE}?)?$"}
LEVER_PARAMETERS = [
    OpenApiParameter(
        "invoice_lag_days",
        DAYS,
        description="Invoices issued this many days sooner after the order (0 to 365).",
    ),
    OpenApiParameter(
        "invoice_lag_share",
        SHARE,
        description="% of credit sales the invoice lever reaches (0 to 100, default 100).",
    ),
    OpenApiParameter(
        "payment_lag_days",
        DAYS,
        description="Payments arriving this many days sooner (0 to 365).",
    ),
    OpenApiParameter(
        "payment_lag_share",
        SHARE,
        description="% of credit sales the payment lever reaches (0 to 100, default 100).",
    ),
    OpenApiParameter(
        "scenario",
        {"type": "array", "items": SCENARIO, "maxItems": MAX_SCENARIOS},
        explode=True,
        description="A further lever `<days>:<share>` (share optional, 100 by default); "
        "repeat the parameter for several, at most 20.",
    ),
]
FORECAST_FILTERS = [
    *FILTER_PARAMETERS[:-1],
    OpenApiParameter(
        "currency",
        OpenApiTypes.STR,
        enum=list(CURRENCIES),
        description="ISO 4217 code. Optional when the scope's open invoices are in one "
        "currency; required (`currency_required`) when they are in several.",
    ),
]
WEEKS_PARAMETER = OpenApiParameter(
    "weeks",
    {"type": "integer", "minimum": 1, "maximum": 52},
    default=forecast.DEFAULT_WEEKS,
    description="1 to 52.",
)


def error_example(code: ErrorCode, field: str, message: str) -> OpenApiExample:
    return OpenApiExample(
        code.value,
        value={"errors": [{"code": code.value, "field": field, "message": message}]},
        response_only=True,
        status_codes=["400"],
    )


class OutlookView(APIView):
    """Base: the KPI permission (viewer and above), no queryset; a user limited to their own
    customers gets the outlook of those (accounts.scoping)."""

    permission_classes = [CanViewScopedKPIs]


class DSOImpactView(OutlookView):
    @extend_schema(
        operation_id="kpis_dso_impact",
        summary="DSO impact model: projected DSO and working capital freed by levers",
        description=impact.MODEL
        + " Current DSO is the `dso` KPI of the same scope (the KPIs' scope rules: the base "
        "currency when none is named).",
        parameters=[*LEVER_PARAMETERS, *SCOPE_PARAMETERS],
        responses={200: serializers.DSOImpactSerializer},
        examples=[
            OpenApiExample(
                "60 → 42 days",
                value={
                    "scope": {
                        "start": "2026-04-01",
                        "end": "2026-04-30",
                        "rep": None,
                        "segment": None,
                        "customer": None,
                        "product_line": None,
                        "currency": "USD",
                    },
                    "currency": "USD",
                    "current_dso": 60.0,
                    "levers": [
                        {"name": "invoice_lag", "days": 10.0, "share": 100.0, "effect_days": -10.0},
                        {"name": "payment_lag", "days": 7.0, "share": 100.0, "effect_days": -7.0},
                        {"name": "scenario_1", "days": 5.0, "share": 20.0, "effect_days": -1.0},
                    ],
                    "projected_dso": 42.0,
                    "credit_sales": "3000.00",
                    "working_capital_freed": "1800.00",
                    "measured": {
                        "time_to_invoice_days": 6.5,
                        "time_to_invoice_median_days": 5.0,
                        "average_days_delinquent": 12.0,
                    },
                    "model": impact.MODEL,
                },
                response_only=True,
            ),
            error_example(
                ErrorCode.INVALID_SHARE, "invoice_lag_share", "invoice_lag_share is 0 to 100."
            ),
        ],
    )
    def get(self, request):
        params = request.query_params
        levers = impact.levers(
            invoice_lag_days=params.get("invoice_lag_days"),
            invoice_lag_share=params.get("invoice_lag_share"),
            payment_lag_days=params.get("payment_lag_days"),
            payment_lag_share=params.get("payment_lag_share"),
            scenarios=params.getlist("scenario"),
        )
        result = impact.dso_impact(scope_from_params(params, request.user), levers)
        return Response(serializers.DSOImpactSerializer(result).data)


class CashForecastView(OutlookView):
    @extend_schema(
        operation_id="forecast",
        summary="13-week cash forecast of the open AR (and optionally open orders)",
        description=(
            "Week k covers as_of + 7(k−1) + 1 … as_of + 7k. Only facts dated on or before "
            "as_of are used. Σ weeks' expected + after_horizon = open_ar + open_orders, to "
            "the cent. See the glossary entry `cash_forecast` for the model."
        ),
        parameters=[
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="Default: today."),
            WEEKS_PARAMETER,
            OpenApiParameter(
                "include_orders",
                OpenApiTypes.BOOL,
                default=False,
                description="Also expect the cash of orders not yet fully invoiced.",
            ),
            *FORECAST_FILTERS,
        ],
        responses={200: serializers.CashForecastSerializer},
        examples=[
            OpenApiExample(
                "Forecast",
                value={
                    "as_of": "2026-04-30",
                    "currency": "USD",
                    "filters": {
                        "rep": None,
                        "segment": None,
                        "customer": None,
                        "product_line": None,
                    },
                    "include_orders": False,
                    "open_ar": "1000.00",
                    "open_orders": "0.00",
                    "after_horizon": "150.00",
                    "average_weekly_collected": "420.00",
                    "weeks": [
                        {
                            "week": 1,
                            "start": "2026-05-01",
                            "end": "2026-05-07",
                            "expected": "850.00",
                            "by_source": {
                                "promised": "300.00",
                                "behaviour": "450.00",
                                "disputed": "100.00",
                                "orders": "0.00",
                            },
                            "due_date_amount": "1000.00",
                        }
                    ],
                },
                response_only=True,
            ),
            error_example(
                ErrorCode.CURRENCY_REQUIRED,
                "currency",
                "The scope holds amounts in EUR and USD, which are never added up: name one "
                "with currency.",
            ),
        ],
    )
    def get(self, request):
        params = request.query_params
        weeks = forecast.parse_weeks(params.get("weeks"))
        include_orders = forecast.parse_bool(params.get("include_orders"), "include_orders")
        scope = forecast.forecast_scope(
            as_of=params.get("as_of"),
            **{name: params.get(name) for name in forecast.FILTERS},
            include_orders=include_orders,
            user=request.user,
        )
        result = forecast.cash_forecast(scope, weeks, include_orders)
        return Response(serializers.CashForecastSerializer(result).data)


class ForecastAccuracyView(OutlookView):
    @extend_schema(
        operation_id="forecast_accuracy",
        summary="Backtest of the cash forecast at a past date against the cash that came",
        description=(
            "The forecast as made at as_of (only what was known then, without orders), week "
            "by week against the cash actually applied to the invoices open at as_of, with "
            "WAPE (Σ|expected − actual| ÷ Σ actual, in %) next to two baselines: every invoice "
            "paid on its due date, and on its due date plus its customer's average days late "
            "(a date on or before as_of counts in week 1)."
        ),
        parameters=[
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                description="Default: the latest date whose horizon is over (today − 7 × "
                "weeks − 1).",
            ),
            WEEKS_PARAMETER,
            *FORECAST_FILTERS,
        ],
        responses={200: serializers.ForecastAccuracySerializer},
        examples=[
            error_example(
                ErrorCode.HORIZON_NOT_OVER,
                "as_of",
                "The 13 weeks after 2026-11-30 end on 2027-03-01, which is not over: a "
                "backtest needs an as-of date whose horizon has passed.",
            ),
        ],
    )
    def get(self, request):
        params = request.query_params
        weeks = forecast.parse_weeks(params.get("weeks"))
        scope = forecast.forecast_scope(
            as_of=params.get("as_of") or backtest.default_backtest_as_of(weeks),
            **{name: params.get(name) for name in forecast.FILTERS},
            user=request.user,
        )
        result = backtest.accuracy(scope, weeks)
        return Response(serializers.ForecastAccuracySerializer(result).data)

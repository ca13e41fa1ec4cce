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
from metrics.scope import INTERVALS, parse_date, scope_from_params
from o2c_api.api.permissions import CanViewKPIs

SCOPE_PARAMETERS = [
    OpenApiParameter(
        "start", OpenApiTypes.DATE, description="First day of P (default: the 1st of end's month)."
    ),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day of P (default: today)."),
    OpenApiParameter("rep", OpenApiTypes.INT, description="Sales rep id."),
    OpenApiParameter("segment", OpenApiTypes.INT, description="Segment id (customer's segment)."),
    OpenApiParameter("customer", OpenApiTypes.INT, description="Customer id."),
    OpenApiParameter("product_line", OpenApiTypes.STR, description="Product line label."),
    OpenApiParameter(
        "currency", OpenApiTypes.STR, description="ISO 4217 code (default: base currency)."
    ),
]
FILTER_PARAMETERS = [p for p in SCOPE_PARAMETERS if p.name not in ("start", "end")]
KEY_PARAMETER = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(KEYS), description="KPI key."
)
ERROR_EXAMPLE = OpenApiExample(
    "Bad scope",
    value={
        "errors": [
            {
                "code": "end_before_start",
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
    "rep": None,
    "segment": None,
    "customer": None,
    "product_line": None,
    "currency": "USD",
}


class KPIView(APIView):
    """Base: KPI permission (viewer and above), no queryset."""

    permission_classes = [CanViewKPIs]

    def scope(self):
        return scope_from_params(self.request.query_params)


class SummaryView(KPIView):
    @extend_schema(
        operation_id="kpis_summary",
        summary="Every KPI for a scope, with previous period, change, status and what changed",
        parameters=SCOPE_PARAMETERS,
        responses={200: serializers.SummarySerializer},
        examples=[
            OpenApiExample(
                "April 2026",
                value={
                    "scope": SCOPE_EXAMPLE,
                    "previous_scope": {**SCOPE_EXAMPLE, "start": "2026-03-02", "end": "2026-03-31"},
                    "kpis": {
                        "dso": {
                            "value": 48.9,
                            "previous": 41.2,
                            "change": 7.7,
                            "status": "amber",
                            "unit": "days",
                            "better": "lower",
                        }
                    },
                    "what_changed": ["DSO rose from 41.2 to 48.9 days (+7.7): amber."],
                },
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request):
        return Response(serializers.SummarySerializer(engine.summary(self.scope())).data)


class SeriesView(KPIView):
    @extend_schema(
        operation_id="kpis_series",
        summary="One KPI per week, month or quarter of P",
        parameters=[
            KEY_PARAMETER,
            OpenApiParameter("interval", OpenApiTypes.STR, enum=list(INTERVALS), default="month"),
            *SCOPE_PARAMETERS,
        ],
        responses={200: serializers.SeriesSerializer},
        examples=[
            OpenApiExample(
                "DSO by month",
                value={
                    "key": "dso",
                    "interval": "month",
                    "unit": "days",
                    "scope": SCOPE_EXAMPLE,
                    "points": [{"start": "2026-04-01", "end": "2026-04-30", "value": 45.0}],
                },
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request, key):
        engine.get_kpi(key)
        interval = request.query_params.get("interval", "month")
        result = engine.series(key, self.scope(), interval)
        return Response(serializers.SeriesSerializer(result).data)


class BreakdownView(KPIView):
    @extend_schema(
        operation_id="kpis_breakdown",
        summary="One KPI per rep, segment, product line or customer, worst first",
        parameters=[
            KEY_PARAMETER,
            OpenApiParameter(
                "group_by",
                OpenApiTypes.STR,
                enum=["rep", "segment", "product_line", "customer"],
                required=True,
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, default=20, description="1 to 500."),
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
                    "scope": SCOPE_EXAMPLE,
                    "rows": [
                        {"group": {"id": 7, "name": "Ana"}, "value": 71.5, "status": "red"},
                        {"group": {"id": 3, "name": "Ben"}, "value": 38.0, "status": "green"},
                    ],
                },
                response_only=True,
            ),
            ERROR_EXAMPLE,
        ],
    )
    def get(self, request, key):
        engine.get_kpi(key)
        raw_limit = request.query_params.get("limit", "20")
        try:
            limit = int(raw_limit)
        except ValueError as exc:
            raise ValidationError(
                {"limit": ValidationError(f"{raw_limit!r} is not a number.", "invalid_limit")}
            ) from exc
        result = engine.breakdown(key, self.scope(), request.query_params.get("group_by"), limit)
        return Response(serializers.BreakdownSerializer(result).data)


class AgingView(KPIView):
    @extend_schema(
        operation_id="kpis_aging",
        summary="Open AR at a date by days past due, with collection activity per bucket",
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
                    "total": 15000.0,
                    "buckets": [
                        {
                            "bucket": "current",
                            "amount": 4000.0,
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
        as_of = parse_date(params.get("as_of"), "as_of")
        params["end"] = as_of.isoformat() if as_of else ""
        params["start"] = params["end"]
        scope = scope_from_params(params)
        return Response(serializers.AgingSerializer(engine.aging(scope, scope.end)).data)


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

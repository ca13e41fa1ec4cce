"""REST endpoints of the risk score, its backtest and the worklist: parse, call, render.

Every bad parameter is a Django ValidationError raised by `worklist.engine`,
`worklist.backtest` or `metrics.scope`, turned into a 400 with its code by the project's
exception handler. Reading needs the KPI permission (viewer and above). The risk list and the
worklist of a user limited to their own customers hold only those (`accounts.scoping`).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from metrics.api.views import ERROR_EXAMPLE, FILTER_PARAMETERS
from metrics.scope import build_scope, today
from o2c_api.api.permissions import CanViewKPIs, CanViewScopedKPIs
from worklist import backtest, engine
from worklist.api import serializers

AS_OF = OpenApiParameter("as_of", OpenApiTypes.DATE, description="Default: today.")
PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit", {"type": "integer", "minimum": 1}, description="1 to 500 (default 50)."
    ),
    OpenApiParameter(
        "offset", {"type": "integer", "minimum": 0}, description="Rows skipped (default 0)."
    ),
]
NO_ACTIVITY = OpenApiParameter(
    "no_activity_days",
    {"type": "integer", "minimum": 0, "maximum": 3660},
    description="Only invoices without a collection activity in the last N days (to as_of).",
)


def page_links(request, count: int, limit: int, offset: int) -> dict:
    """`next` and `previous` as DRF's limit/offset pagination writes them."""
    url = request.build_absolute_uri()
    following = None
    if offset + limit < count:
        following = replace_query_param(
            replace_query_param(url, "limit", limit), "offset", offset + limit
        )
    previous = None
    if offset > 0:
        previous = replace_query_param(url, "limit", limit)
        previous = (
            remove_query_param(previous, "offset")
            if offset - limit <= 0
            else replace_query_param(previous, "offset", offset - limit)
        )
    return {"next": following, "previous": previous}


class RiskView(APIView):
    permission_classes = [CanViewScopedKPIs]

    @extend_schema(
        operation_id="risk_list",
        summary="Payment-risk score of every invoice open at as_of, highest first, explained",
        parameters=[AS_OF, *FILTER_PARAMETERS, *PAGE_PARAMETERS],
        responses={200: serializers.RiskPageSerializer},
        examples=[ERROR_EXAMPLE],
    )
    def get(self, request):
        params = request.query_params
        limit, offset = engine.page_bounds(params.get("limit"), params.get("offset"))
        scope, as_of = engine.scope_at(params, request.user)
        page = engine.risk_page(
            scope,
            as_of,
            limit=limit,
            offset=offset,
        )
        data = {
            "count": page.count,
            **page_links(request, page.count, limit, offset),
            "as_of": page.as_of,
            "model": page.model,
            "results": page.results,
        }
        return Response(serializers.RiskPageSerializer(data).data)


class WorklistView(APIView):
    permission_classes = [CanViewScopedKPIs]

    @extend_schema(
        operation_id="worklist",
        summary="Open invoices ranked by cash at risk, with the suggested next action",
        parameters=[AS_OF, *FILTER_PARAMETERS, NO_ACTIVITY, *PAGE_PARAMETERS],
        responses={200: serializers.WorklistSerializer},
        examples=[ERROR_EXAMPLE],
    )
    def get(self, request):
        params = request.query_params
        limit, offset = engine.page_bounds(params.get("limit"), params.get("offset"))
        no_activity_days = engine.no_activity_days_of(params.get("no_activity_days"))
        scope, as_of = engine.scope_at(params, request.user)
        page = engine.worklist_page(
            scope,
            as_of,
            no_activity_days=no_activity_days,
            limit=limit,
            offset=offset,
        )
        data = {
            "count": page.count,
            **page_links(request, page.count, limit, offset),
            "as_of": page.as_of,
            "model": page.model,
            "no_activity_days": page.no_activity_days,
            "results": page.results,
        }
        return Response(serializers.WorklistSerializer(data).data)


class BacktestView(APIView):
    permission_classes = [CanViewKPIs]

    @extend_schema(
        operation_id="risk_backtest",
        summary="The score's ROC AUC and calibration at past month ends, vs the baseline",
        parameters=[
            OpenApiParameter(
                "start", OpenApiTypes.DATE, description="Default: 12 month ends back."
            ),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Default: last month end."),
            *FILTER_PARAMETERS,
        ],
        responses={200: serializers.BacktestSerializer},
        examples=[ERROR_EXAMPLE],
    )
    def get(self, request):
        params = request.query_params
        scope = backtest_scope(params)
        result = backtest.backtest(scope, scope.start, scope.end)
        return Response(serializers.BacktestSerializer(result).data)


def backtest_scope(params):
    """The backtest's scope; the period defaults to the twelve month ends before today."""
    start, end = params.get("start"), params.get("end")
    if not start and not end:
        default_start, default_end = backtest.previous_year(today())
        start, end = default_start.isoformat(), default_end.isoformat()
    return build_scope(
        start=start,
        end=end,
        rep=params.get("rep"),
        segment=params.get("segment"),
        customer=params.get("customer"),
        product_line=params.get("product_line"),
        currency=params.get("currency"),
    )

"""`GET /api/v1/`: the browsable root, listing every resource and KPI endpoint by name."""

from collections import OrderedDict

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.api.urls import router as accounts_router
from dashboard.api.urls import router as dashboard_router
from dunning.api.urls import reports as dunning_reports
from dunning.api.urls import router as dunning_router
from integrations.api.urls import reports as integrations_reports
from integrations.api.urls import router as integrations_router
from metrics.api.urls import urlpatterns as metrics_urls
from outlook.api.urls import urlpatterns as outlook_urls
from receivables.api.urls import router as receivables_router
from worklist.api.urls import urlpatterns as worklist_urls

ROUTERS = (
    accounts_router,
    receivables_router,
    dashboard_router,
    dunning_router,
    integrations_router,
)
# The endpoints that are not resources: KPIs (paths under kpis/) and the other reports.
ENDPOINTS = (
    *metrics_urls,
    *outlook_urls,
    *worklist_urls,
    *dunning_reports,
    *integrations_reports,
)
# The KPI routes that take a KPI key are listed with this one as the example.
EXAMPLE_KPI = "dso"


class APIRootView(APIView):
    """The o2c-api REST API, version 1: resources, KPIs and reports. Every list takes
    `?limit=&offset=`, `?ordering=`, `?search=` and its own filters; the KPI endpoints take
    the scope parameters `start`, `end`, `rep`, `segment`, `customer`, `product_line` and
    `currency`. The OpenAPI schema
    is at /api/schema/, its Swagger UI at /api/docs/ and ReDoc at /api/redoc/."""

    # Only links: nothing of the data is shown, so no role is needed to read it.
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request, format=None):
        def link(name: str, *args) -> str:
            return reverse(name, args=args, request=request, format=format)

        resources = OrderedDict(
            (prefix, link(f"{basename}-list"))
            for router in ROUTERS
            for prefix, _viewset, basename in router.registry
        )
        kpis, reports = OrderedDict(), OrderedDict()
        for pattern in ENDPOINTS:
            route = str(pattern.pattern)
            args = (EXAMPLE_KPI,) if "<str:key>" in route else ()
            name = route.replace("<str:key>", EXAMPLE_KPI).rstrip("/")
            (kpis if route.startswith("kpis/") else reports)[name] = link(pattern.name, *args)
        return Response(OrderedDict(resources=resources, kpis=kpis, reports=reports))

"""`GET /api/v1/`: the browsable root, listing every resource and KPI endpoint by name."""

from collections import OrderedDict

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.api.urls import router as accounts_router
from dashboard.api.urls import router as dashboard_router
from metrics.api.urls import urlpatterns as kpi_urls
from receivables.api.urls import router as receivables_router

ROUTERS = (accounts_router, receivables_router, dashboard_router)
# The KPI routes that take a KPI key are listed with this one as the example.
EXAMPLE_KPI = "dso"


class APIRootView(APIView):
    """The o2c-api REST API, version 1. Every list takes `?limit=&offset=`, `?ordering=`,
    `?search=` and its own filters; the KPI endpoints take the scope parameters `start`,
    `end`, `rep`, `segment`, `customer`, `product_line` and `currency`. The OpenAPI schema
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
        kpis = OrderedDict(
            (
                str(pattern.pattern).replace("<str:key>", EXAMPLE_KPI).rstrip("/"),
                link(pattern.name, EXAMPLE_KPI)
                if "<str:key>" in str(pattern.pattern)
                else link(pattern.name),
            )
            for pattern in kpi_urls
        )
        return Response(OrderedDict(resources=resources, kpis=kpis))

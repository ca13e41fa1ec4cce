"""Top-level routes: admin, REST API v1 (gathered from each app), OpenAPI docs, GraphQL."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from dashboard import views as dashboard_views
from o2c_api.api.root import APIRootView
from o2c_api.graphql.views import O2CGraphQLView
from o2c_api.schema import schema

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("receivables.api.urls")),
    path("", include("metrics.api.urls")),
    path("", include("outlook.api.urls")),
    path("", include("worklist.api.urls")),
    path("", include("dashboard.api.urls")),
    path("", include("dunning.api.urls")),
    path("", include("integrations.api.urls")),
    path("", APIRootView.as_view(), name="api-root"),
]

urlpatterns = [
    path("", dashboard_views.landing, name="landing"),
    path("dashboard/", include("dashboard.urls")),
    path("favicon.ico", RedirectView.as_view(url=static("dashboard/favicon.svg"))),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path(
        "api/redoc/",
        # Our template: drf-spectacular's without its Google Fonts links (offline).
        SpectacularRedocView.as_view(url_name="schema", template_name="docs/redoc.html"),
        name="redoc",
    ),
    path("api-auth/", include("rest_framework.urls")),
    path("graphql/", O2CGraphQLView.as_view(schema=schema), name="graphql"),
]

handler404 = "o2c_api.api.exceptions.page_not_found"
handler500 = "o2c_api.api.exceptions.server_error"

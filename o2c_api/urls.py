"""Top-level routes: admin, REST API v1 (gathered from each app), OpenAPI docs, GraphQL."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from o2c_api.graphql.views import O2CGraphQLView
from o2c_api.schema import schema

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("receivables.api.urls")),
    path("", include("metrics.api.urls")),
    path("", include("outlook.api.urls")),
    path("", include("worklist.api.urls")),
    path("", include("dunning.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls")),
    path("graphql/", O2CGraphQLView.as_view(schema=schema), name="graphql"),
]

handler404 = "o2c_api.api.exceptions.page_not_found"
handler500 = "o2c_api.api.exceptions.server_error"

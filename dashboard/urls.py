"""Routes of the dashboard pages (under /dashboard/); the landing page is at / (o2c_api.urls)."""

from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("panels/", views.panels_page, name="panels"),
    path("kpis/<str:key>/", views.kpi_detail, name="kpi"),
    path("invoices/", views.invoices, name="invoices"),
    path("actions/new/", views.new_action, name="new-action"),
    path("actions/<int:pk>/done/", views.complete_action, name="complete-action"),
    path("annotations/new/", views.new_annotation, name="new-annotation"),
]

"""Routes of the cash outlook (under /api/v1/). `kpis/dso-impact/` matches none of the KPI
routes of `metrics.api.urls` (theirs end in /series/ or /breakdown/), so order is free."""

from django.urls import path

from outlook.api import views

urlpatterns = [
    path("kpis/dso-impact/", views.DSOImpactView.as_view(), name="kpi-dso-impact"),
    path("forecast/", views.CashForecastView.as_view(), name="forecast"),
    path("forecast/accuracy/", views.ForecastAccuracyView.as_view(), name="forecast-accuracy"),
]

"""Routes of the KPI endpoints (under /api/v1/)."""

from django.urls import path

from metrics.api import views

urlpatterns = [
    path("kpis/", views.SummaryView.as_view(), name="kpi-summary"),
    path("kpis/aging/", views.AgingView.as_view(), name="kpi-aging"),
    path("kpis/reminder-funnel/", views.ReminderFunnelView.as_view(), name="kpi-reminder-funnel"),
    path("kpis/time-to-invoice/", views.TimeToInvoiceView.as_view(), name="kpi-time-to-invoice"),
    path("kpis/glossary/", views.GlossaryView.as_view(), name="kpi-glossary"),
    path("kpis/series/", views.ManySeriesView.as_view(), name="kpi-series-many"),
    path("kpis/<str:key>/series/", views.SeriesView.as_view(), name="kpi-series"),
    path("kpis/<str:key>/breakdown/", views.BreakdownView.as_view(), name="kpi-breakdown"),
]

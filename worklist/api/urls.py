"""Routes of the risk score and the worklist (under /api/v1/)."""

from django.urls import path

from worklist.api import views

urlpatterns = [
    path("risk/", views.RiskView.as_view(), name="risk-list"),
    path("risk/backtest/", views.BacktestView.as_view(), name="risk-backtest"),
    path("worklist/", views.WorklistView.as_view(), name="worklist"),
]

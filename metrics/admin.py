"""Admin: thresholds are edited here (defaults shipped by migration 0002)."""

from django.contrib import admin

from metrics.models import Threshold


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = ("kpi", "segment", "better", "green_boundary", "red_boundary", "owner")
    list_filter = ("better", "segment")
    search_fields = ("kpi", "owner")
    list_select_related = ("segment",)

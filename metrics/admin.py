"""Admin for KPI thresholds."""

from django.contrib import admin

from metrics.models import Threshold


@admin.register(Threshold)
class ThresholdAdmin(admin.ModelAdmin):
    list_display = (
        "kpi",
        "segment",
        "better",
        "green_boundary",
        "red_boundary",
        "owner",
        "owner_user",
        "updated_at",
    )
    list_filter = ("better", "segment", "kpi")
    search_fields = ("kpi", "owner", "segment__name", "segment__code")
    list_select_related = ("segment", "owner_user")
    autocomplete_fields = ("segment", "owner_user")

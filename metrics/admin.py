"""Admin for KPI thresholds, and the KPI rollup (read-only)."""

from django.contrib import admin

from metrics.models import KPIRollup, Threshold


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


@admin.register(KPIRollup)
class KPIRollupAdmin(admin.ModelAdmin):
    """One row per day, currency and projection (rep / segment / product line, −1 or "*" for
    all), or at full dimensions. Derived rows: the writes keep them; `manage.py
    rebuild_ar_rollup` repairs them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    list_display = (
        "day",
        "currency",
        "rep_key",
        "segment_key",
        "product_line",
        "ar_invoiced",
        "ar_applied",
        "invoices_issued",
        "payments_received",
        "reminders_sent",
    )
    list_filter = ("currency", "product_line", "day")
    search_fields = ("product_line",)
    date_hierarchy = "day"

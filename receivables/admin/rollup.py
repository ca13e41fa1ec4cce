"""The derived table (the KPI rollup): read-only."""

from django.contrib import admin

from receivables.models import KPIRollup


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived rows: the writes keep them; `manage.py rebuild_ar_rollup` repairs them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(KPIRollup)
class KPIRollupAdmin(ReadOnlyAdmin):
    """One row per day, currency and projection (rep / segment / product line, −1 or "*" for
    all)."""

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

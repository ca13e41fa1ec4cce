"""The derived tables (AR daily movements, KPI rollup): read-only."""

from django.contrib import admin

from receivables.models import ARDailyMovement, KPIRollup


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived rows: the writes keep them; `manage.py rebuild_ar_rollup` repairs them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ARDailyMovement)
class ARDailyMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "movement_date",
        "due_date",
        "kind",
        "rep_key",
        "segment_key",
        "product_line",
        "currency",
        "amount",
    )
    list_filter = ("kind", "currency", "product_line", "movement_date")
    search_fields = ("product_line",)
    date_hierarchy = "movement_date"


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

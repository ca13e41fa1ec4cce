"""The AR daily movement rollup: read-only."""

from django.contrib import admin

from receivables.models import ARDailyMovement


@admin.register(ARDailyMovement)
class ARDailyMovementAdmin(admin.ModelAdmin):
    """Read-only: the services keep it; `manage.py rebuild_ar_rollup` repairs it."""

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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Admin: the cash forecasts kept for the dashboard (derived data: read, computed again,
deleted; never edited by hand)."""

from django.contrib import admin

from accounts.scoping import is_scoped
from o2c_api.admin import counted
from outlook import stored
from outlook.models import StoredForecast


@admin.register(StoredForecast)
class StoredForecastAdmin(admin.ModelAdmin):
    list_display = ("scope_key", "as_of", "computed_at", "compute_ms")
    list_filter = ("as_of",)
    search_fields = ("scope_key",)
    fields = ("scope_key", "as_of", "weeks", "computed_at", "compute_ms", "scope", "result")
    readonly_fields = fields
    actions = ["compute_again"]

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        # A user limited to their own customers sees only the forecasts of their customers.
        if is_scoped(request.user):
            return rows.filter(scope__customers_of=request.user.pk)
        return rows

    def has_add_permission(self, request):
        return False  # computed by outlook.stored, on a view or on the worker's schedule

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Compute the selected forecasts again now", permissions=["view"])
    def compute_again(self, request, queryset):
        for row in queryset:
            stored.compute(stored.scope_of(row), row.weeks)
        done = counted(
            queryset.count(), "%(count)d forecast computed.", "%(count)d forecasts computed."
        )
        self.message_user(request, done)

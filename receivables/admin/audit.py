"""The audit trail of money records as admin lists (o2c_api.audit): read-only, searchable by
object id, filtered by source, kind of change and date. Each object's own History page (its
change page's "History" button) shows the same rows with what changed between them."""

from django.contrib import admin

from accounts.models import Customer
from o2c_api.admin import CustomerScopedAdmin
from receivables.models import (
    Adjustment,
    Dispute,
    Invoice,
    Payment,
    PaymentApplication,
    PromiseToPay,
)


class AuditTrailAdmin(CustomerScopedAdmin):
    """One audited model's history rows, newest first; nobody adds, edits or deletes them.
    A user limited to their customers sees only their customers' rows (accounts.scoping)."""

    list_display = (
        "history_date",
        "history_type",
        "object_id",
        "history_user",
        "source",
        "history_change_reason",
    )
    list_filter = ("source", "history_type", "history_date")
    search_fields = ("=id", "history_change_reason", "history_user__username")
    list_select_related = ("history_user",)
    date_hierarchy = "history_date"
    ordering = ("-history_date", "-history_id")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.display(description="object id", ordering="id")
    def object_id(self, obj) -> int:
        return obj.id

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for audited in (Customer, Invoice, Adjustment, Payment, PaymentApplication, Dispute, PromiseToPay):
    admin.site.register(audited.history.model, AuditTrailAdmin)

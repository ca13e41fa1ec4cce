"""Disputes, promises to pay and collection activities."""

from django.contrib import admin

from o2c_api.admin import AuditedAdmin, ServiceAdmin, changes_from, run_for_each
from receivables import services
from receivables.models import CollectionActivity, Dispute, PromiseToPay


@admin.register(Dispute)
class DisputeAdmin(AuditedAdmin, ServiceAdmin):
    """Opened with `open_dispute`; resolved by actions (`resolve_dispute`); notes editable."""

    def has_delete_permission(self, request, obj=None):
        # Its KPI facts are kept by its services, which reverse rather than delete
        # (resolve a dispute, unapply a payment); a promise is a record of what was said.
        return False

    list_display = (
        "invoice",
        "customer",
        "reason",
        "amount",
        "opened_date",
        "status",
        "resolved_date",
        "resolution",
    )
    list_filter = (
        "status",
        "reason",
        "resolution",
        "opened_date",
        "resolved_date",
        "invoice__rep",
        "invoice__customer__segment",
    )
    search_fields = ("invoice__number", "invoice__customer__name", "notes")
    list_select_related = ("invoice__customer",)
    autocomplete_fields = ("invoice",)
    date_hierarchy = "opened_date"
    actions = ("resolve_upheld", "resolve_withdrawn", "resolve_credited")
    NEW_FIELDS = ("invoice", "reason", "amount", "opened_date", "notes")

    @admin.display(ordering="invoice__customer__name")
    def customer(self, obj):
        return obj.invoice.customer

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(self.NEW_FIELDS)
        return [*self.NEW_FIELDS, "status", "resolved_date", "resolution"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # Status, date and resolution change through the resolve actions only.
        return (
            "invoice",
            "reason",
            "amount",
            "opened_date",
            "status",
            "resolved_date",
            "resolution",
        )

    def save_with_service(self, request, form, change):
        data = form.cleaned_data
        if not change:
            return services.open_dispute(
                data["invoice"],
                reason=data["reason"],
                amount=data["amount"],
                opened_date=data["opened_date"],
                notes=data["notes"],
            )
        dispute = form.instance
        dispute.notes = data["notes"]
        dispute.save(update_fields=["notes", "updated_at"])
        return dispute

    def _resolve(self, request, queryset, resolution, credit: bool):
        def resolve(dispute):
            services.resolve_dispute(
                dispute,
                resolution=resolution,
                credit_amount=dispute.amount if credit else None,
                user=request.user,
            )

        run_for_each(
            self,
            request,
            queryset.select_related("invoice"),
            resolve,
            f"disputes resolved ({resolution})",
        )

    @admin.action(description="Resolve selected disputes: invoice upheld", permissions=["change"])
    def resolve_upheld(self, request, queryset):
        self._resolve(request, queryset, Dispute.Resolution.UPHELD, credit=False)

    @admin.action(description="Resolve selected disputes: withdrawn", permissions=["change"])
    def resolve_withdrawn(self, request, queryset):
        self._resolve(request, queryset, Dispute.Resolution.WITHDRAWN, credit=False)

    @admin.action(
        description="Resolve selected disputes: credit the disputed amount", permissions=["change"]
    )
    def resolve_credited(self, request, queryset):
        self._resolve(request, queryset, Dispute.Resolution.CREDITED, credit=True)


@admin.register(PromiseToPay)
class PromiseToPayAdmin(AuditedAdmin, ServiceAdmin):
    """Created with `create_promise` (status derived at once); notes editable afterwards."""

    def has_delete_permission(self, request, obj=None):
        # Its KPI facts are kept by its services, which reverse rather than delete
        # (resolve a dispute, unapply a payment); a promise is a record of what was said.
        return False

    list_display = ("invoice", "customer", "created_date", "promised_date", "amount", "status")
    list_filter = (
        "status",
        "promised_date",
        "created_date",
        "invoice__rep",
        "invoice__customer__segment",
    )
    search_fields = ("invoice__number", "invoice__customer__name", "notes")
    list_select_related = ("invoice__customer",)
    autocomplete_fields = ("invoice",)
    date_hierarchy = "promised_date"
    actions = ("refresh_statuses",)
    NEW_FIELDS = ("invoice", "created_date", "promised_date", "amount", "notes")

    @admin.display(ordering="invoice__customer__name")
    def customer(self, obj):
        return obj.invoice.customer

    def get_fields(self, request, obj=None):
        return list(self.NEW_FIELDS) if obj is None else [*self.NEW_FIELDS, "status"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("invoice", "created_date", "promised_date", "amount", "status")

    def save_with_service(self, request, form, change):
        data = form.cleaned_data
        if not change:
            return services.create_promise(
                data["invoice"],
                promised_date=data["promised_date"],
                amount=data["amount"],
                created_date=data["created_date"],
                notes=data["notes"],
                user=request.user,
            )
        promise = form.instance
        promise.notes = data["notes"]
        promise.save(update_fields=["notes", "updated_at"])
        return promise

    @admin.action(description="Refresh statuses of selected promises", permissions=["change"])
    def refresh_statuses(self, request, queryset):
        invoice_ids = set(queryset.values_list("invoice_id", flat=True))
        services.refresh_promise_statuses(invoice_ids=sorted(invoice_ids))
        self.message_user(request, f"Refreshed the promises of {len(invoice_ids)} invoices.")


@admin.register(CollectionActivity)
class CollectionActivityAdmin(ServiceAdmin):
    """Activities are logged, changed and deleted through the services."""

    list_display = ("occurred_at", "kind", "customer", "invoice", "outcome", "clicked_at")
    list_filter = ("kind", "outcome", "occurred_at", "customer__rep", "customer__segment")
    search_fields = ("customer__name", "customer__external_id", "invoice__number", "notes")
    list_select_related = ("customer", "invoice")
    autocomplete_fields = ("customer", "invoice")
    readonly_fields = ("created_by", "created_at", "updated_at")
    date_hierarchy = "occurred_at"

    def save_with_service(self, request, form, change):
        if not change:
            return services.create_activity(user=request.user, **form.cleaned_data)
        fields = [f.name for f in CollectionActivity._meta.concrete_fields if f.editable]
        return services.update_activity(form.instance, **changes_from(form, fields))

    def delete_model(self, request, obj):
        services.delete_activity(obj)

    def delete_queryset(self, request, queryset):
        for activity in queryset:
            services.delete_activity(activity)

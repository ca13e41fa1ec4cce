"""Payments and their applications: recorded, applied and reversed by the services."""

from django.contrib import admin

from o2c_api.admin import (
    AuditedAdmin,
    NeverDeletedAdmin,
    ServiceAdmin,
    changes_from,
    money,
    run_for_each,
)
from receivables import services
from receivables.admin.inlines import PaymentApplicationInline
from receivables.models import Payment, PaymentApplication


@admin.register(Payment)
class PaymentAdmin(NeverDeletedAdmin, AuditedAdmin, ServiceAdmin):
    """Recorded with `record_payment`, edited with `update_payment`; applications inline."""

    list_display = (
        "id",
        "customer",
        "received_date",
        "amount_shown",
        "unapplied_shown",
        "method",
        "reference",
        "external_id",
    )
    list_filter = (
        "method",
        "currency",
        "received_date",
        "customer__rep",
        "customer__segment",
    )
    search_fields = ("reference", "external_id", "customer__name", "customer__external_id")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)
    date_hierarchy = "received_date"
    readonly_fields = ("unapplied_amount", "posted_by", "created_at", "updated_at")
    inlines = (PaymentApplicationInline,)
    EDITABLE = (
        "customer",
        "amount",
        "currency",
        "received_date",
        "method",
        "reference",
        "external_id",
    )

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, payment):
        return money(payment.amount, payment.currency)

    @admin.display(description="unapplied", ordering="unapplied_amount")
    def unapplied_shown(self, payment):
        return money(payment.unapplied_amount, payment.currency)

    def get_fields(self, request, obj=None):
        return [*self.EDITABLE, *self.readonly_fields] if obj else list(self.EDITABLE)

    def save_with_service(self, request, form, change):
        data = form.cleaned_data
        if not change:
            return services.record_payment(
                customer=data["customer"],
                amount=data["amount"],
                received_date=data["received_date"],
                currency=data["currency"],
                method=data["method"],
                reference=data["reference"],
                external_id=data["external_id"],
                posted_by=request.user,
            )
        return services.update_payment(form.instance, **changes_from(form, self.EDITABLE))


@admin.register(PaymentApplication)
class PaymentApplicationAdmin(NeverDeletedAdmin, AuditedAdmin, ServiceAdmin):
    """Made with `apply_payment`, reversed with the `unapply` action; never edited or deleted."""

    list_display = (
        "id",
        "payment",
        "invoice",
        "amount_shown",
        "applied_date",
        "automatic",
        "created_by",
    )
    list_filter = ("automatic", "applied_date", "invoice__rep", "invoice__customer__segment")
    search_fields = (
        "invoice__number",
        "payment__reference",
        "payment__external_id",
        "invoice__customer__name",
    )
    list_select_related = ("payment__customer", "invoice", "created_by")
    autocomplete_fields = ("payment", "invoice")
    date_hierarchy = "applied_date"
    fields = ("payment", "invoice", "amount", "applied_date")
    actions = ("unapply_applications",)

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, application):
        return money(application.amount, application.invoice.currency)

    def save_with_service(self, request, form, change):
        data = form.cleaned_data
        return services.apply_payment(
            data["payment"],
            data["invoice"],
            data["amount"],
            applied_date=data["applied_date"],
            user=request.user,
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_unapply_permission(self, request) -> bool:
        return request.user.has_perm("receivables.change_paymentapplication")

    @admin.action(description="Unapply selected applications", permissions=["unapply"])
    def unapply_applications(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            services.unapply,
            ("%(count)d application unapplied.", "%(count)d applications unapplied."),
        )

"""Inlines of the invoice and payment pages."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from o2c_api.admin import money
from receivables import services
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    PaymentApplication,
    PromiseToPay,
)


class ReadOnlyInline(admin.TabularInline):
    """Shows related rows without letting the inline write them (their writes have rules).

    `select_related` lists what each row's title (its __str__) and read-only cells show, so a
    page costs the same number of queries however many rows it lists.
    """

    extra = 0
    can_delete = False
    show_change_link = True
    select_related: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    @admin.display(description="amount")
    def amount_shown(self, obj):
        """Every row here belongs to an invoice: its amount in the invoice's currency."""
        return money(obj.amount, obj.invoice.currency)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related(*self.select_related) if self.select_related else queryset


class ApplicationInline(ReadOnlyInline):
    model = PaymentApplication
    fields = ("payment", "invoice", "amount_shown", "applied_date", "automatic", "created_by")
    select_related = ("payment__customer", "invoice", "created_by")


class InvoiceApplicationInline(ApplicationInline):
    fields = ("payment", "amount_shown", "applied_date", "automatic", "created_by")


class PaymentApplicationInline(ApplicationInline):
    fields = ("invoice", "amount_shown", "applied_date", "automatic", "created_by")


class AdjustmentInline(ReadOnlyInline):
    model = Adjustment
    fields = ("kind", "amount_shown", "adjustment_date", "reason", "created_by")
    select_related = ("invoice", "created_by")


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fields = ("reason", "amount_shown", "opened_date", "status", "resolved_date", "resolution")
    select_related = ("invoice",)


class PromiseInline(ReadOnlyInline):
    model = PromiseToPay
    fields = ("created_date", "promised_date", "amount_shown", "status", "created_by")
    select_related = ("invoice", "created_by")


class ActivityInlineForm(forms.ModelForm):
    """An activity row of the invoice page, checked against `create_activity`'s rules."""

    def _post_clean(self):
        super()._post_clean()
        activity = self.instance
        if self.errors or activity.invoice_id is None:
            return
        if activity.customer_id is None:
            activity.customer_id = activity.invoice.customer_id
        try:
            services.check_activity_rules(activity)
        except ValidationError as exc:
            self._update_errors(exc)


class ActivityInline(admin.TabularInline):
    """Activities have no money rules: they are logged from the invoice page, through the
    services (`InvoiceAdmin.save_formset`)."""

    model = CollectionActivity
    form = ActivityInlineForm
    fields = ("kind", "occurred_at", "clicked_at", "outcome", "notes")
    extra = 0

    def get_queryset(self, request):
        # Each row's title is its __str__, which names the customer.
        return super().get_queryset(request).select_related("customer")

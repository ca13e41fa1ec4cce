"""Orders, invoices and adjustments: invoice writes go through the services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse

from o2c_api.admin import (
    AuditedAdmin,
    NeverDeletedAdmin,
    ServiceAdmin,
    ServiceAdminForm,
    changes_from,
    counted,
    error_text,
    money,
    run_for_each,
)
from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.expressions import DaysBetween
from o2c_api.money import CURRENCY_CHOICES
from receivables import predicates, services
from receivables.admin import filters, summaries
from receivables.admin.collection import BackToInvoice
from receivables.admin.inlines import (
    ActivityInline,
    AdjustmentInline,
    DisputeInline,
    InvoiceApplicationInline,
    PromiseInline,
)
from receivables.models import Adjustment, CollectionActivity, Invoice, Order, PromiseToPay
from receivables.services.invoices import DRAFT_ONLY_FIELDS


class OrderForm(ServiceAdminForm):
    """Currency and rep may be left empty: `create_order` takes the customer's. A new order
    for a customer on credit hold needs an admin's reason to override the hold."""

    currency = forms.ChoiceField(
        choices=[("", "The customer's currency")] + CURRENCY_CHOICES, required=False
    )
    credit_hold_override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when the customer is on credit hold: why the order is booked anyway "
        "(admins only; recorded with your name).",
    )

    class Meta:
        model = Order
        fields = "__all__"


@admin.register(Order)
class OrderAdmin(ServiceAdmin):
    """Orders are booked with `create_order` (refused for a customer on credit hold unless an
    admin overrides it) and changed with `update_order`."""

    form = OrderForm
    list_display = (
        "number",
        "customer",
        "rep",
        "order_date",
        "amount_shown",
        "product_line",
        "status",
    )
    list_filter = ("status", "currency", "product_line", "rep", "customer__segment", "order_date")
    search_fields = ("number", "customer__name", "customer__external_id", "opportunity__name")
    list_select_related = ("customer", "rep")
    autocomplete_fields = ("customer", "rep", "opportunity")
    date_hierarchy = "order_date"

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, order):
        return money(order.amount, order.currency)

    def save_with_service(self, request, form, change):
        from dunning.services import HoldOverride

        data = dict(form.cleaned_data)
        reason = data.pop("credit_hold_override_reason", "")
        if not change:
            try:
                return services.create_order(
                    **data,
                    credit_hold_override=HoldOverride(request.user, reason) if reason else None,
                )
            except PermissionDenied as exc:
                raise ValidationError(
                    {
                        "credit_hold_override_reason": ValidationError(
                            "Only an admin may override a credit hold.",
                            CommonCode.PERMISSION_DENIED,
                        )
                    }
                ) from exc
        fields = [f.name for f in Order._meta.concrete_fields if f.editable]
        changes = changes_from(form, fields)
        if "currency" in changes and not changes["currency"]:
            changes["currency"] = form.instance.customer.currency
        return services.update_order(form.instance, **changes)

    def delete_model(self, request, obj):
        services.delete_order(obj)  # a tombstone in the event feed

    def delete_queryset(self, request, queryset):
        for order in queryset:
            services.delete_order(order)


class InvoiceForm(ServiceAdminForm):
    """Due date, currency, rep and product line may be left empty: the service fills them."""

    due_date = forms.DateField(
        required=False, help_text="Empty: issue date + the customer's payment terms."
    )
    currency = forms.ChoiceField(
        choices=[("", "The order's or customer's currency")] + CURRENCY_CHOICES, required=False
    )
    product_line = forms.CharField(
        required=False, max_length=64, help_text="Empty on a new invoice: the order's."
    )

    class Meta:
        model = Invoice
        fields = "__all__"


class NewInvoiceForm(InvoiceForm):
    """A new invoice is issued at once (open) or kept as a draft; later via the actions."""

    new_status = forms.ChoiceField(
        label="Status",
        choices=[(Invoice.Status.OPEN, "Open (issued)"), (Invoice.Status.DRAFT, "Draft")],
        initial=Invoice.Status.OPEN,
    )


def days_past_due_expression(d):
    """For sorting: `Invoice.days_past_due_at(d)` in SQL (None unless open at d, 0 while not
    yet due). tests/receivables/test_admin_lists.py pins that both agree."""
    return Case(
        When(
            predicates.open_at(d),
            then=Greatest(DaysBetween(Value(d), F("due_date")), Value(0)),
        ),
        default=Value(None),
        output_field=IntegerField(),
    )


@admin.register(Invoice)
class InvoiceAdmin(AuditedAdmin, ServiceAdmin):
    """Creates with `create_invoice`, edits with `update_invoice`; void and issue are actions.

    The list finds the invoices to work on (past due by aging bucket, open amount, no recent
    activity, open dispute, latest promise) in columns that fit 1,400 px; the page shows the
    collection summary first, with pre-filled forms to record what happened.
    """

    form = InvoiceForm
    list_display = (
        "number",
        "customer",
        "due_date",
        "amount_shown",
        "open_shown",
        "days_past_due",
        "status",
        "collection",
    )
    list_filter = (
        filters.PastDueFilter,
        filters.OpenAmountFilter,
        filters.NoActivityFilter,
        filters.OpenDisputeFilter,
        filters.PromiseStatusFilter,
        "status",
        "currency",
        "product_line",
        "rep",
        "customer__segment",
        "issue_date",
        "due_date",
    )
    search_fields = ("number", "customer__name", "customer__external_id", "order__number")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer", "order", "rep")
    date_hierarchy = "issue_date"
    readonly_fields = (
        "status",
        "open_amount",
        "paid_date",
        "voided_date",
        "created_at",
        "updated_at",
    )
    inlines = (
        InvoiceApplicationInline,
        AdjustmentInline,
        DisputeInline,
        PromiseInline,
        ActivityInline,
    )
    actions = ("issue_invoices", "void_invoices", "refresh_promises")
    EDITABLE = (
        "customer",
        "number",
        "order",
        "rep",
        "product_line",
        "issue_date",
        "due_date",
        "amount",
        "currency",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_collection_state()
            .annotate(admin_days_past_due=days_past_due_expression(services.today()))
        )

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, invoice):
        return money(invoice.amount, invoice.currency)

    @admin.display(description="open", ordering="open_amount")
    def open_shown(self, invoice):
        return money(invoice.open_amount, invoice.currency)

    # Invoices that are not open (no days past due) sort below those due today.
    @admin.display(
        description="days past due", ordering=Coalesce(F("admin_days_past_due"), Value(-1))
    )
    def days_past_due(self, invoice):
        days = invoice.days_past_due_at(services.today())
        return "—" if days is None else days

    @admin.display(description="collection")
    def collection(self, invoice):
        """The open dispute and the latest promise's status (the API's collection state)."""
        parts = []
        if invoice.has_open_dispute:
            parts.append("disputed")
        if invoice.latest_promise_status:
            status = PromiseToPay.Status(invoice.latest_promise_status).label.lower()
            parts.append(f"promise {status}")
        return ", ".join(parts) or "—"

    @admin.display(description="collection summary")
    def summary(self, invoice):
        return render_to_string(
            "admin/receivables/invoice_summary.html", summaries.invoice_summary(invoice)
        )

    @admin.display(description="corrections")
    def corrections(self, invoice):
        today = services.today()
        links = summaries.record_links(invoice, today) if invoice.counts else {}
        return render_to_string("admin/receivables/invoice_corrections.html", {"links": links})

    def get_fields(self, request, obj=None):
        fields = list(self.EDITABLE)
        if obj is None:
            return [*fields, "new_status"]
        return [*fields, *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NewInvoiceForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        invoice_fields = self.get_fields(request, obj)
        if obj.status != Invoice.Status.DRAFT:
            # Read-only money is shown with its currency.
            shown = {"amount": "amount_shown", "open_amount": "open_shown", "currency": None}
            invoice_fields = [
                "corrections",
                *(shown.get(f, f) for f in invoice_fields if shown.get(f, f) is not None),
            ]
        return [
            ("Collection", {"fields": ["summary"]}),
            ("Invoice", {"fields": invoice_fields}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        shown = ("summary", *self.readonly_fields)
        if obj.status == Invoice.Status.DRAFT:
            return shown
        shown = ("corrections", "amount_shown", "open_shown", *shown)
        if obj.status == Invoice.Status.VOID:
            return (*shown, *self.EDITABLE)
        # What `update_invoice` refuses to change once issued: shown, not offered.
        return (*shown, *DRAFT_ONLY_FIELDS)

    def get_urls(self):
        view = self.admin_site.admin_view(self.void_view)
        return [
            path("<int:pk>/void/", view, name="receivables_invoice_void"),
            *super().get_urls(),
        ]

    def void_view(self, request, pk: int):
        """Confirm, then void the invoice with `void_invoice` (refused while cash is applied)."""
        invoice = get_object_or_404(Invoice, pk=pk)
        if not self.has_change_permission(request, invoice):
            raise PermissionDenied
        page = reverse("admin:receivables_invoice_change", args=[invoice.pk])
        if request.method == "POST":
            try:
                services.void_invoice(invoice)
            except ValidationError as exc:
                self.message_user(request, error_text(exc), messages.ERROR)
            else:
                self.message_user(request, f"{invoice} is void.", messages.SUCCESS)
            return HttpResponseRedirect(page)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Void {invoice}?",
            "opts": self.opts,
            "invoice": invoice,
            "cancel_url": page,
        }
        return TemplateResponse(request, "admin/receivables/invoice_void.html", context)

    def save_with_service(self, request, form, change):
        data = form.cleaned_data
        if not change:
            return services.create_invoice(
                customer=data["customer"],
                number=data["number"],
                issue_date=data["issue_date"],
                amount=data["amount"],
                currency=data["currency"] or None,
                due_date=data["due_date"],
                order=data["order"],
                rep=data["rep"],
                product_line=data["product_line"] or None,
                status=data["new_status"],
            )
        changes = changes_from(form, self.EDITABLE)
        if changes.get("due_date", "") is None:
            del changes["due_date"]  # empty on an existing invoice means "unchanged"
        if changes.get("currency", None) == "":
            del changes["currency"]
        return services.update_invoice(form.instance, **changes)

    def has_delete_permission(self, request, obj=None):
        # Only a draft is deleted: an issued (or void) invoice is a money record, never
        # deleted (issue 12); void it instead.
        if obj is not None and obj.status != Invoice.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        # Through the service, which refuses an issued invoice (never deleted: void it).
        services.delete_invoice(obj)

    def delete_queryset(self, request, queryset):
        for invoice in queryset:
            services.delete_invoice(invoice)

    @admin.action(description="Issue selected draft invoices", permissions=["change"])
    def issue_invoices(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            services.issue_invoice,
            ("%(count)d invoice issued.", "%(count)d invoices issued."),
        )

    @admin.action(description="Void selected invoices", permissions=["change"])
    def void_invoices(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            services.void_invoice,
            ("%(count)d invoice voided.", "%(count)d invoices voided."),
        )

    @admin.action(
        description="Refresh the promise statuses of selected invoices", permissions=["change"]
    )
    def refresh_promises(self, request, queryset):
        count = services.refresh_promise_statuses(
            invoice_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            counted(count, "%(count)d promise refreshed.", "%(count)d promises refreshed."),
            messages.SUCCESS,
        )

    def save_formset(self, request, form, formset, change):
        # Activities logged on the invoice page belong to the invoice's customer.
        if formset.model is not CollectionActivity:
            super().save_formset(request, form, formset, change)
            return
        # The lists the admin's change message reads (ModelFormSet.save would set them).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for activity_form in formset.forms:
            if activity_form in formset.deleted_forms:
                if activity_form.instance.pk is not None:
                    services.delete_activity(activity_form.instance)
                    formset.deleted_objects.append(activity_form.instance)
                continue
            if not activity_form.has_changed():
                continue
            data = {
                field: activity_form.cleaned_data[field]
                for field in activity_form.changed_data
                if field in activity_form.cleaned_data
            }
            if activity_form.instance.pk is None:
                activity = services.create_activity(
                    customer=form.instance.customer,
                    invoice=form.instance,
                    user=request.user,
                    **data,
                )
                formset.new_objects.append(activity)
            else:
                activity = services.update_activity(activity_form.instance, **data)
                formset.changed_objects.append((activity, activity_form.changed_data))


@admin.register(Adjustment)
class AdjustmentAdmin(NeverDeletedAdmin, AuditedAdmin, BackToInvoice, ServiceAdmin):
    """Added with `add_adjustment`; an adjustment is never edited or deleted afterwards."""

    list_display = ("invoice", "kind", "amount_shown", "adjustment_date", "reason", "created_by")
    list_filter = ("kind", "adjustment_date", "invoice__rep", "invoice__customer__segment")
    search_fields = ("invoice__number", "invoice__customer__name", "reason")
    list_select_related = ("invoice", "created_by")
    autocomplete_fields = ("invoice",)
    date_hierarchy = "adjustment_date"
    fields = ("invoice", "kind", "amount", "adjustment_date", "reason")

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, adjustment):
        return money(adjustment.amount, adjustment.invoice.currency)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("adjustment_date", services.today())
        return initial

    def save_with_service(self, request, form, change):
        data = form.cleaned_data
        return services.add_adjustment(
            data["invoice"],
            kind=data["kind"],
            amount=data["amount"],
            adjustment_date=data["adjustment_date"],
            reason=data["reason"],
            user=request.user,
        )

    def has_change_permission(self, request, obj=None):
        return False

"""Admin for orders, invoices, cash, disputes, promises, activities and the AR rollup.

Every save or action that moves money calls `receivables.services` (see `o2c_api.admin`): a
service refusal is shown on the form or as a message and changes nothing. Amounts the services
keep (open amount, paid date, unapplied amount, promise status, the rollup) are read-only.
"""

from django import forms
from django.contrib import admin, messages

from o2c_api.admin import ServiceAdmin, ServiceAdminForm, changes_from, run_for_each
from o2c_api.money import CURRENCY_CHOICES
from receivables import services
from receivables.models import (
    Adjustment,
    ARDailyMovement,
    CollectionActivity,
    Dispute,
    Invoice,
    Order,
    Payment,
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

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related(*self.select_related) if self.select_related else queryset


class ApplicationInline(ReadOnlyInline):
    model = PaymentApplication
    fields = ("payment", "invoice", "amount", "applied_date", "automatic", "created_by")
    select_related = ("payment__customer", "invoice", "created_by")


class InvoiceApplicationInline(ApplicationInline):
    fields = ("payment", "amount", "applied_date", "automatic", "created_by")


class PaymentApplicationInline(ApplicationInline):
    fields = ("invoice", "amount", "applied_date", "automatic", "created_by")


class AdjustmentInline(ReadOnlyInline):
    model = Adjustment
    fields = ("kind", "amount", "adjustment_date", "reason", "created_by")
    select_related = ("invoice", "created_by")


class DisputeInline(ReadOnlyInline):
    model = Dispute
    fields = ("reason", "amount", "opened_date", "status", "resolved_date", "resolution")
    select_related = ("invoice",)


class PromiseInline(ReadOnlyInline):
    model = PromiseToPay
    fields = ("created_date", "promised_date", "amount", "status", "created_by")
    select_related = ("invoice", "created_by")


class ActivityInline(admin.TabularInline):
    """Activities have no money rules: they can be logged from the invoice page."""

    model = CollectionActivity
    fields = ("kind", "occurred_at", "clicked_at", "outcome", "notes")
    extra = 0

    def get_queryset(self, request):
        # Each row's title is its __str__, which names the customer.
        return super().get_queryset(request).select_related("customer")


# --- Orders and invoices -------------------------------------------------------------------


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "customer",
        "rep",
        "order_date",
        "amount",
        "currency",
        "product_line",
        "status",
    )
    list_filter = ("status", "currency", "product_line", "rep", "customer__segment", "order_date")
    search_fields = ("number", "customer__name", "customer__external_id", "opportunity__name")
    list_select_related = ("customer", "rep")
    autocomplete_fields = ("customer", "rep", "opportunity")
    date_hierarchy = "order_date"


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


@admin.register(Invoice)
class InvoiceAdmin(ServiceAdmin):
    """Creates with `create_invoice`, edits with `update_invoice`; void and issue are actions."""

    form = InvoiceForm
    list_display = (
        "number",
        "customer",
        "rep",
        "issue_date",
        "due_date",
        "amount",
        "open_amount",
        "currency",
        "status",
        "paid_date",
    )
    list_filter = (
        "status",
        "currency",
        "product_line",
        "rep",
        "customer__segment",
        "issue_date",
        "due_date",
        "paid_date",
    )
    search_fields = ("number", "customer__name", "customer__external_id", "order__number")
    list_select_related = ("customer", "rep")
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

    def get_fields(self, request, obj=None):
        fields = list(self.EDITABLE)
        if obj is None:
            return [*fields, "new_status"]
        return [*fields, *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NewInvoiceForm
        return super().get_form(request, obj, change=change, **kwargs)

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
        # Only drafts and void invoices move no AR: deleting an issued one would corrupt the
        # rollup (void it instead). Applications, adjustments etc. protect it anyway.
        if obj is not None and obj.counts:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Issue selected draft invoices", permissions=["change"])
    def issue_invoices(self, request, queryset):
        run_for_each(self, request, queryset, services.issue_invoice, "invoices issued")

    @admin.action(description="Void selected invoices", permissions=["change"])
    def void_invoices(self, request, queryset):
        run_for_each(self, request, queryset, services.void_invoice, "invoices voided")

    @admin.action(
        description="Refresh the promise statuses of selected invoices", permissions=["change"]
    )
    def refresh_promises(self, request, queryset):
        count = services.refresh_promise_statuses(
            invoice_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(request, f"{count} promises refreshed.", messages.SUCCESS)

    def save_formset(self, request, form, formset, change):
        # Activities logged on the invoice page belong to the invoice's customer.
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, CollectionActivity) and instance.customer_id is None:
                instance.customer_id = form.instance.customer_id
                instance.created_by = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(Adjustment)
class AdjustmentAdmin(ServiceAdmin):
    """Added with `add_adjustment`; an adjustment is never edited or deleted afterwards."""

    list_display = ("invoice", "kind", "amount", "adjustment_date", "reason", "created_by")
    list_filter = ("kind", "adjustment_date", "invoice__rep", "invoice__customer__segment")
    search_fields = ("invoice__number", "invoice__customer__name", "reason")
    list_select_related = ("invoice", "created_by")
    autocomplete_fields = ("invoice",)
    date_hierarchy = "adjustment_date"
    fields = ("invoice", "kind", "amount", "adjustment_date", "reason")

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

    def has_delete_permission(self, request, obj=None):
        return False


# --- Cash --------------------------------------------------------------------------------


@admin.register(Payment)
class PaymentAdmin(ServiceAdmin):
    """Recorded with `record_payment`, edited with `update_payment`; applications inline."""

    list_display = (
        "id",
        "customer",
        "received_date",
        "amount",
        "unapplied_amount",
        "currency",
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
class PaymentApplicationAdmin(ServiceAdmin):
    """Made with `apply_payment`, reversed (deleted) with `unapply`; never edited."""

    list_display = ("id", "payment", "invoice", "amount", "applied_date", "automatic", "created_by")
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

    def delete_model(self, request, obj):
        services.unapply(obj)

    def delete_queryset(self, request, queryset):
        for application in queryset:
            services.unapply(application)


# --- Disputes, promises, activities -------------------------------------------------------


@admin.register(Dispute)
class DisputeAdmin(ServiceAdmin):
    """Opened with `open_dispute`; resolved by actions (`resolve_dispute`); notes editable."""

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
class PromiseToPayAdmin(ServiceAdmin):
    """Created with `create_promise` (status derived at once); notes editable afterwards."""

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
class CollectionActivityAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "kind", "customer", "invoice", "outcome", "clicked_at")
    list_filter = ("kind", "outcome", "occurred_at", "customer__rep", "customer__segment")
    search_fields = ("customer__name", "customer__external_id", "invoice__number", "notes")
    list_select_related = ("customer", "invoice")
    autocomplete_fields = ("customer", "invoice")
    date_hierarchy = "occurred_at"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --- The rollup --------------------------------------------------------------------------


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

"""Disputes, promises to pay and collection activities."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from o2c_api.admin import (
    SENTENCES,
    AuditedAdmin,
    NeverDeletedAdmin,
    ServiceAdmin,
    changes_from,
    counted,
    money,
    person_error,
    run_for_each,
)
from receivables import services
from receivables.errors import ErrorCode
from receivables.models import CollectionActivity, Dispute, PromiseToPay


class BackToInvoice:
    """An add form opened from an invoice's page (`?invoice=<id>`) returns to that page."""

    def response_add(self, request, obj, post_url_continue=None):
        invoice_id = request.GET.get("invoice", "")
        if invoice_id.isdigit() and not {"_continue", "_addanother", "_popup"} & set(request.POST):
            self.message_user(request, f"Saved: {obj}.", messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:receivables_invoice_change", args=[int(invoice_id)])
            )
        return super().response_add(request, obj, post_url_continue)


class ResolveDisputeForm(forms.Form):
    """How a dispute ends: `resolve_dispute` with notes and, when credited, a credit note."""

    resolution = forms.ChoiceField(
        choices=[c for c in Dispute.Resolution.choices if c[0]], widget=forms.RadioSelect
    )
    resolved_date = forms.DateField(help_text="Not before the day the dispute was opened.")
    credit_amount = forms.DecimalField(
        max_digits=18,
        decimal_places=2,
        required=False,
        help_text="Credited only: the credit note issued on the invoice (empty: none).",
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Dispute)
class DisputeAdmin(NeverDeletedAdmin, AuditedAdmin, BackToInvoice, ServiceAdmin):
    """Opened with `open_dispute`; resolved on its form or by actions (`resolve_dispute`)."""

    list_display = (
        "invoice",
        "customer",
        "reason",
        "amount_shown",
        "opened_date",
        "status",
        "resolved_date",
        "resolution",
        "resolve_link",
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

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, obj):
        return money(obj.amount, obj.invoice.currency)

    @admin.display(description="")
    def resolve_link(self, obj):
        if obj.status != Dispute.Status.OPEN:
            return ""
        url = reverse("admin:receivables_dispute_resolve", args=[obj.pk])
        return format_html('<a href="{}">Resolve…</a>', url)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("opened_date", services.today())
        return initial

    def get_urls(self):
        view = self.admin_site.admin_view(self.resolve_view)
        return [
            path("<int:pk>/resolve/", view, name="receivables_dispute_resolve"),
            *super().get_urls(),
        ]

    def resolve_view(self, request, pk: int):
        """The resolution form: resolution, date, credit amount and notes, saved by
        `resolve_dispute` (a refusal is shown on the form and changes nothing)."""
        dispute = get_object_or_404(Dispute.objects.select_related("invoice__customer"), pk=pk)
        if not self.has_change_permission(request, dispute):
            raise PermissionDenied
        page = reverse("admin:receivables_dispute_change", args=[dispute.pk])
        if dispute.status != Dispute.Status.OPEN:
            self.message_user(
                request, SENTENCES[ErrorCode.DISPUTE_ALREADY_RESOLVED], messages.WARNING
            )
            return HttpResponseRedirect(page)
        form = ResolveDisputeForm(
            request.POST or None,
            initial={"resolved_date": services.today(), "credit_amount": dispute.amount},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.resolve_dispute(
                    dispute,
                    resolution=data["resolution"],
                    resolved_date=data["resolved_date"],
                    credit_amount=data["credit_amount"]
                    if data["resolution"] == Dispute.Resolution.CREDITED
                    else None,
                    notes=data["notes"],
                    user=request.user,
                )
            except ValidationError as exc:
                # The credit note's refusals name its `amount`: here, the credit amount.
                if hasattr(exc, "error_dict") and "amount" in exc.error_dict:
                    exc.error_dict["credit_amount"] = exc.error_dict.pop("amount")
                add_errors(form, exc)
            else:
                self.message_user(request, f"{dispute} is resolved.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:receivables_invoice_change", args=[dispute.invoice_id])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Resolve the {dispute}",
            "opts": self.opts,
            "dispute": dispute,
            "form": form,
            "cancel_url": page,
        }
        return TemplateResponse(request, "admin/receivables/dispute_resolve.html", context)

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
        return services.update_notes(form.instance, data["notes"])

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
            (
                f"%(count)d dispute resolved ({resolution}).",
                f"%(count)d disputes resolved ({resolution}).",
            ),
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
class PromiseToPayAdmin(NeverDeletedAdmin, AuditedAdmin, BackToInvoice, ServiceAdmin):
    """Created with `create_promise` (status derived at once); notes editable afterwards."""

    list_display = (
        "invoice",
        "customer",
        "created_date",
        "promised_date",
        "amount_shown",
        "status",
    )
    list_filter = (
        "status",
        "promised_date",
        "created_date",
        "invoice__rep",
        "invoice__customer__segment",
    )
    search_fields = ("invoice__number", "invoice__customer__name", "notes")
    list_select_related = ("invoice", "customer")
    autocomplete_fields = ("invoice",)
    date_hierarchy = "promised_date"
    actions = ("refresh_statuses",)
    NEW_FIELDS = ("invoice", "created_date", "promised_date", "amount", "notes")

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, obj):
        return money(obj.amount, obj.invoice.currency)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("created_date", services.today())
        return initial

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
        return services.update_notes(form.instance, data["notes"])

    @admin.action(description="Refresh statuses of selected promises", permissions=["change"])
    def refresh_statuses(self, request, queryset):
        invoice_ids = set(queryset.values_list("invoice_id", flat=True))
        services.refresh_promise_statuses(invoice_ids=sorted(invoice_ids))
        self.message_user(
            request,
            counted(
                len(invoice_ids),
                "Refreshed the promises of %(count)d invoice.",
                "Refreshed the promises of %(count)d invoices.",
            ),
        )


@admin.register(CollectionActivity)
class CollectionActivityAdmin(BackToInvoice, ServiceAdmin):
    """Activities are logged, changed and deleted through the services."""

    list_display = ("occurred_at", "kind", "customer", "invoice", "outcome", "clicked_at")
    list_filter = ("kind", "outcome", "occurred_at", "customer__rep", "customer__segment")
    search_fields = ("customer__name", "customer__external_id", "invoice__number", "notes")
    list_select_related = ("customer", "invoice")
    autocomplete_fields = ("customer", "invoice")
    readonly_fields = ("created_by", "created_at", "updated_at")
    date_hierarchy = "occurred_at"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial["occurred_at"] = timezone.localtime().replace(second=0, microsecond=0)
        return initial

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


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service refusal on a plain form: on its field when the form has it, else on top."""
    error = person_error(error)
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)

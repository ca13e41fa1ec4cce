"""Admin for segments, reps, customers and opportunities. Customer edits go through the service."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from rest_framework.authtoken.models import TokenProxy

from accounts import services
from accounts.models import (
    ApiToken,
    Customer,
    CustomerAssignment,
    Opportunity,
    SalesRep,
    Segment,
)
from o2c_api.admin import (
    AuditedAdmin,
    ServiceAdmin,
    changes_from,
    counted,
    error_text,
    money,
    run_for_each,
)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "customer_count", "updated_at")
    search_fields = ("name", "code")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(customer_count=Count("customers"))

    @admin.display(description="customers", ordering="customer_count")
    def customer_count(self, obj):
        return obj.customer_count


@admin.register(SalesRep)
class SalesRepAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "user", "active")
    list_filter = ("active",)
    search_fields = ("name", "email", "user__username")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


class CreditHoldForm(forms.Form):
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why (kept with the hold).",
    )


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin, ServiceAdmin):
    """Changes call `accounts.services.update_customer` (a segment change re-keys the rollup).

    The page shows the customer's collection summary first (balances and aging through the
    aging report, promise reliability, the credit hold and its reasons); the hold is placed
    and released through `set_credit_hold`, never by editing the flag.
    """

    list_display = (
        "name",
        "external_id",
        "segment",
        "rep",
        "currency",
        "payment_terms_days",
        "credit_limit_shown",
        "on_credit_hold",
    )
    list_filter = ("on_credit_hold", "currency", "segment", "rep", "payment_terms_days")
    search_fields = ("name", "external_id")
    list_select_related = ("segment", "rep")
    autocomplete_fields = ("segment", "rep")
    readonly_fields = ("on_credit_hold", "created_at", "updated_at")
    date_hierarchy = "created_at"
    actions = ("place_credit_hold", "release_credit_hold", "evaluate_credit_holds")

    @admin.display(description="credit limit", ordering="credit_limit")
    def credit_limit_shown(self, customer):
        return money(customer.credit_limit, customer.currency)

    @admin.display(description="collection summary")
    def summary(self, customer):
        from receivables.admin import summaries

        context = summaries.customer_summary(customer)
        # The button only for those the hold page would not refuse (`get_object` marks them).
        if getattr(customer, "may_hold", False):
            context["hold_url"] = reverse("admin:accounts_customer_credit_hold", args=[customer.pk])
        return render_to_string("admin/accounts/customer_summary.html", context)

    def get_object(self, request, object_id, from_field=None):
        """The customer, marked with whether this user may place or release its hold: the
        summary (a read-only field) is rendered without the request."""
        customer = super().get_object(request, object_id, from_field)
        if customer is not None:
            customer.may_hold = self.has_change_permission(request, customer)
        return customer

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        fields = [f for f in fieldsets[0][1]["fields"] if f != "summary"]
        return [("Collection", {"fields": ["summary"]}), ("Customer", {"fields": fields})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return ("summary", *self.readonly_fields)

    def get_urls(self):
        view = self.admin_site.admin_view(self.credit_hold_view)
        return [
            path("<int:pk>/credit-hold/", view, name="accounts_customer_credit_hold"),
            *super().get_urls(),
        ]

    def credit_hold_view(self, request, pk: int):
        """Place the customer on credit hold, or release it, with a note (`set_credit_hold`)."""
        customer = get_object_or_404(Customer, pk=pk)
        if not self.has_change_permission(request, customer):
            raise PermissionDenied
        page = reverse("admin:accounts_customer_change", args=[customer.pk])
        placing = not customer.on_credit_hold
        form = CreditHoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.set_credit_hold(
                    customer, placing, user=request.user, note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                self.message_user(request, error_text(exc), messages.ERROR)
            else:
                done = "is now on credit hold" if placing else "is released from credit hold"
                self.message_user(request, f"{customer} {done}.", messages.SUCCESS)
            return HttpResponseRedirect(page)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{'Place' if placing else 'Release'} {customer} "
            f"{'on' if placing else 'from'} credit hold",
            "opts": self.opts,
            "customer": customer,
            "placing": placing,
            "form": form,
            "cancel_url": page,
        }
        return TemplateResponse(request, "admin/accounts/credit_hold.html", context)

    def save_with_service(self, request, form, change):
        if not change:
            # Not form.instance: this also runs in a rolled-back dry run.
            return services.create_customer(**form.cleaned_data)
        fields = [f.name for f in Customer._meta.concrete_fields if f.editable]
        return services.update_customer(form.instance, **changes_from(form, fields))

    def delete_model(self, request, obj):
        services.delete_customer(obj)  # a tombstone in the event feed

    def delete_queryset(self, request, queryset):
        for customer in queryset:
            services.delete_customer(customer)

    @admin.action(description="Place selected customers on credit hold", permissions=["change"])
    def place_credit_hold(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda customer: services.set_credit_hold(customer, True, user=request.user),
            (
                "%(count)d customer placed on credit hold.",
                "%(count)d customers placed on credit hold.",
            ),
        )

    @admin.action(description="Release selected customers from credit hold", permissions=["change"])
    def release_credit_hold(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda customer: services.set_credit_hold(customer, False, user=request.user),
            (
                "%(count)d customer released from credit hold.",
                "%(count)d customers released from credit hold.",
            ),
        )

    @admin.action(description="Evaluate credit holds of selected customers", permissions=["change"])
    def evaluate_credit_holds(self, request, queryset):
        from dunning import services as dunning

        changes = dunning.evaluate_credit_holds(
            customer_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request, f"{len(changes.placed)} placed on credit hold, {len(changes.lifted)} released."
        )


@admin.register(Opportunity)
class OpportunityAdmin(ServiceAdmin):
    """Saves and deletes call `accounts.services` (a deal's stage and dates are KPI facts)."""

    list_display = (
        "name",
        "customer",
        "rep",
        "stage",
        "amount_shown",
        "created_date",
        "closed_date",
    )
    list_filter = ("stage", "currency", "rep", "customer__segment", "created_date", "closed_date")
    search_fields = ("name", "customer__name", "customer__external_id")
    list_select_related = ("customer", "rep")
    autocomplete_fields = ("customer", "rep")
    date_hierarchy = "created_date"

    @admin.display(description="amount", ordering="amount")
    def amount_shown(self, opportunity):
        return money(opportunity.amount, opportunity.currency)

    def save_with_service(self, request, form, change):
        if not change:
            return services.create_opportunity(**form.cleaned_data)
        fields = [f.name for f in Opportunity._meta.concrete_fields if f.editable]
        return services.update_opportunity(form.instance, **changes_from(form, fields))

    def delete_model(self, request, obj):
        services.delete_opportunity(obj)

    def delete_queryset(self, request, queryset):
        for opportunity in queryset:
            services.delete_opportunity(opportunity)


# DRF's plain-text tokens are not used (accounts.authentication): its admin page goes.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens by prefix (the key is shown once, by `create_token`); revoked, never edited."""

    list_display = ("prefix", "user", "created_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "user__username")
    list_select_related = ("user",)
    fields = ("prefix", "user", "created_at", "revoked_at")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request):
        return False  # a key must be shown once: `manage.py create_token`

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay: who had access, and until when

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request, counted(count, "%(count)d token revoked.", "%(count)d tokens revoked.")
        )


@admin.register(CustomerAssignment)
class CustomerAssignmentAdmin(admin.ModelAdmin):
    """Customers given to users limited to their own customers (the `own_customers` group)."""

    list_display = ("user", "customer", "created_at")
    search_fields = ("user__username", "customer__name")
    list_select_related = ("user", "customer")
    autocomplete_fields = ("user", "customer")

"""Admin for segments, reps, customers and opportunities. Customer edits go through the service."""

from django.contrib import admin
from django.db.models import Count
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
from o2c_api.admin import AuditedAdmin, ServiceAdmin, changes_from, run_for_each


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


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin, ServiceAdmin):
    """Changes call `accounts.services.update_customer` (a segment change re-keys the rollup)."""

    list_display = (
        "name",
        "external_id",
        "segment",
        "rep",
        "currency",
        "payment_terms_days",
        "credit_limit",
        "on_credit_hold",
    )
    list_filter = ("on_credit_hold", "currency", "segment", "rep", "payment_terms_days")
    search_fields = ("name", "external_id")
    list_select_related = ("segment", "rep")
    autocomplete_fields = ("segment", "rep")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"
    actions = ("place_credit_hold", "release_credit_hold", "evaluate_credit_holds")

    def save_with_service(self, request, form, change):
        if not change:
            # Not form.instance: this also runs in a rolled-back dry run.
            return services.create_customer(**form.cleaned_data)
        fields = [f.name for f in Customer._meta.concrete_fields if f.editable]
        return services.update_customer(form.instance, **changes_from(form, fields))

    @admin.action(description="Place selected customers on credit hold", permissions=["change"])
    def place_credit_hold(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda customer: services.set_credit_hold(customer, True, user=request.user),
            "customers placed on credit hold",
        )

    @admin.action(description="Release selected customers from credit hold", permissions=["change"])
    def release_credit_hold(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            lambda customer: services.set_credit_hold(customer, False, user=request.user),
            "customers released from credit hold",
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
        "amount",
        "currency",
        "created_date",
        "closed_date",
    )
    list_filter = ("stage", "currency", "rep", "customer__segment", "created_date", "closed_date")
    search_fields = ("name", "customer__name", "customer__external_id")
    list_select_related = ("customer", "rep")
    autocomplete_fields = ("customer", "rep")
    date_hierarchy = "created_date"

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
        self.message_user(request, f"{count} tokens revoked.")


@admin.register(CustomerAssignment)
class CustomerAssignmentAdmin(admin.ModelAdmin):
    """Customers given to users limited to their own customers (the `own_customers` group)."""

    list_display = ("user", "customer", "created_at")
    search_fields = ("user__username", "customer__name")
    list_select_related = ("user", "customer")
    autocomplete_fields = ("user", "customer")

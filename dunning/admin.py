"""Admin of the playbook and credit holds: rules and templates editable, holds read-only
with their reasons and overrides, placed and lifted through `dunning.services`."""

from django.contrib import admin

from dunning import services
from dunning.models import (
    ChannelRule,
    CreditHold,
    CreditHoldOverride,
    CreditHoldReason,
    CreditHoldRule,
    MessageTemplate,
    PaymentLink,
    PlaybookAction,
    PlaybookStep,
)
from o2c_api.admin import CustomerScopedAdmin, counted, run_for_each


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """An unknown merge field is a form error (`MessageTemplate.clean`)."""

    list_display = ("code", "name", "subject", "updated_at")
    search_fields = ("code", "name", "subject", "body")
    readonly_fields = ("created_at", "updated_at")


class ChannelRuleInline(admin.TabularInline):
    model = ChannelRule
    extra = 0
    autocomplete_fields = ("segment",)


@admin.register(PlaybookStep)
class PlaybookStepAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "offset_days", "channel", "template", "challenger_template")
    list_filter = ("active", "channel")
    list_select_related = ("template", "challenger_template")
    inlines = (ChannelRuleInline,)


@admin.register(PlaybookAction)
class PlaybookActionAdmin(CustomerScopedAdmin):
    """What the playbook did; written by `run_playbook` only."""

    list_display = ("as_of", "invoice", "step", "channel", "template", "variant", "activity")
    list_filter = ("step", "channel", "variant", "as_of")
    search_fields = ("invoice__number", "invoice__customer__name")
    # An activity's title names its customer.
    list_select_related = ("invoice", "step", "template", "activity__customer")
    date_hierarchy = "as_of"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentLink)
class PaymentLinkAdmin(admin.ModelAdmin):
    list_display = ("customer", "url")
    search_fields = ("customer__name", "url")
    autocomplete_fields = ("customer",)


@admin.register(CreditHoldRule)
class CreditHoldRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "days_past_due", "broken_promises", "window_days", "active")
    actions = ("evaluate",)

    def has_add_permission(self, request):
        return False  # one rule per code, shipped with the app

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Evaluate every customer with the active rules now")
    def evaluate(self, request, queryset):
        changes = services.evaluate_credit_holds()
        self.message_user(
            request,
            "Credit holds: {placed} placed, {lifted} lifted, {added}, {cleared} cleared.".format(
                placed=len(changes.placed),
                lifted=len(changes.lifted),
                added=counted(
                    changes.reasons_added, "%(count)d reason added", "%(count)d reasons added"
                ),
                cleared=changes.reasons_cleared,
            ),
        )


class ReasonInline(admin.TabularInline):
    model = CreditHoldReason
    extra = 0
    can_delete = False
    fields = ("code", "detail", "added_at", "cleared_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class OverrideInline(admin.TabularInline):
    model = CreditHoldOverride
    extra = 0
    can_delete = False
    fields = ("order", "user", "reason", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class CurrentFilter(admin.SimpleListFilter):
    title = "current"
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return (("yes", "In force"), ("no", "Lifted"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(lifted_at__isnull=self.value() == "yes")
        return queryset


@admin.register(CreditHold)
class CreditHoldAdmin(CustomerScopedAdmin):
    """Holds and their history. Place one by hand from the customer list (its action)."""

    list_display = ("customer", "automatic", "placed_at", "placed_by", "lifted_at", "lifted_by")
    list_filter = (CurrentFilter, "automatic", "placed_at")
    search_fields = ("customer__name", "customer__external_id", "note")
    list_select_related = ("customer", "placed_by", "lifted_by")
    date_hierarchy = "placed_at"
    inlines = (ReasonInline, OverrideInline)
    actions = ("lift",)
    readonly_fields = (
        "customer",
        "automatic",
        "placed_at",
        "placed_by",
        "note",
        "lifted_at",
        "lifted_by",
        "lift_note",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Lift the selected holds", permissions=["change"])
    def lift(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset.filter(lifted_at__isnull=True).select_related("customer"),
            lambda hold: services.lift_hold(hold.customer, user=request.user),
            ("%(count)d hold lifted.", "%(count)d holds lifted."),
        )

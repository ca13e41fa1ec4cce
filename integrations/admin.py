"""Admin: the event log, webhook subscriptions and their delivery log, the job schedule."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from accounts.scoping import is_scoped
from integrations import webhooks
from integrations.models import (
    Event,
    FeedPosition,
    KPIStatus,
    ScheduledJob,
    WebhookDelivery,
    WebhookSubscription,
    WorkerHeartbeat,
)
from o2c_api.admin import CustomerScopedAdmin, counted


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(CustomerScopedAdmin, ReadOnlyAdmin):
    list_display = ("id", "type", "object_type", "object_id", "occurred_at", "txid")
    list_filter = ("type", "object_type")
    search_fields = ("object_id",)
    ordering = ("-id",)
    show_full_result_count = False


class WebhookSubscriptionForm(forms.ModelForm):
    """Event types checked by the service's rule on the form (an error on the field, not a
    500 from the save)."""

    def clean_event_types(self):
        try:
            return webhooks.check_event_types(self.cleaned_data.get("event_types") or [])
        except ValidationError as error:
            raise ValidationError(error.error_dict["event_types"]) from error


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = (
        "url",
        "description",
        "is_active",
        "consecutive_failures",
        "disabled_reason",
        "created_at",
    )
    list_filter = ("is_active",)
    search_fields = ("url", "description")
    readonly_fields = (
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "owner",
    )
    fields = (
        "url",
        "description",
        "event_types",
        "secret",
        "is_active",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "owner",
    )

    def get_queryset(self, request):
        return webhooks.visible_subscriptions(super().get_queryset(request), request.user)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            original = WebhookSubscription.objects.get(pk=obj.pk)
            webhooks.save_subscription(original, **fields)
        else:
            webhooks.save_subscription(obj, owner=request.user, **fields)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "response_code",
        "latency_ms",
        "last_error",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = ("status", "subscription")
    list_select_related = ("event", "subscription")
    actions = ["redeliver"]
    show_full_result_count = False

    def get_queryset(self, request):
        return webhooks.visible_deliveries(super().get_queryset(request), request.user)

    def get_list_filter(self, request):
        # The subscription filter lists every subscription: not for a scoped user.
        return ("status",) if is_scoped(request.user) else self.list_filter

    def has_change_permission(self, request, obj=None):
        # The redeliver action needs it; the form itself stays read-only (no editable fields).
        return request.user.has_perm("integrations.change_webhookdelivery")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.action(description="Redeliver the selected deliveries")
    def redeliver(self, request, queryset):
        for delivery in queryset:
            webhooks.redeliver(delivery)
        self.message_user(
            request,
            counted(
                queryset.count(),
                "%(count)d delivery will be sent again.",
                "%(count)d deliveries will be sent again.",
            ),
            messages.SUCCESS,
        )


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "enabled",
        "interval_seconds",
        "next_run_at",
        "last_outcome",
        "last_finished_at",
        "failures",
        "last_result",
    )
    list_editable = ("enabled", "interval_seconds", "next_run_at")
    readonly_fields = (
        "name",
        "last_started_at",
        "last_finished_at",
        "last_outcome",
        "last_result",
        "failures",
    )
    actions = ["run_now"]

    def has_add_permission(self, request):
        return False  # the jobs are code (integrations.jobs.JOBS); their schedule is data

    @admin.action(description="Run the selected jobs at the worker's next round")
    def run_now(self, request, queryset):
        from django.utils import timezone

        queryset.update(next_run_at=timezone.now())
        self.message_user(request, "The worker will run them within seconds.", messages.SUCCESS)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "seen_at")


admin.site.register(FeedPosition, ReadOnlyAdmin)
admin.site.register(KPIStatus, ReadOnlyAdmin)

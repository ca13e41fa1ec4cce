"""Admin for annotations and huddle actions (saves and "mark done" go through the services),
and the panels kept for the dashboard (derived data: read, computed again, deleted; never
edited by hand)."""

from django.contrib import admin

from accounts.scoping import is_scoped
from dashboard import services, stored
from dashboard.models import Annotation, HuddleAction, StoredPanel
from o2c_api.admin import ServiceAdmin, changes_from, counted, run_for_each

ANNOTATION_FIELDS = ("note_date", "text", "rep", "segment")
ACTION_FIELDS = ("title", "kpi", "context", "owner", "due_date", "definition_of_done")


@admin.register(Annotation)
class AnnotationAdmin(ServiceAdmin):
    """Notes drawn on the dashboard's trend lines."""

    list_display = ("note_date", "text", "rep", "segment", "created_by", "created_at")
    list_filter = ("note_date", "rep", "segment")
    search_fields = ("text",)
    list_select_related = ("rep", "segment", "created_by")
    autocomplete_fields = ("rep", "segment")
    fields = ANNOTATION_FIELDS
    date_hierarchy = "note_date"

    def save_with_service(self, request, form, change):
        if change:
            return services.update_annotation(
                form.instance, **changes_from(form, ANNOTATION_FIELDS)
            )
        data = {field: form.cleaned_data[field] for field in ANNOTATION_FIELDS}
        return services.create_annotation(**data, created_by=request.user)


@admin.register(HuddleAction)
class HuddleActionAdmin(ServiceAdmin):
    """Huddle actions: open ones first by due date; "mark done" completes them."""

    list_display = ("title", "kpi", "owner", "due_date", "status", "done_date", "created_by")
    list_filter = ("status", "kpi", "due_date")
    search_fields = ("title", "owner", "context", "definition_of_done")
    list_select_related = ("created_by",)
    fields = (*ACTION_FIELDS, "status", "done_date")
    readonly_fields = ("status", "done_date")
    actions = ["mark_done"]

    def save_with_service(self, request, form, change):
        if change:
            return services.update_action(form.instance, **changes_from(form, ACTION_FIELDS))
        data = {field: form.cleaned_data[field] for field in ACTION_FIELDS}
        return services.create_action(**data, created_by=request.user)

    @admin.action(description="Mark the selected actions done", permissions=["change"])
    def mark_done(self, request, queryset):
        run_for_each(
            self,
            request,
            queryset,
            services.complete_action,
            ("%(count)d action marked done.", "%(count)d actions marked done."),
        )


@admin.register(StoredPanel)
class StoredPanelAdmin(admin.ModelAdmin):
    list_display = ("kind", "scope_key", "as_of", "computed_at", "compute_ms")
    list_filter = ("kind", "as_of")
    search_fields = ("scope_key",)
    fields = (
        "kind",
        "scope_key",
        "as_of",
        "computed_at",
        "compute_ms",
        "scope",
        "params",
        "result",
    )
    readonly_fields = fields
    actions = ["compute_again"]

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        # A user limited to their own customers sees only the panels of their customers.
        if is_scoped(request.user):
            return rows.filter(scope__customers_of=request.user.pk)
        return rows

    def has_add_permission(self, request):
        return False  # computed by dashboard.stored, on a view or on the worker's schedule

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Compute the selected panels again now", permissions=["view"])
    def compute_again(self, request, queryset):
        for row in queryset:
            stored.compute_again(row)
        done = counted(queryset.count(), "%(count)d panel computed.", "%(count)d panels computed.")
        self.message_user(request, done)

"""Admin plumbing shared by the apps: saves and actions that go through the services.

A service validates and writes in one step, but the admin validates a form before it saves.
`ServiceAdmin` bridges the two: after the model's own validation, the form runs the admin's
`save_with_service` in a savepoint that is always rolled back, so a service refusal becomes a
form error (the page is shown again, nothing written); `save_model` then runs it for real. Both
runs happen inside the admin's request transaction.
"""

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from simple_history.admin import SimpleHistoryAdmin

from accounts.scoping import scope


class _DryRun(Exception):
    """Raised to roll back the validation run of a service call."""


def error_text(error: ValidationError) -> str:
    """One line for a message: `field: text (code)` parts joined."""
    parts = []
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                parts.append(f"{field}: {' '.join(item.messages)} ({item.code})")
    else:
        for item in error.error_list:
            parts.append(f"{' '.join(item.messages)} ({item.code})")
    return "; ".join(parts)


class ServiceAdminForm(forms.ModelForm):
    """A ModelForm whose validation includes a rolled-back run of the admin's service call."""

    service_call: Callable | None = None  # set by ServiceAdmin.get_form
    request = None

    def _post_clean(self):
        # After the model's own validation, so an error is reported once, not twice.
        super()._post_clean()
        if self.errors or self.service_call is None:
            return
        try:
            with transaction.atomic():
                self.service_call(self.request, self, self.instance.pk is not None)
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            self._add_service_error(exc)

    def _add_service_error(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class AuditedAdmin(SimpleHistoryAdmin):
    """An audited model's History page: every change with who, when, where from (`source`),
    why, and what changed (o2c_api.audit). Reverting to an old version is off
    (SIMPLE_HISTORY_REVERT_DISABLED): money moves only through the services."""

    history_list_display = ["source"]

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # As simple-history's, with the fields the services keep (open amount, status, ...).
        from o2c_api.audit import diff

        records = list(historical_records)
        for newer, older in zip(records, records[1:], strict=False):
            delta = diff(newer, older, foreign_keys_are_objs=foreign_keys_are_objs)
            helper = self.get_historical_record_context_helper(request, newer)
            newer.history_delta_changes = helper.context_for_delta_changes(delta)


class CustomerScopedAdmin(admin.ModelAdmin):
    """A user limited to their own customers sees only their rows (accounts.scoping): the
    changelist, change pages (another's is "does not exist") and autocompletes."""

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user)


class ServiceAdmin(CustomerScopedAdmin):
    """A ModelAdmin whose add/change saves call `save_with_service` (define it per model).

    `save_with_service(request, form, change)` reads `form.cleaned_data`, `form.changed_data`
    and `form.instance` (as loaded, before the form's changes) and returns the saved object.
    """

    form = ServiceAdminForm

    def save_with_service(self, request, form, change: bool) -> models.Model:
        raise NotImplementedError

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(
            form.__name__,
            (form,),
            {"service_call": staticmethod(self.save_with_service), "request": request},
        )

    def save_model(self, request, obj, form, change):
        saved = self.save_with_service(request, form, change)
        for field in saved._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))


def changes_from(form, fields: Iterable[str]) -> dict:
    """The cleaned values of the `fields` the user changed."""
    return {field: form.cleaned_data[field] for field in fields if field in form.changed_data}


def run_for_each(modeladmin, request, objects, call: Callable, done: str) -> None:
    """Call a service for each object; report successes and each refusal as messages.

    Each call is its own transaction (the services are atomic), so one refusal does not undo
    the others.
    """
    succeeded = 0
    for obj in objects:
        try:
            call(obj)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj}: {error_text(exc)}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)

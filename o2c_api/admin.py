"""Admin plumbing shared by the apps: saves and actions that go through the services.

A service validates and writes in one step, but the admin validates a form before it saves.
`ServiceAdmin` bridges the two: after the model's own validation, the form runs the admin's
`save_with_service` in a savepoint that is always rolled back, so a service refusal becomes a
form error (the page is shown again, nothing written); `save_model` then runs it for real. Both
runs happen inside the admin's request transaction.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from accounts.scoping import may_view_kpis, scope
from dunning.errors import ErrorCode as DunningCode
from o2c_api.errors import ErrorCode as CommonCode
from receivables.errors import ErrorCode as ReceivablesCode


def money(amount: Decimal | None, currency: str) -> str:
    """An amount as the admin shows it: grouped by the locale, two decimals, its currency
    after it (`12,500.00 USD`); `—` without an amount. Never summed across currencies."""
    if amount is None:
        return "—"
    return f"{formats.number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}"


def shown_date(value: date | datetime | None) -> str:
    """A date, or a timestamp in the project's time zone, in the locale's format (as the
    admin's own columns show them), `—` when empty."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return formats.date_format(value, "DATE_FORMAT")


class _DryRun(Exception):
    """Raised to roll back the validation run of a service call."""


# What a person reads for a refusal, by its error code: the one place admin messages are
# worded. The APIs keep answering with the codes; the admin never shows them. A code not
# listed here keeps its service's own message, which is already a sentence for a person.
SENTENCES = {
    ReceivablesCode.CLICKED_BEFORE_OCCURRED: "The click cannot be before the message was sent.",
    ReceivablesCode.CUSTOMER_REQUIRED: "Choose the customer.",
    ReceivablesCode.DATE_BEFORE_ISSUE: "That date is before the invoice's issue date.",
    ReceivablesCode.DATE_BEFORE_OPENED: (
        "The dispute cannot be resolved before the day it was opened."
    ),
    ReceivablesCode.DISPUTE_ALREADY_RESOLVED: (
        "This dispute is already resolved; nothing was changed."
    ),
    ReceivablesCode.DUE_BEFORE_ISSUE: "The due date cannot be before the issue date.",
    ReceivablesCode.EXCEEDS_INVOICE_AMOUNT: "The amount is more than the invoice's amount.",
    CommonCode.INVALID_CURRENCY: "Choose one of the listed currencies.",
    ReceivablesCode.INVALID_KIND: "Choose one of the listed kinds.",
    ReceivablesCode.INVALID_METHOD: "Choose one of the listed payment methods.",
    ReceivablesCode.INVALID_REASON: "Choose one of the listed reasons.",
    ReceivablesCode.INVALID_RESOLUTION: (
        "Choose how the dispute was resolved; only a credited resolution issues a credit note."
    ),
    ReceivablesCode.INVOICE_ALREADY_VOID: "This invoice is already void; nothing was changed.",
    ReceivablesCode.INVOICE_HAS_APPLICATIONS: (
        "Cash is applied to this invoice: reverse the payment's application first, or correct "
        "the invoice with a credit note instead."
    ),
    ReceivablesCode.INVOICE_ISSUED_IMMUTABLE: (
        "An issued invoice's amount, currency, customer, number and issue date stay as issued: "
        "correct it with a credit note, or void it."
    ),
    ReceivablesCode.INVOICE_NOT_DRAFT: (
        "Only a draft invoice can be issued; this one is issued already."
    ),
    ReceivablesCode.INVOICE_NOT_OPEN: (
        "The invoice is a draft or void: issue it first (or choose another)."
    ),
    ReceivablesCode.INVOICE_VOID: "A void invoice cannot be changed.",
    ReceivablesCode.NOT_POSITIVE: "Enter an amount greater than zero.",
    DunningCode.OVERRIDE_REASON_REQUIRED: (
        "Give a reason to book this order despite the credit hold."
    ),
    ReceivablesCode.PROMISED_BEFORE_CREATED: (
        "The promised date cannot be before the day of the promise."
    ),
}


def sentence_of(error: ValidationError) -> str:
    """The sentence for one error: `SENTENCES` by its code, else the error's own message."""
    return SENTENCES.get(str(error.code), " ".join(error.messages))


def person_error(error: ValidationError) -> ValidationError:
    """The same error with each message replaced by its sentence (codes and fields kept)."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {
                field: [person_error(item) for item in errors]
                for field, errors in error.error_dict.items()
            }
        )
    if len(error.error_list) > 1 or error.error_list[0] is not error:
        return ValidationError([person_error(item) for item in error.error_list])
    return ValidationError(sentence_of(error), code=error.code)


def error_text(error: ValidationError) -> str:
    """One line for a message: each refusal's sentence, after its field's name if any."""
    parts = []
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            label = "" if field == NON_FIELD_ERRORS else f"{field.replace('_', ' ').capitalize()}: "
            parts.extend(f"{label}{sentence_of(item)}" for item in errors)
    else:
        parts.extend(sentence_of(item) for item in error.error_list)
    return " ".join(parts)


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

    def _update_errors(self, errors: ValidationError) -> None:
        # The model's own validation (constraints with a code) speaks in sentences too.
        super()._update_errors(person_error(errors))

    def _add_service_error(self, error: ValidationError) -> None:
        error = person_error(error)
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

    # A user limited to their customers (accounts.scoping) reads only their customers'
    # history: simple-history's pages would otherwise fall back to the history rows of an
    # object the user cannot open (its History page and each version's page).
    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        queryset = super().get_history_queryset(request, history_manager, pk_name, object_id)
        return scope(queryset, request.user)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history = self.model.history.model.objects.filter(
            **{self.model._meta.pk.attname: unquote(object_id), "history_id": version_id}
        )
        if not scope(history, request.user).exists():
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # As simple-history's, with the fields the services keep (open amount, status, ...).
        from o2c_api.audit import diff

        records = list(historical_records)
        for newer, older in zip(records, records[1:], strict=False):
            delta = diff(newer, older, foreign_keys_are_objs=foreign_keys_are_objs)
            helper = self.get_historical_record_context_helper(request, newer)
            newer.history_delta_changes = helper.context_for_delta_changes(delta)


class NeverDeletedAdmin(admin.ModelAdmin):
    """For records that are reversed, never deleted (payments, applications, adjustments,
    disputes, promises): their services undo them (unapply, a credit note, resolving a
    dispute), which keeps the KPI facts and the audit trail right. No delete page, no bulk
    delete, for anyone."""

    def has_delete_permission(self, request, obj=None):
        return False


class CustomerScopedAdmin(admin.ModelAdmin):
    """A user limited to their own customers sees only their rows (accounts.scoping): the
    changelist, change pages (another's is "does not exist") and autocompletes."""

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user)


class ServiceAdmin(CustomerScopedAdmin):
    """A ModelAdmin whose add/change saves call `save_with_service` (define it per model).

    Its pages load the project's admin styles (amounts right-aligned, the summaries).

    `save_with_service(request, form, change)` reads `form.cleaned_data`, `form.changed_data`
    and `form.instance` (as loaded, before the form's changes) and returns the saved object.
    """

    form = ServiceAdminForm

    class Media:
        css = {"all": ("o2c_api/admin.css",)}

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


def counted(count: int, singular: str, plural: str) -> str:
    """A message about `count` things in the right number (`ngettext`), with `%(count)d`
    filled in: counted(1, "%(count)d invoice voided.", "%(count)d invoices voided.")."""
    return ngettext(singular, plural, count) % {"count": count}


def run_for_each(modeladmin, request, objects, call: Callable, done: tuple[str, str]) -> None:
    """Call a service for each object; report successes and each refusal as messages.

    Each call is its own transaction (the services are atomic), so one refusal does not undo
    the others. `done` is the success message, singular and plural, with `%(count)d`
    (`counted`).
    """
    succeeded = 0
    for obj in objects:
        try:
            call(obj)
        except ValidationError as exc:
            text = error_text(exc)
            # "Acme: Acme is already on credit hold." reads better without the prefix.
            shown = text if str(obj) in text else f"{obj}: {text}"
            modeladmin.message_user(request, shown, messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, counted(succeeded, *done), messages.SUCCESS)


class O2CAdminSite(admin.AdminSite):
    """The admin site: its index opens with the headline KPIs and their status.

    The KPIs are `metrics.engine.summary` for the default period (the last full month, base
    currency), shown as the dashboard's tiles (`dashboard.views.tiles`, same values, same
    statuses from the thresholds), to users who may read KPIs.
    """

    site_header = "o2c-api administration"
    site_title = "o2c-api admin"
    index_title = "Order to cash"
    index_template = "admin/o2c_index.html"
    # The index lists every model already; at 1,400 px the side bar would take the room the
    # lists need (the invoice list's status and collection columns scrolled out of sight).
    enable_nav_sidebar = False

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), **self.headline_context(request)}
        return super().index(request, extra_context)

    def headline_context(self, request) -> dict:
        from django.urls import reverse

        from dashboard import views as dashboard
        from metrics import engine
        from metrics.scope import build_scope

        context = {
            "dashboard_url": reverse("dashboard:overview"),
            "worklist_url": reverse("admin:worklist_worklist"),
            "worklist_api_url": reverse("worklist"),
        }
        if not may_view_kpis(request.user):
            return context
        # A user limited to their own customers reads the headline of those.
        scope = build_scope(user=request.user)
        summary = engine.summary(scope, dashboard.HEADLINE)
        glossary = {entry.key: entry for entry in engine.glossary()}
        context["headline"] = {
            "scope": scope,
            "tiles": dashboard.tiles(summary, glossary, dashboard.HEADLINE),
        }
        return context

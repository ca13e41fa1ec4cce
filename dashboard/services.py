"""Writes of the dashboard app: annotations and huddle actions (shared by REST, GraphQL,
the dashboard pages and the admin)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from dashboard.errors import ErrorCode
from dashboard.models import Annotation, HuddleAction
from metrics.definitions import KPIS
from metrics.errors import ErrorCode as KPICode
from metrics.scope import today


def _check_kpi(kpi: str) -> None:
    if kpi and kpi not in KPIS:
        raise ValidationError(
            {"kpi": ValidationError(f"Unknown KPI {kpi!r}.", KPICode.UNKNOWN_KPI)}
        )


@transaction.atomic
def create_annotation(**fields) -> Annotation:
    """Store a note for the trend lines.

    Args:
        **fields: note_date, text, and optionally rep, segment, created_by.

    Raises:
        ValidationError: field errors from the model (e.g. `required`, `max_length`).
    """
    annotation = Annotation(**fields)
    annotation.full_clean()
    annotation.save()
    return annotation


@transaction.atomic
def update_annotation(annotation: Annotation, **changes) -> Annotation:
    """Change a note's date, text, rep or segment.

    Raises:
        ValidationError: field errors from the model.
    """
    annotation = Annotation.objects.select_for_update().get(pk=annotation.pk)
    for field, value in changes.items():
        setattr(annotation, field, value)
    annotation.full_clean()
    annotation.save()
    return annotation


@transaction.atomic
def create_action(**fields) -> HuddleAction:
    """Record a huddle action (open).

    Args:
        **fields: title, owner, due_date, definition_of_done, and optionally kpi, context,
            created_by.

    Raises:
        ValidationError: unknown_kpi, or field errors from the model.
    """
    _check_kpi(fields.get("kpi", ""))
    action = HuddleAction(**fields, status=HuddleAction.Status.OPEN)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def update_action(action: HuddleAction, **changes) -> HuddleAction:
    """Change an action's title, owner, due date, definition of done, KPI or context.

    The status changes only through `complete_action`.

    Raises:
        ValidationError: unknown_kpi, or field errors from the model.
    """
    action = HuddleAction.objects.select_for_update().get(pk=action.pk)
    if "kpi" in changes:
        _check_kpi(changes["kpi"])
    for field, value in changes.items():
        setattr(action, field, value)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def complete_action(action: HuddleAction, done_date: date | None = None) -> HuddleAction:
    """Mark an open action done (today by default).

    Raises:
        ValidationError: action_already_done when it is done already (nothing changes).
    """
    action = HuddleAction.objects.select_for_update().get(pk=action.pk)
    if action.status == HuddleAction.Status.DONE:
        raise ValidationError(
            f"The action {action.title!r} was already done on {action.done_date}.",
            code=ErrorCode.ACTION_ALREADY_DONE,
        )
    action.status = HuddleAction.Status.DONE
    action.done_date = done_date or today()
    action.save(update_fields=["status", "done_date", "updated_at"])
    return action

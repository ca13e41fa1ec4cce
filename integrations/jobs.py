"""The scheduled jobs: what each one runs, and the scheduler's tick that enqueues due ones.

The schedule is the `ScheduledJob` table (edited in the admin); `JOBS` says what a name
runs. `tick()` is called by the worker (`manage.py run_worker`) every few seconds: it claims
the due jobs (rows locked, skipping those another worker holds), moves each one's next run an
interval ahead and enqueues it as a task, in one transaction, so two workers never run the
same occurrence.
"""

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import ScheduledJob


def _deliver_webhooks() -> str:
    from integrations import webhooks

    created = webhooks.dispatch()
    counts = webhooks.deliver_due()
    return f"{created} deliveries queued; " + ", ".join(f"{v} {k}" for k, v in counts.items())


def _refresh_promise_statuses() -> str:
    from receivables import services

    with transaction.atomic():
        return f"{services.refresh_promise_statuses()} promises looked at"


def _purge_idempotency_keys() -> str:
    from o2c_api.models import IdempotencyKey

    cutoff = timezone.now() - timedelta(hours=settings.O2C_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return f"{deleted} idempotency keys deleted"


def _kpi_status_changes() -> str:
    from integrations import kpi_status

    return f"{kpi_status.detect_changes()} KPI status changes"


def _run_playbook() -> str:
    from dunning import services

    run = services.run_playbook()
    outcomes = sorted({entry.outcome for entry in run.entries})
    return ", ".join(f"{run.count(o)} {o}" for o in outcomes) or "nothing due"


def _evaluate_credit_holds() -> str:
    from dunning import services

    changes = services.evaluate_credit_holds()
    return f"{len(changes.placed)} holds placed, {len(changes.lifted)} lifted"


def _refresh_panels() -> str:
    from dashboard import stored

    computed, deleted = stored.refresh()
    return f"{computed} panels computed, {deleted} of past days deleted"


def _purge_history() -> str:
    """Events past `O2C_EVENT_RETENTION_DAYS` (with their deliveries), finished task results
    past a week (failed ones past a month): the tables that grow by themselves."""
    from io import StringIO

    from django.core.management import call_command

    from integrations.models import Event

    cutoff = timezone.now() - timedelta(days=settings.O2C_EVENT_RETENTION_DAYS)
    events, _ = Event.objects.filter(occurred_at__lt=cutoff).delete()
    out = StringIO()
    call_command(
        "prune_db_task_results", min_age_days=7, failed_min_age_days=30, stdout=out, verbosity=0
    )
    return f"{events} events and deliveries deleted"


JOBS: dict[str, Callable[[], str]] = {
    "deliver_webhooks": _deliver_webhooks,
    "refresh_promise_statuses": _refresh_promise_statuses,
    "purge_idempotency_keys": _purge_idempotency_keys,
    "kpi_status_changes": _kpi_status_changes,
    "run_playbook": _run_playbook,
    "evaluate_credit_holds": _evaluate_credit_holds,
    "purge_history": _purge_history,
    "refresh_panels": _refresh_panels,
}

# The schedule a new database starts with (migration 0002): name → interval in seconds.
DEFAULT_SCHEDULE = {
    "deliver_webhooks": 5,
    "kpi_status_changes": 3600,
    "purge_idempotency_keys": 3600,
    "refresh_promise_statuses": 86400,
    "run_playbook": 86400,
    "evaluate_credit_holds": 86400,
    "purge_history": 86400,
    "refresh_panels": 300,
}


def retry_delay(attempt: int) -> timedelta:
    """Delay before running a failed job again: 30 s, 60 s, 120 s … at most an hour."""
    return timedelta(seconds=min(30 * 2 ** (attempt - 1), 3600))


def tick() -> list[str]:
    """Enqueue every enabled job whose time has come; returns their names."""
    from integrations.tasks import run_job

    now = timezone.now()
    with transaction.atomic():
        due = list(
            ScheduledJob.objects.select_for_update(skip_locked=True)
            .filter(enabled=True, next_run_at__lte=now)
            .order_by("next_run_at", "id")
        )
        for job in due:
            # From now, not from the missed time: a worker that was down runs a job once.
            job.next_run_at = now + timedelta(seconds=job.interval_seconds)
            job.save(update_fields=["next_run_at"])
            run_job.enqueue(job.name, 1)
    return [job.name for job in due]

"""The worker: scheduled jobs enqueued from the database schedule and run as Django tasks,
failures retried and visible, the heartbeat that /readyz reads."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from integrations import jobs
from integrations.models import ScheduledJob, WebhookDelivery, WorkerHeartbeat
from integrations.webhooks import save_subscription
from tests.admin_helpers import admin_url
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    """The worker recycles its database connection between rounds; here the whole test is one
    transaction on that connection (PostgreSQL would lose it)."""
    from django_tasks_db.management.commands import db_worker

    from integrations.management.commands import run_worker

    monkeypatch.setattr(run_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def run_worker_once() -> None:
    call_command("run_worker", "--once", stdout=StringIO())


def test_the_default_schedule_holds_every_job():
    assert dict(ScheduledJob.objects.values_list("name", "interval_seconds")) == {
        "deliver_webhooks": 5,
        "evaluate_credit_holds": 86400,
        "kpi_status_changes": 3600,
        "purge_history": 86400,
        "purge_idempotency_keys": 3600,
        "refresh_panels": 300,
        "refresh_promise_statuses": 86400,
        "run_playbook": 86400,
    }
    assert set(jobs.JOBS) == set(jobs.DEFAULT_SCHEDULE)


def test_a_due_job_runs_once_as_a_task_and_moves_its_next_run(receiver):
    ScheduledJob.objects.update(next_run_at=timezone.now() + timedelta(hours=1))
    ScheduledJob.objects.filter(name="deliver_webhooks").update(next_run_at=timezone.now())
    save_subscription(url=receiver.url)
    InvoiceFactory()
    before = timezone.now()
    run_worker_once()
    job = ScheduledJob.objects.get(name="deliver_webhooks")
    assert job.last_outcome == "succeeded"
    assert job.last_result == "1 deliveries queued; 1 sent, 0 failed, 0 disabled"
    assert job.failures == 0
    assert before + timedelta(seconds=5) <= job.next_run_at <= timezone.now() + timedelta(seconds=5)
    (result,) = DBTaskResult.objects.all()
    assert (result.status, result.task_path, result.args_kwargs) == (
        "SUCCESSFUL",
        "integrations.tasks.run_job",
        {"args": ["deliver_webhooks", 1], "kwargs": {}},
    )
    assert WebhookDelivery.objects.get().status == "succeeded"
    assert len(receiver.requests) == 1
    # Not due again yet: a second round runs nothing.
    run_worker_once()
    assert DBTaskResult.objects.count() == 1


def test_a_failing_job_is_retried_later_and_its_error_is_kept(monkeypatch, admin_client):
    def boom():
        raise RuntimeError("the database of the bank is down")

    monkeypatch.setitem(jobs.JOBS, "purge_idempotency_keys", boom)
    ScheduledJob.objects.update(next_run_at=timezone.now() + timedelta(hours=1))
    ScheduledJob.objects.filter(name="purge_idempotency_keys").update(
        next_run_at=timezone.now(), max_attempts=2
    )
    run_worker_once()
    job = ScheduledJob.objects.get(name="purge_idempotency_keys")
    assert (job.last_outcome, job.failures) == ("failed", 1)
    assert job.last_result == (
        "attempt 1: RuntimeError: the database of the bank is down (retrying)"
    )
    failed = DBTaskResult.objects.get(status="FAILED")
    assert failed.exception_class_path == "builtins.RuntimeError"
    assert "the database of the bank is down" in failed.traceback
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs == {"args": ["purge_idempotency_keys", 2], "kwargs": {}}
    assert timedelta(seconds=25) < retry.run_after - timezone.now() <= timedelta(seconds=30)
    # Visible in the admin: the schedule's list, and the failed task with its traceback.
    schedule = admin_client.get(admin_url(ScheduledJob, "changelist")).content.decode()
    assert "attempt 1: RuntimeError: the database of the bank is down (retrying)" in schedule
    task_page = admin_client.get(admin_url(DBTaskResult, "change", failed.pk)).content.decode()
    assert "RuntimeError: the database of the bank is down" in task_page
    assert "Traceback (most recent call last)" in task_page
    # The retry's time comes: it fails again, and that was the last attempt.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker_once()
    job.refresh_from_db()
    assert (job.last_outcome, job.failures) == ("failed", 2)
    assert job.last_result == "attempt 2: RuntimeError: the database of the bank is down"
    assert DBTaskResult.objects.filter(status="FAILED").count() == 2
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_a_disabled_job_does_not_run():
    ScheduledJob.objects.update(next_run_at=timezone.now(), enabled=False)
    run_worker_once()
    assert DBTaskResult.objects.count() == 0


def test_every_job_runs_on_an_empty_database():
    ScheduledJob.objects.update(next_run_at=timezone.now())
    run_worker_once()
    outcomes = dict(ScheduledJob.objects.values_list("name", "last_outcome"))
    assert outcomes == dict.fromkeys(jobs.JOBS, "succeeded")


def test_the_worker_says_it_is_alive_while_it_runs():
    from integrations.management.commands.run_worker import Command

    command = Command()
    command._beat("host-1-abc", timezone.now())
    beat = WorkerHeartbeat.objects.get()
    assert (beat.worker_id, beat.pid > 0) == ("host-1-abc", True)


def test_the_history_purge_keeps_recent_events(settings):
    from integrations.jobs import JOBS
    from integrations.models import Event

    settings.O2C_EVENT_RETENTION_DAYS = 30
    InvoiceFactory()
    InvoiceFactory()
    old, recent = Event.objects.order_by("id")
    Event.objects.filter(pk=old.pk).update(occurred_at=timezone.now() - timedelta(days=31))
    assert JOBS["purge_history"]() == "1 events and deliveries deleted"
    assert list(Event.objects.values_list("pk", flat=True)) == [recent.pk]

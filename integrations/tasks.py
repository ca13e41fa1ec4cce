"""Background tasks (Django's tasks framework; the backend is `settings.TASKS`).

One task runs any scheduled job by name, so the schedule (`ScheduledJob`) stays data and
a failed run is retried here, with a growing delay, up to the job's `max_attempts`. Each run
is also a task result (`django_tasks_db`'s admin lists them, with the traceback of a
failure), and its outcome is kept on the `ScheduledJob` row.
"""

from django.tasks import task
from django.utils import timezone

from integrations import jobs
from integrations.models import ScheduledJob


@task()
def run_job(name: str, attempt: int = 1) -> str:
    """Run the scheduled job `name`; on failure enqueue a retry, then fail this task.

    Returns:
        The job's one-line summary (kept as the task's return value).
    """
    job = ScheduledJob.objects.filter(name=name).first()
    ScheduledJob.objects.filter(name=name).update(last_started_at=timezone.now())
    try:
        summary = jobs.JOBS[name]()
    except Exception as exc:
        failures = (job.failures if job else 0) + 1
        retry = job is not None and attempt < job.max_attempts
        ScheduledJob.objects.filter(name=name).update(
            last_finished_at=timezone.now(),
            last_outcome=ScheduledJob.Outcome.FAILED,
            last_result=f"attempt {attempt}: {type(exc).__name__}: {exc}"
            + (" (retrying)" if retry else ""),
            failures=failures,
        )
        if retry:
            run_job.using(run_after=timezone.now() + jobs.retry_delay(attempt)).enqueue(
                name, attempt + 1
            )
        raise
    ScheduledJob.objects.filter(name=name).update(
        last_finished_at=timezone.now(),
        last_outcome=ScheduledJob.Outcome.SUCCEEDED,
        last_result=summary,
        failures=0,
    )
    return summary

"""`manage.py run_worker`: the one background process — scheduled jobs and webhook deliveries.

Every `--interval` seconds it says it is alive (`/readyz` checks), enqueues the scheduled jobs
that are due (`integrations.jobs.tick`) and runs the queued tasks with django-tasks-db's worker
until the queue is empty. Run one or more (each claims different tasks); stop with SIGTERM or
Ctrl-C, which lets the running task finish.
"""

import os
import signal
import socket
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string

# django-tasks-db's worker loop (the class behind its `db_worker` command), run in batches.
from django_tasks_db.management.commands.db_worker import Worker

from integrations import jobs
from integrations.models import WorkerHeartbeat

HEARTBEAT_EVERY = 10  # seconds


class Command(BaseCommand):
    help = "Run scheduled jobs and webhook deliveries (the background worker)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")
        parser.add_argument(
            "--once", action="store_true", help="One round (schedule, then the queue), then exit."
        )
        parser.add_argument(
            "--parent-pid",
            type=int,
            default=None,
            help="Exit when this process (e.g. `manage.py demo`) is no longer our parent.",
        )

    def handle(self, *args, interval: float, once: bool, parent_pid: int | None, **options):
        self.stopping = False
        if not once:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"
        started = timezone.now()
        last_beat = 0.0
        self.stdout.write(f"Worker {worker_id} started.")
        while not self.stopping:
            close_old_connections()
            if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
                self._beat(worker_id, started)
                last_beat = time.monotonic()
            enqueued = jobs.tick()
            if enqueued and options["verbosity"] > 1:
                self.stdout.write(f"Enqueued {', '.join(enqueued)}.")
            Worker(
                queue_names=["*"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=20,
                worker_id=worker_id,
                excluded_queue_names=[],
            ).run()
            if once or (parent_pid is not None and os.getppid() != parent_pid):
                break
            time.sleep(interval)
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
        self.stdout.write(f"Worker {worker_id} stopped.")

    def _beat(self, worker_id: str, started) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={
                "hostname": socket.gethostname()[:200],
                "pid": os.getpid(),
                "started_at": started,
                "seen_at": timezone.now(),
            },
        )

    def _stop(self, signum, frame) -> None:
        self.stopping = True

"""`manage.py demo`: the README's first command — a running service full of demo data."""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.tokens import issue_token
from dashboard import demo as dashboard_demo
from receivables import demo
from receivables.services import today


class Command(BaseCommand):
    help = (
        "Migrate, seed demo data when the database is empty, create the `admin` login "
        "(new password each run) with an admin-role API token, print them, and serve on "
        "127.0.0.1:8000 with the background worker (webhooks, scheduled jobs) beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=60)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare and print the login, do not serve."
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Serve without the background worker."
        )

    def handle(self, *args, customers, seed, addrport, no_serve, no_worker, **options):
        if settings.PRODUCTION:
            raise CommandError("The demo command is for development (O2C_PRODUCTION is on).")
        call_command("migrate", interactive=False, verbosity=0)
        if demo.domain_is_empty():
            result = demo.seed(customers=customers, seed=seed)
            dashboard_demo.seed(today())
            self.stdout.write(
                f"Seeded {result.counts['customer']} customers, {result.counts['invoice']} "
                f"invoices, {result.counts['payment']} payments in {result.seconds:.1f}s."
            )
        else:
            self.stdout.write("The database already holds data: not seeding.")
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username="admin")
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        token = issue_token("admin", "admin")
        self.stdout.write(
            self.style.SUCCESS(
                "\n".join(
                    (
                        "",
                        f"Dashboard:  http://{addrport}/dashboard/  (log in as the admin below)",
                        f"Admin:      http://{addrport}/admin/  user admin  password {password}",
                        f"API token:  {token}  (role admin)",
                        f"Try:        curl -H 'Authorization: Token {token}' "
                        f"http://{addrport}/api/v1/invoices/",
                        f"API docs:   http://{addrport}/api/docs/  (ReDoc /api/redoc/, "
                        f"GraphiQL /graphql/)",
                        "",
                    )
                )
            )
        )
        if no_serve:
            return
        with contextlib.nullcontext() if no_worker else background_worker() as worker:
            if worker is not None:
                # A SIGTERM to the demo stops the worker too (the context's exit runs).
                signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
                self.stdout.write(f"Worker:     pid {worker.pid} (manage.py run_worker)")
            call_command("runserver", addrport, use_reloader=False)


@contextlib.contextmanager
def background_worker(env: dict | None = None) -> Iterator[subprocess.Popen]:
    """The demo's worker (`manage.py run_worker`) in its own process for the block's length.

    It is stopped when the block ends, however it ends (SIGTERM, which lets a running task
    finish, then a wait); `--parent-pid` also stops it should this process die without
    running the exit.

    Args:
        env: the child's environment (default: this process's).

    Yields:
        The worker process.
    """
    manage = settings.BASE_DIR / "manage.py"
    worker = subprocess.Popen(
        [sys.executable, str(manage), "run_worker", f"--parent-pid={os.getpid()}"], env=env
    )
    try:
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

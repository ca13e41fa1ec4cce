"""`python manage.py run_playbook [--as-of D] [--dry-run]`: the day's collection activities."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dunning import services
from metrics.scope import parse_date


class Command(BaseCommand):
    help = (
        "Create the collection activities the playbook calls for on a day (today by default): "
        "never twice for the same invoice and step; invoices with an open dispute or a promise "
        "not yet due are skipped. Prints each action and each skip with its reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="The day to run for, YYYY-MM-DD (default today).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be done; write nothing."
        )

    def handle(self, *args, as_of, dry_run, **options):
        try:
            day = parse_date(as_of, "as_of")
        except ValidationError as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        run = services.run_playbook(as_of=day, dry_run=dry_run)
        for entry in run.entries:
            self.stdout.write(entry.line())
        done = services.WOULD_CREATE if dry_run else services.CREATED
        verb = "would create" if dry_run else "created"
        self.stdout.write(
            f"Playbook for {run.as_of}: {verb} {run.count(done)}, skipped "
            f"{run.count(services.SKIPPED)}, already done by another run "
            f"{run.count(services.TAKEN)}."
        )

"""`manage.py rebuild_ar_rollup`: recompute the KPI rollup (AR and every other fact), or, with
`--check`, only compare it with a recomputation."""

from django.core.management.base import BaseCommand, CommandError

from metrics import rollup

# Keys listed by --check before the rest are only counted: a damaged rollup can differ on
# hundreds of thousands of keys, and a few name the days and projections to look at.
SHOWN_DIFFERENCES = 20


class Command(BaseCommand):
    help = (
        "Replace the KPI rollup with a recomputation from the source rows (repairs, loads); "
        "with --check, report where they differ and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Compare the stored rollup with a recomputation; exit 1 when they differ.",
        )

    def handle(self, *args, check: bool = False, **options):
        if not check:
            rows = rollup.rebuild()
            self.stdout.write(f"Rebuilt the KPI rollup: {rows} rows.")
            return
        differing = rollup.differences()
        if not differing:
            self.stdout.write("The KPI rollup equals a recomputation from the source rows.")
            return
        for key in differing[:SHOWN_DIFFERENCES]:
            self.stdout.write(" ".join(str(part) for part in key))
        raise CommandError(
            f"The KPI rollup differs from a recomputation on {len(differing)} keys (day, rep, "
            "segment, product line, currency); `manage.py rebuild_ar_rollup` repairs it."
        )

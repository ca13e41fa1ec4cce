"""`manage.py rebuild_ar_rollup`: recompute the KPI rollup (AR and every other fact)."""

from django.core.management.base import BaseCommand

from metrics import rollup


class Command(BaseCommand):
    help = "Replace the KPI rollup with a recomputation from the source rows (repairs, loads)."

    def handle(self, *args, **options):
        rows = rollup.rebuild()
        self.stdout.write(f"Rebuilt the KPI rollup: {rows} rows.")

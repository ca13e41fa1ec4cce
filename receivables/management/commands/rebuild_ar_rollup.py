"""`manage.py rebuild_ar_rollup`: recompute the AR daily rollup and the KPI rollup."""

from django.core.management.base import BaseCommand

from receivables import ledger, rollup


class Command(BaseCommand):
    help = "Replace the AR daily rollup and the KPI rollup with recomputations (repairs, loads)."

    def handle(self, *args, **options):
        rows = ledger.rebuild()
        self.stdout.write(f"Rebuilt the AR rollup: {rows} rows.")
        rows = rollup.rebuild()
        self.stdout.write(f"Rebuilt the KPI rollup: {rows} rows.")

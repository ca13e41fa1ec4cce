"""`manage.py rebuild_ar_rollup`: recompute the AR daily rollup from the source rows."""

from django.core.management.base import BaseCommand

from receivables import ledger


class Command(BaseCommand):
    help = "Replace the AR daily movement rollup with a recomputation (repairs, bulk loads)."

    def handle(self, *args, **options):
        rows = ledger.rebuild()
        self.stdout.write(f"Rebuilt the AR rollup: {rows} rows.")

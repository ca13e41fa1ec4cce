"""`manage.py refresh_promise_statuses`: the daily job that breaks promises past their date."""

from django.core.management.base import BaseCommand

from receivables import services
from receivables.models import PromiseToPay


class Command(BaseCommand):
    help = "Derive every promise's status (kept / broken / open) as of today. Run it daily."

    def handle(self, *args, **options):
        looked_at = services.refresh_promise_statuses()
        counts = {
            status: PromiseToPay.objects.filter(status=status).count()
            for status in PromiseToPay.Status.values
        }
        summary = ", ".join(f"{count} {status}" for status, count in counts.items())
        self.stdout.write(f"Refreshed {looked_at} promises: {summary}.")

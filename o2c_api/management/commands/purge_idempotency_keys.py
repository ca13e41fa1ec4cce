"""Delete idempotency keys older than O2C_IDEMPOTENCY_TTL_HOURS (run it daily, e.g. from cron)."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from o2c_api.models import IdempotencyKey


class Command(BaseCommand):
    help = "Delete Idempotency-Key records older than O2C_IDEMPOTENCY_TTL_HOURS."

    def handle(self, *args, **options) -> None:
        cutoff = timezone.now() - timedelta(hours=settings.O2C_IDEMPOTENCY_TTL_HOURS)
        deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"Deleted {deleted} idempotency keys older than {cutoff:%Y-%m-%d %H:%M}.")

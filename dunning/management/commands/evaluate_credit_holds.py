"""`python manage.py evaluate_credit_holds`: place, update and lift holds by the rules."""

from django.core.management.base import BaseCommand

from dunning import services


class Command(BaseCommand):
    help = (
        "Apply the active credit-hold rules to every customer: place automatic holds, keep "
        "their reasons current and lift those whose reasons are gone (holds placed by hand "
        "stay). Prints the customers placed on hold and released."
    )

    def handle(self, *args, **options):
        changes = services.evaluate_credit_holds()
        self.stdout.write(
            f"Credit holds: {len(changes.placed)} placed, {len(changes.lifted)} lifted, "
            f"{changes.reasons_added} reasons added, {changes.reasons_cleared} cleared."
        )
        for label, ids in (("placed", changes.placed), ("lifted", changes.lifted)):
            if ids:
                self.stdout.write(f"{label}: customers {', '.join(map(str, ids))}")

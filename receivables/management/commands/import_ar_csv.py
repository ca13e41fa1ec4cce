"""`manage.py import_ar_csv FILE`: import IBM's accounts receivable sample format."""

from django.core.management.base import BaseCommand, CommandError

from receivables.importers import ImportFileError, import_ar_csv


class Command(BaseCommand):
    help = (
        "Import invoices, payments (applied on the settle date) and disputes from an IBM AR "
        "sample CSV. Invoice numbers already present are skipped, so re-running is safe."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--currency", default="USD", help="Currency of every amount.")

    def handle(self, *args, file, currency, **options):
        try:
            report = import_ar_csv(file, currency=currency)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for line, reason in report.rejected:
            self.stderr.write(f"line {line}: rejected: {reason}")
        self.stdout.write(
            f"Imported {report.imported} rows ({report.amount} {currency}), "
            f"{report.already_imported} already imported, {len(report.rejected)} rejected."
        )

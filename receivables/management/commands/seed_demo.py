"""`manage.py seed_demo`: write a deterministic demo history (see receivables.demo)."""

from django.core.management.base import BaseCommand, CommandError

from receivables import demo


class Command(BaseCommand):
    help = (
        "Write a realistic, deterministic AR history ending today. Refuses a database that "
        "already holds customers, invoices or payments unless --flush (which deletes them first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=60)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--months", type=int, default=24, help="History length (>= 18 advised)."
        )
        parser.add_argument("--invoices-per-customer", type=int, default=20)
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete all customers, documents and the rollup first (users are kept).",
        )

    def handle(self, *args, customers, seed, months, invoices_per_customer, flush, **options):
        if min(customers, months, invoices_per_customer) < 1:
            raise CommandError("--customers, --months and --invoices-per-customer must be >= 1.")
        if not demo.domain_is_empty():
            if not flush:
                raise CommandError(
                    "The database already holds customers, invoices or payments; "
                    "use --flush to delete them and seed again."
                )
            demo.flush()
            self.stdout.write("Deleted the existing domain data.")
        result = demo.seed(
            customers=customers,
            seed=seed,
            months=months,
            invoices_per_customer=invoices_per_customer,
            log=self.stdout.write if options["verbosity"] > 1 else None,
        )
        for name, count in result.counts.items():
            self.stdout.write(f"{name:>20}: {count}")
        self.stdout.write(f"{'rollup rows':>20}: {result.rollup_rows}")
        self.stdout.write(self.style.SUCCESS(f"Seeded in {result.seconds:.1f}s (seed {seed})."))

"""`manage.py fit_risk_model --start --end [filters]`: fit and store the payment-risk model."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from metrics.scope import build_scope
from worklist import fitting, risk


class Command(BaseCommand):
    help = (
        "Fit the payment-risk model (logistic regression) on the invoices open at each month "
        "end of a period, with their outcomes as known today, and store it as the model that "
        "scores from now on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="First day of the period (ISO).")
        parser.add_argument("--end", required=True, help="Last day of the period (ISO).")
        parser.add_argument("--currency", default=None)
        parser.add_argument("--rep", default=None)
        parser.add_argument("--segment", default=None)
        parser.add_argument("--product-line", default=None)
        parser.add_argument("--c", type=float, default=1.0, help="Inverse L2 strength.")
        parser.add_argument("--description", default="", help="What the data is.")

    def handle(self, *args, **options):
        try:
            scope = build_scope(
                start=options["start"],
                end=options["end"],
                rep=options["rep"],
                segment=options["segment"],
                product_line=options["product_line"],
                currency=options["currency"],
            )
            model = fitting.fit(
                scope,
                scope.start,
                scope.end,
                regularization=options["c"],
                description=options["description"]
                or f"month ends {scope.start}..{scope.end}, {scope.currency}",
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"Fitted risk model {model.pk} on {model.training_rows} rows "
            f"(month ends {model.training_start}..{model.training_end}, "
            f"{model.late_share:.1%} late)."
        )
        self.stdout.write(f"  intercept {model.intercept:+.4f}")
        for key in risk.FACTOR_KEYS:
            self.stdout.write(f"  {key:<16} {model.coefficients[key]:+.4f}")

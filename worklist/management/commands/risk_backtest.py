"""`manage.py risk_backtest --start --end [filters] [--model]`: the score's quality, as a table."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from metrics.scope import build_scope
from worklist import backtest, risk
from worklist.models import RiskModel


class Command(BaseCommand):
    help = (
        "Score the invoices open and not yet due at each month end of a period as of that "
        "month end, compare with what happened, and print ROC AUC and calibration (ten "
        "bands) for the score and for the baseline (the customer's late share over the "
        "previous 12 months), as Markdown."
    )

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="First day of the period (ISO).")
        parser.add_argument("--end", required=True, help="Last day of the period (ISO).")
        parser.add_argument("--currency", default=None)
        parser.add_argument("--rep", default=None)
        parser.add_argument("--segment", default=None)
        parser.add_argument("--product-line", default=None)
        parser.add_argument(
            "--model",
            default="current",
            help="'current' (latest fitted, else default), 'default', or a RiskModel id.",
        )
        parser.add_argument("--title", default="", help="A heading for the table.")

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
            model = self.model(options["model"])
            result = backtest.backtest(scope, scope.start, scope.end, model=model)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(table(result, options["title"]))

    def model(self, choice: str) -> risk.Model:
        if choice == "current":
            return risk.current_model()
        if choice == "default":
            return risk.DEFAULT_MODEL
        fitted = RiskModel.objects.filter(pk=choice).first() if choice.isdigit() else None
        if fitted is None:
            raise CommandError(f"No risk model {choice!r}.")
        return risk.model_of(fitted)


def _percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def table(result: backtest.Backtest, title: str = "") -> str:
    """The backtest as Markdown: the AUCs, then calibration per band for both predictors."""
    model = result.model
    if model.source == "fitted":
        which = (
            f"fitted model {model.id} (month ends {model.training_start}..{model.training_end}, "
            f"{model.training_rows} rows)"
        )
    else:
        which = "default weights (no fitted model)"
    lines = []
    if title:
        lines += [f"#### {title}", ""]
    lines += [
        f"Month ends {result.month_ends[0]}..{result.month_ends[-1]} "
        f"({len(result.month_ends)}), currency {result.scope.currency}; "
        f"{result.count} invoice snapshots open and not yet due, {result.late} paid late "
        f"({_percent(result.late / result.count if result.count else None)}). Score: {which}.",
        "",
        "| | ROC AUC |",
        "|---|---|",
        f"| Risk score | {result.score.auc if result.score.auc is not None else '—'} |",
        f"| Baseline (customer's late share, last 12 months) | "
        f"{result.baseline.auc if result.baseline.auc is not None else '—'} |",
        "",
        "| Band | Score: invoices | Score: predicted | Score: paid late "
        "| Baseline: invoices | Baseline: predicted | Baseline: paid late |",
        "|---|---|---|---|---|---|---|",
    ]
    for s, b in zip(result.score.bands, result.baseline.bands, strict=True):
        lines.append(
            f"| {s.low}–{s.high} | {s.count} | {_percent(s.mean_score)} | "
            f"{_percent(s.late_share)} | {b.count} | {_percent(b.mean_score)} | "
            f"{_percent(b.late_share)} |"
        )
    return "\n".join(lines) + "\n"

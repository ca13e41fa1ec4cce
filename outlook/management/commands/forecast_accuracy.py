"""Backtest the cash forecast at several as-of dates of the current database; print the
WAPE table (forecast, due-date baseline, due date + average days late) as Markdown."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min

from o2c_api.api.exceptions import django_validation_errors
from outlook import backtest, forecast
from receivables import predicates
from receivables.models import Invoice


def pct(value) -> str:
    return "—" if value is None else f"{value:.1f} %"


class Command(BaseCommand):
    help = (
        "Backtest the cash forecast at each calendar quarter end of the invoice history whose "
        "horizon is over (or at --as-of dates) and print the WAPE table, per currency."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            action="append",
            type=date.fromisoformat,
            help="An as-of date (repeat for several); default: the quarter ends.",
        )
        parser.add_argument("--weeks", type=int, default=forecast.DEFAULT_WEEKS)
        parser.add_argument(
            "--currency", action="append", help="Repeat for several; default: every currency."
        )

    def handle(self, *args, **options):
        weeks = options["weeks"]
        counting = Invoice.objects.filter(predicates.counting())
        currencies = options["currency"] or sorted(
            counting.values_list("currency", flat=True).distinct().order_by()
        )
        span = counting.aggregate(first=Min("issue_date"), last=Max("issue_date"))
        dates = options["as_of"]
        if not dates:
            if span["first"] is None:
                raise CommandError("No invoices: nothing to backtest.")
            # Up to the quarter end of the last invoice, when its horizon is over.
            last_quarter_end = backtest.quarter_ends(span["last"], span["last"] + timedelta(92))[0]
            dates = backtest.quarter_ends(
                span["first"], min(last_quarter_end, backtest.default_backtest_as_of(weeks))
            )
        try:
            for currency in currencies:
                scopes = [forecast.forecast_scope(as_of=d, currency=currency) for d in dates]
                self.table(currency, weeks, backtest.backtest(scopes, weeks))
        except ValidationError as exc:
            raise CommandError(
                "; ".join(e["message"] for e in django_validation_errors(exc))
            ) from exc

    def table(self, currency: str, weeks: int, result: backtest.Backtest) -> None:
        write = self.stdout.write
        write(
            f"{currency}, {weeks} weeks; WAPE = Σ|expected − actual| ÷ Σ actual (lower is better)"
        )
        write("")
        write(
            "| as of | open AR | collected in the horizon | forecast | due date "
            "| due date + average days late |"
        )
        write("|---|---:|---:|---:|---:|---:|")
        for run in result.runs:
            write(
                f"| {run.as_of} | {run.open_ar:,} | {run.actual_total:,} | "
                f"{pct(run.wape_forecast)} | {pct(run.wape_due_date)} | "
                f"{pct(run.wape_due_plus_average_late)} |"
            )
        for label, row in (
            ("all dates, pooled", result.pooled),
            ("mean of the dates", result.mean),
        ):
            write(
                f"| **{label}** | | | **{pct(row['forecast'])}** | {pct(row['due_date'])} | "
                f"{pct(row['due_plus_average_late'])} |"
            )
        wins = sum(
            1
            for run in result.runs
            if run.wape_forecast is not None
            and run.wape_forecast < min(run.wape_due_date, run.wape_due_plus_average_late)
        )
        write("")
        write(f"The forecast has the lowest WAPE at {wins} of {len(result.runs)} dates.")
        write("")

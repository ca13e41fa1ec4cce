"""The fitted payment-risk models: coefficients per factor, when and on what they were fitted."""

from django.db import models

from o2c_api.money import money_field


class RiskModel(models.Model):
    """A logistic regression of "paid late" on the risk factors, fitted by `fit_risk_model`.

    The latest one (by `fitted_at`, then id) scores every invoice; without any, the documented
    default weights of `worklist.risk.DEFAULT_MODEL` do. `coefficients` maps each factor key of
    `worklist.risk.FACTORS` to its weight on the log-odds scale; a factor's contribution to an
    invoice's log-odds is its weight times the invoice's value of the factor.
    """

    fitted_at = models.DateTimeField()
    currency = models.CharField(
        max_length=3, help_text="Currency of the invoices it was fitted on."
    )
    training_start = models.DateField(help_text="First month end of the training snapshots.")
    training_end = models.DateField(help_text="Last month end of the training snapshots.")
    training_rows = models.PositiveIntegerField(
        help_text="Open invoices (one per month end they were open at) with a known outcome."
    )
    late_share = models.FloatField(help_text="Share of the training rows that ended late.")
    intercept = models.FloatField()
    coefficients = models.JSONField(help_text="Weight per factor key (log-odds).")
    description = models.TextField(blank=True, default="", help_text="What it was fitted on.")

    class Meta:
        ordering = ["-fitted_at", "-id"]
        verbose_name = "risk model"

    def __str__(self) -> str:
        return f"Risk model fitted {self.fitted_at:%Y-%m-%d %H:%M} on {self.training_rows} rows"


class CustomerHistoryMonth(models.Model):
    """A customer's payment history as of the first day of a month, in one currency: the
    facts behind the risk score's history factors, kept so a score reads one row per customer.

    Counts the invoices that count for KPIs (neither draft nor void) due in the 11 whole
    months before `month`, with what is late about them as they stand (not settled by the due
    date), and those due in the last one and two months before it. Kept by
    `worklist.history` from what the services touch (`metrics.rollup.tracking`), rebuilt with
    the rollup (`manage.py rebuild_ar_rollup`); tests pin that it equals a recomputation.
    """

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    month = models.DateField(help_text="First day of a month: the history of the 11 before it.")
    invoices_due = models.BigIntegerField(default=0)
    invoices_late = models.BigIntegerField(
        default=0, help_text="Not settled by their due date (unpaid, or paid after it)."
    )
    late_days_settled = models.BigIntegerField(
        default=0, help_text="Days from due date to paid date of the late ones since paid."
    )
    late_open = models.BigIntegerField(default=0, help_text="Late ones still unpaid.")
    late_open_days = models.BigIntegerField(
        default=0, help_text="Days from the due dates of those unpaid to `month`."
    )
    amount_due = money_field(default=0)
    recent1_due = models.BigIntegerField(default=0, help_text="Due in the month before.")
    recent1_late = models.BigIntegerField(default=0, help_text="Of those, late.")
    recent2_due = models.BigIntegerField(default=0, help_text="Due in the two months before.")
    recent2_late = models.BigIntegerField(default=0, help_text="Of those, late.")

    class Meta:
        verbose_name = "customer history month"
        constraints = [
            models.UniqueConstraint(
                fields=("customer", "currency", "month"), name="customer_history_month_key"
            )
        ]
        # A score reads one month for every customer: an index-only scan of that month's
        # entries (the rows of one month are spread over the table as writes add them).
        indexes = [
            models.Index(
                fields=[
                    "currency",
                    "month",
                    "customer",
                    "invoices_due",
                    "invoices_late",
                    "late_days_settled",
                    "late_open",
                    "late_open_days",
                    "amount_due",
                    "recent1_due",
                    "recent1_late",
                    "recent2_due",
                    "recent2_late",
                ],
                name="customer_history_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.currency} {self.month:%Y-%m}"

"""The fitted payment-risk models: coefficients per factor, when and on what they were fitted."""

from django.db import models


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

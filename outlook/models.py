"""Cash forecasts kept for the dashboard (`outlook.stored`)."""

from django.db import models


class StoredForecast(models.Model):
    """A cash forecast as it was computed at `computed_at`, for one scope and as-of date.

    The dashboard's cash outlook panel reads it instead of computing the forecast on every
    view: the forecast reads the year of cash applied before its date, seconds of database
    time at a million invoices. It is derived data: `outlook.stored` computes it (on a view
    that finds none recent enough, and on the worker's schedule for the default scopes), and
    nothing else writes it. The REST and GraphQL forecast always compute.
    """

    scope_key = models.CharField(
        max_length=300, help_text="The scope and horizon, as a query string (currency first)."
    )
    as_of = models.DateField()
    scope = models.JSONField(help_text="The scope's filters, to compute it again.")
    weeks = models.PositiveSmallIntegerField()
    result = models.JSONField(help_text="The forecast's figures, money as decimal strings.")
    computed_at = models.DateTimeField(db_index=True)
    compute_ms = models.PositiveIntegerField(help_text="How long computing it took.")

    class Meta:
        ordering = ["-computed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scope_key", "as_of"], name="stored_forecast_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope_key} as of {self.as_of}"

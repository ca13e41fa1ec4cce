"""KPI configuration: thresholds that turn a value into a green / amber / red status."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Segment


class Threshold(models.Model):
    """Two boundaries that colour a KPI, optionally for one segment, with an owner and playbook.

    With `better = lower`: value <= green_boundary is green, value >= red_boundary is red, amber
    between. With `better = higher` the other way round. A segment's own threshold wins over the
    default one (segment empty) when a scope names that segment.
    """

    class Better(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    kpi = models.CharField(max_length=64, help_text="KPI key as in the spec, e.g. dso.")
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.CASCADE, related_name="thresholds"
    )
    better = models.CharField(max_length=6, choices=Better.choices)
    green_boundary = models.DecimalField(max_digits=18, decimal_places=2)
    red_boundary = models.DecimalField(max_digits=18, decimal_places=2)
    owner = models.CharField(max_length=200, blank=True, default="")
    playbook_url = models.URLField(blank=True, default="")
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kpi", "segment_id"]
        permissions = [("view_kpis", "Can read KPIs, series, breakdowns and aging")]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi"], condition=Q(segment__isnull=True), name="threshold_default_unique"
            ),
            models.UniqueConstraint(fields=["kpi", "segment"], name="threshold_segment_unique"),
            models.CheckConstraint(
                condition=(Q(better="lower") & Q(green_boundary__lte=models.F("red_boundary")))
                | (Q(better="higher") & Q(green_boundary__gte=models.F("red_boundary"))),
                name="threshold_boundaries_ordered",
            ),
        ]

    def __str__(self) -> str:
        scope = self.segment.name if self.segment_id else "default"
        return f"{self.kpi} ({scope})"

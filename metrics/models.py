"""KPI configuration (thresholds that turn a value into a green / amber / red status) and the
KPI rollup, the stored sums of the KPI facts (`metrics.facts`, kept by `metrics.rollup`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import Segment
from metrics.errors import ErrorCode
from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.money import money_field


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
                fields=["kpi"],
                condition=Q(segment__isnull=True),
                name="threshold_default_unique",
                violation_error_code=CommonCode.UNIQUE,
                violation_error_message="This KPI has a default threshold already.",
            ),
            models.UniqueConstraint(fields=["kpi", "segment"], name="threshold_segment_unique"),
            models.CheckConstraint(
                condition=(Q(better="lower") & Q(green_boundary__lte=models.F("red_boundary")))
                | (Q(better="higher") & Q(green_boundary__gte=models.F("red_boundary"))),
                name="threshold_boundaries_ordered",
                violation_error_code=ErrorCode.THRESHOLDS_OUT_OF_ORDER,
                violation_error_message="The green boundary must be on the better side of the "
                "red one.",
            ),
        ]

    def __str__(self) -> str:
        scope = self.segment.name if self.segment_id else "default"
        return f"{self.kpi} ({scope})"


class KPIRollup(models.Model):
    """Every KPI fact summed per day and dimension projection, kept with the facts themselves.

    A row holds one day's facts (the columns), per currency, at full dimensions (a rep, a
    segment and a product line together) or for one projection of them: all (rep −1,
    segment −1, product line "*"), one rep, one segment or one product line. A summary for
    everything, or filtered or grouped by one of those dimensions, reads one row per day
    whatever the size of the ledger; one that combines them sums the full rows of its days;
    one that names a customer reads the source rows. Current AR is a running sum too:
    `ar_current` adds a not-yet-due movement on its date and takes it back the day after
    the invoice's due date, so Current AR(d) is the sum of `ar_current` up to d.

    Kept by `metrics.rollup` from what each service says it touches, with the same fact
    definitions that `rollup.rebuild()` recomputes it from; tests pin that it always equals
    that recomputation.
    """

    ALL = -1
    ALL_PRODUCT_LINES = "*"

    day = models.DateField()
    rep_key = models.BigIntegerField(help_text="SalesRep id, 0 for none, −1 for all reps.")
    segment_key = models.BigIntegerField(help_text="Segment id, 0 for none, −1 for all.")
    product_line = models.CharField(max_length=64, help_text='"*" for all product lines.')
    currency = models.CharField(max_length=3)
    ar_invoiced = money_field(default=0)
    ar_applied = money_field(default=0)
    ar_adjusted = money_field(default=0)
    ar_current = money_field(
        default=0,
        help_text="Movements of invoices not yet due, taken back the day after the due date.",
    )
    invoices_issued = models.BigIntegerField(default=0)
    invoices_disputed = models.BigIntegerField(default=0)
    invoices_first_pass = models.BigIntegerField(default=0)
    invoices_ordered = models.BigIntegerField(default=0)
    order_days = models.BigIntegerField(default=0)
    disputes_resolved = models.BigIntegerField(default=0)
    dispute_days = models.BigIntegerField(default=0)
    payments_received = models.BigIntegerField(default=0)
    payments_matched = models.BigIntegerField(default=0)
    promises_due = models.BigIntegerField(default=0)
    promises_kept = models.BigIntegerField(default=0)
    reminders_sent = models.BigIntegerField(default=0)
    reminders_clicked = models.BigIntegerField(default=0)
    reminders_paid = models.BigIntegerField(default=0)
    opportunities_created = models.BigIntegerField(default=0)
    opportunities_closed = models.BigIntegerField(default=0)
    opportunities_won = models.BigIntegerField(default=0)
    opportunities_lost = models.BigIntegerField(default=0)
    won_amount = money_field(default=0)
    won_days = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "KPI rollup row"
        db_table = "receivables_kpirollup"  # its name from before it moved here
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "currency",
                    "rep_key",
                    "segment_key",
                    "product_line",
                    "day",
                ],
                name="kpi_rollup_key",
            ),
        ]
        indexes = [
            # AR from the rollup alone (an index-only scan): every projection's rows of a
            # currency are one range of it (all: -1, *, -1; a segment; a product line; a
            # rep), and grouping by rep reads its projection without visiting the table,
            # whose rows of one projection lie scattered among the others.
            models.Index(
                fields=[
                    "currency",
                    "segment_key",
                    "product_line",
                    "rep_key",
                    "day",
                    "ar_invoiced",
                    "ar_applied",
                    "ar_adjusted",
                    "ar_current",
                ],
                name="kpi_rollup_ar",
            ),
            # The full rows of a currency by day: a scope combining rep, segment and product
            # line sums them over its period (the unique key leads with the dimensions).
            models.Index(
                fields=["currency", "day"],
                name="kpi_rollup_full_day",
                condition=~models.Q(rep_key=-1)
                & ~models.Q(segment_key=-1)
                & ~models.Q(product_line="*"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.currency} rep {self.rep_key} segment {self.segment_key}"

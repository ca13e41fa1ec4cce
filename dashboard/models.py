"""What a team adds to the KPI dashboard (notes on the trend lines, huddle actions) and what the
dashboard keeps of its slow panels (`StoredPanel`)."""

from django.conf import settings
from django.db import models

from accounts.models import SalesRep, Segment
from dashboard.errors import ErrorCode


class Annotation(models.Model):
    """A dated note drawn on the trend lines ("new reminder wording", "price change").

    Without a rep or segment it concerns everyone; with one it is drawn on the company-wide
    charts and on that rep's (or segment's) charts, not on another rep's.
    """

    note_date = models.DateField(help_text="The day the note is drawn at.")
    text = models.CharField(max_length=200)
    rep = models.ForeignKey(
        SalesRep, null=True, blank=True, on_delete=models.CASCADE, related_name="annotations"
    )
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.CASCADE, related_name="annotations"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["note_date", "id"]
        indexes = [models.Index(fields=["note_date"])]

    def __str__(self) -> str:
        return f"{self.note_date}: {self.text}"


class HuddleAction(models.Model):
    """An action agreed in a KPI huddle: who does what by when, and how we know it is done.

    `kpi` and `context` say where it came from (a KPI tile or a "what changed" line).
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    title = models.CharField(max_length=200, help_text="What will be done.")
    kpi = models.CharField(
        max_length=64, blank=True, default="", help_text="KPI key it is about, e.g. dso."
    )
    context = models.CharField(
        max_length=300, blank=True, default="", help_text='The "what changed" line, if any.'
    )
    owner = models.CharField(max_length=200, help_text="The person who does it.")
    due_date = models.DateField()
    definition_of_done = models.TextField(help_text="How the team will know it is done.")
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.OPEN)
    done_date = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(status="open") & models.Q(done_date__isnull=True))
                | (models.Q(status="done") & models.Q(done_date__isnull=False)),
                name="huddle_action_done_date_iff_done",
                violation_error_code=ErrorCode.DONE_DATE_MISMATCH,
                violation_error_message="A done action has its done date; an open one has none.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class StoredPanel(models.Model):
    """A slow panel's figures as computed at `computed_at`, for one scope and as-of date: the
    cash forecast, or open AR by risk band (`kind`).

    The dashboard reads it instead of computing on every view (`dashboard.stored`): the
    forecast reads the year of cash applied before its date, the bands score every open
    invoice in scope, seconds and a third of a second at a million invoices. It is derived
    data: `dashboard.stored` computes it (on a view that finds none recent enough, and on the
    worker's schedule for the default scopes), and nothing else writes it. The REST and GraphQL
    forecast and risk bands always compute.
    """

    class Kind(models.TextChoices):
        FORECAST = "forecast", "Cash forecast"
        RISK_BANDS = "risk_bands", "Open AR by risk band"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    scope_key = models.CharField(
        max_length=300,
        help_text="The scope and the panel's parameters, as a query string (currency first).",
    )
    as_of = models.DateField()
    scope = models.JSONField(help_text="The scope's filters, to compute it again.")
    params = models.JSONField(
        help_text="The panel's parameters: the forecast's weeks, the risk model's id (0: the "
        "default weights)."
    )
    result = models.JSONField(help_text="The panel's figures, money as decimal strings.")
    computed_at = models.DateTimeField(db_index=True)
    compute_ms = models.PositiveIntegerField(help_text="How long computing it took.")

    class Meta:
        ordering = ["-computed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope_key", "as_of"], name="stored_panel_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.scope_key} as of {self.as_of}"

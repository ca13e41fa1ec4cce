"""What a team adds to the KPI dashboard: notes on the trend lines and huddle actions."""

from django.conf import settings
from django.db import models

from accounts.models import SalesRep, Segment


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
            ),
        ]

    def __str__(self) -> str:
        return self.title

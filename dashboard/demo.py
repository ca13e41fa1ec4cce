"""Demo notes and huddle actions, dated relative to the demo's today (`manage.py demo`)."""

from datetime import date, timedelta

from dashboard import services
from dashboard.filters import month_start


def seed(today: date) -> None:
    """Two notes on the trend lines and one open huddle action, through the services."""
    services.create_annotation(
        note_date=month_start(today, 5) + timedelta(days=9), text="New reminder wording"
    )
    services.create_annotation(
        note_date=month_start(today, 2) + timedelta(days=2), text="Price change"
    )
    services.create_action(
        title="Call the ten largest past-due customers",
        kpi="past_due_ar",
        owner="AR manager",
        due_date=today + timedelta(days=7),
        definition_of_done="Each has a promise to pay or an open dispute logged",
    )

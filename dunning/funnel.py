"""Champion/challenger: the reminder funnel per playbook step and template.

The same funnel as the KPI `reminder_conversion_rate` (`metrics.engine.reminder_funnel`):
reminders sent in the period, clicked, and paid — `receivables.predicates.reminder_paid`,
cash on the invoice from the sent day to 7 days after — counted here per step and template
of the playbook reminders, so a team sees which wording pays faster.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from metrics.scope import Scope
from receivables import predicates
from receivables.models import CollectionActivity


@dataclass(frozen=True)
class TemplateFunnel:
    """Playbook reminders of one step and template sent in the period, and what followed."""

    step: str
    step_name: str
    template: str
    template_name: str
    variant: str
    sent: int
    clicked: int
    paid: int
    conversion_rate: Decimal | None  # paid ÷ sent × 100, two decimals


def _start_of_day(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.get_current_timezone())


def reminder_funnel_by_template(scope: Scope) -> list[TemplateFunnel]:
    """Sent, clicked and paid-within-7-days per (step, template) for the scope (one query).

    Reminders the playbook sent (`PlaybookAction`) in the scope's period, filtered by its
    dimensions as the KPI filters reminders (the invoice's rep, the customer's segment, the
    invoice's product line and currency). Ordered by step offset, then champion first.
    """
    q = predicates.customer_dimensions(
        segment=scope.segment, customer=scope.customer, customers_of=scope.customers_of
    )
    if scope.rep is not None:
        q &= predicates.activity_rep(scope.rep)
    if scope.product_line is not None:
        q &= Q(invoice__product_line=scope.product_line)
    rows = (
        CollectionActivity.objects.reminders()
        .filter(
            q,
            playbook_action__isnull=False,
            invoice__currency=scope.currency,
            occurred_at__gte=_start_of_day(scope.start),
            occurred_at__lt=_start_of_day(scope.end + timedelta(days=1)),
        )
        .annotate(kpi_sent=TruncDate("occurred_at"))
        .annotate(
            kpi_paid=Case(
                When(predicates.reminder_paid("kpi_sent"), then=Value(1)), default=Value(0)
            )
        )
        .values(
            "playbook_action__step__code",
            "playbook_action__step__name",
            "playbook_action__step__offset_days",
            "playbook_action__template__code",
            "playbook_action__template__name",
            "playbook_action__variant",
        )
        .annotate(
            sent=Count("id"),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
            paid=Sum("kpi_paid"),
        )
        .order_by(
            "playbook_action__step__offset_days",
            # Champion first (not the variants' alphabetical order, which puts it second).
            Case(When(playbook_action__variant="champion", then=Value(0)), default=Value(1)),
            "playbook_action__template__code",
        )
    )
    return [
        TemplateFunnel(
            step=row["playbook_action__step__code"],
            step_name=row["playbook_action__step__name"],
            template=row["playbook_action__template__code"],
            template_name=row["playbook_action__template__name"],
            variant=row["playbook_action__variant"],
            sent=row["sent"],
            clicked=row["clicked"],
            paid=row["paid"] or 0,
            conversion_rate=_percent(row["paid"] or 0, row["sent"]),
        )
        for row in rows
    ]


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)

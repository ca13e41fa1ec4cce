"""The pipeline facts: opportunities on the day they were created and the day they closed."""

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce

from accounts.models import Opportunity
from metrics.facts.family import Anchors, Family, any_of, days_between, one_if
from o2c_api.money import ZERO


def _opportunity_key(day: str) -> dict:
    return {
        "kpi_day": F(day),
        "kpi_rep": Coalesce(F("rep_id"), Value(0)),
        "kpi_segment": Coalesce(F("customer__segment_id"), Value(0)),
        "kpi_pl": Value(""),
        "kpi_currency": F("currency"),
    }


def _opportunity_anchor_q(anchors: Anchors) -> Q | None:
    return any_of(("pk", anchors.opportunities), ("customer_id", anchors.customers))


class OpportunitiesCreated(Family):
    """Opportunities on their created date (the pipeline's open count starts there)."""

    product_lines = False

    measures = {"opportunities_created": Value(1)}

    def queryset(self):
        return Opportunity.objects.all()

    def key(self):
        return _opportunity_key("created_date")

    def anchor_q(self, anchors):
        return _opportunity_anchor_q(anchors)


class OpportunitiesClosed(Family):
    """Opportunities on their closed date: closed, won, lost, won amount and days."""

    product_lines = False

    won = Q(stage="won")
    measures = {
        "opportunities_closed": Value(1),
        "opportunities_won": one_if(won),
        "opportunities_lost": one_if(Q(stage="lost")),
        "won_amount": Case(When(won, then=F("amount")), default=Value(ZERO)),
        "won_days": Case(
            When(won, then=days_between("closed_date", "created_date")),
            default=Value(0),
            output_field=IntegerField(),
        ),
    }

    def queryset(self):
        return Opportunity.objects.filter(closed_date__isnull=False)

    def key(self):
        return _opportunity_key("closed_date")

    def anchor_q(self, anchors):
        return _opportunity_anchor_q(anchors)

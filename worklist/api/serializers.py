"""Response shapes of the risk, backtest and worklist endpoints: they render the dataclasses
of `worklist.engine` and `worklist.backtest`, nothing more.

Scores and points are JSON numbers with one decimal (0-100 scale), money decimal strings.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from metrics.api.serializers import ScopeSerializer
from worklist.engine import ACTIONS


@extend_schema_field(OpenApiTypes.NUMBER)
class ScoreField(serializers.Field):
    """A Decimal score or points (one decimal) as a JSON number."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value is None else float(value)


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, **kwargs)


class ModelSerializer(serializers.Serializer):
    """Which weights scored: a fitted model (id, when, on what) or the default ones."""

    source = serializers.ChoiceField(choices=["fitted", "default"])
    id = serializers.IntegerField(allow_null=True)
    fitted_at = serializers.DateTimeField(allow_null=True)
    training_start = serializers.DateField(allow_null=True)
    training_end = serializers.DateField(allow_null=True)
    training_rows = serializers.IntegerField(allow_null=True)
    description = serializers.CharField()
    intercept = serializers.FloatField()
    weights = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=serializers.FloatField()))
    def get_weights(self, model) -> dict:
        return dict(model.weights)


class ContributionSerializer(serializers.Serializer):
    factor = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(help_text="The factor's value (see the factor's definition).")
    points = ScoreField(help_text="Score points it adds (negative: it lowers the score).")


class InvoiceRiskSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice_id")
    invoice_number = serializers.CharField()
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField()
    due_date = serializers.DateField()
    open_amount = money(help_text="Open amount at as_of.")
    days_past_due = serializers.IntegerField()
    score = ScoreField(help_text="Likelihood (0-100) of being paid late.")
    base = ScoreField(help_text="Score with every factor at 0; base + Σ points = score.")
    factors = ContributionSerializer(many=True)


class PageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    as_of = serializers.DateField()
    model = ModelSerializer()


class RiskPageSerializer(PageSerializer):
    results = InvoiceRiskSerializer(many=True)


class LastActivitySerializer(serializers.Serializer):
    kind = serializers.CharField()
    outcome = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    days_ago = serializers.IntegerField()


class OpenPromiseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = money()
    promised_date = serializers.DateField()


class OpenDisputeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    amount = money()
    opened_date = serializers.DateField()


class WorkItemSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice_id")
    invoice_number = serializers.CharField()
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField()
    rep = serializers.IntegerField(source="rep_id", allow_null=True)
    rep_name = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    due_date = serializers.DateField()
    open_amount = money(help_text="Open amount at as_of.")
    days_past_due = serializers.IntegerField()
    score = ScoreField()
    cash_at_risk = money(help_text="Open amount × score / 100: what the list is ranked by.")
    top_factors = ContributionSerializer(many=True)
    last_activity = LastActivitySerializer(allow_null=True)
    open_promise = OpenPromiseSerializer(allow_null=True)
    open_dispute = OpenDisputeSerializer(allow_null=True)
    action = serializers.ChoiceField(choices=ACTIONS)
    reason = serializers.CharField()


class WorklistSerializer(PageSerializer):
    no_activity_days = serializers.IntegerField(allow_null=True)
    results = WorkItemSerializer(many=True)


class BandSerializer(serializers.Serializer):
    low = serializers.IntegerField()
    high = serializers.IntegerField()
    count = serializers.IntegerField()
    late = serializers.IntegerField()
    late_share = serializers.FloatField(allow_null=True)
    mean_score = serializers.FloatField(allow_null=True)


class QualitySerializer(serializers.Serializer):
    auc = serializers.FloatField(allow_null=True)
    bands = BandSerializer(many=True)


class BacktestSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    scope = ScopeSerializer()
    model = ModelSerializer()
    month_ends = serializers.ListField(child=serializers.DateField())
    count = serializers.IntegerField()
    late = serializers.IntegerField()
    score = QualitySerializer()
    baseline = QualitySerializer()

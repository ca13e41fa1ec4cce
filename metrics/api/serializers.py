"""Response shapes of the KPI endpoints: they render the engine's dataclasses, nothing more.

Numbers are rendered with `metrics.thresholds.rendered` (two decimals) as JSON numbers.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from metrics.thresholds import rendered


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """An exact Decimal rendered to two decimals as a JSON number (or null)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        value = rendered(value)
        return None if value is None else float(value)


class ScopeSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    rep = serializers.IntegerField(allow_null=True)
    segment = serializers.IntegerField(allow_null=True)
    customer = serializers.IntegerField(allow_null=True)
    product_line = serializers.CharField(allow_null=True)
    currency = serializers.CharField()


class KPIValueSerializer(serializers.Serializer):
    value = NumberField()
    previous = NumberField()
    change = NumberField()
    status = serializers.ChoiceField(choices=["green", "amber", "red"], allow_null=True)
    unit = serializers.CharField()
    better = serializers.ChoiceField(choices=["higher", "lower"], allow_null=True)


class SummarySerializer(serializers.Serializer):
    scope = ScopeSerializer()
    previous_scope = ScopeSerializer()
    kpis = serializers.DictField(child=KPIValueSerializer())
    what_changed = serializers.ListField(child=serializers.CharField())


class SeriesPointSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    value = NumberField()


class SeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    interval = serializers.CharField()
    unit = serializers.CharField()
    scope = ScopeSerializer()
    points = SeriesPointSerializer(many=True)


class GroupSerializer(serializers.Serializer):
    id = serializers.JSONField(source="group_id", allow_null=True)
    name = serializers.CharField(source="group_name")


class BreakdownRowSerializer(serializers.Serializer):
    group = GroupSerializer(source="*")
    value = NumberField()
    status = serializers.CharField(allow_null=True)


class BreakdownSerializer(serializers.Serializer):
    key = serializers.CharField()
    group_by = serializers.CharField()
    unit = serializers.CharField()
    scope = ScopeSerializer()
    rows = BreakdownRowSerializer(many=True)


class AgingBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    amount = NumberField()
    invoice_count = serializers.IntegerField()
    activity_count = serializers.IntegerField()
    invoices_without_activity = serializers.IntegerField()


class AgingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField(source="scope.currency")
    total = NumberField()
    buckets = AgingBucketSerializer(many=True)


class ReminderFunnelSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    sent = serializers.IntegerField()
    clicked = serializers.IntegerField()
    paid = serializers.IntegerField()
    conversion_rate = NumberField()


class SlowInvoiceSerializer(serializers.Serializer):
    invoice_id = serializers.IntegerField()
    number = serializers.CharField()
    customer_id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    order_date = serializers.DateField()
    issue_date = serializers.DateField()
    days = serializers.IntegerField()


class TimeToInvoiceSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    count = serializers.IntegerField()
    mean = NumberField()
    median = NumberField()
    p90 = NumberField()
    slowest = SlowInvoiceSerializer(many=True)


class GlossaryEntrySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    explanation = serializers.CharField()
    formula = serializers.CharField()
    unit = serializers.CharField()
    better = serializers.CharField(allow_null=True)
    owner = serializers.CharField()
    playbook_url = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField())

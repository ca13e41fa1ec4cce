"""Response shapes of the KPI endpoints: they render the engine's dataclasses, nothing more.

Numbers go through `metrics.render.measure`: money is a decimal string with its currency
beside it, days and percentages are JSON numbers rounded to two decimals.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param

from metrics.render import currency_of, measure

MEASURE_SCHEMA = {
    "oneOf": [{"type": "string", "format": "decimal"}, {"type": "number", "format": "double"}],
    "nullable": True,
    "description": "Money: a decimal string (see `currency`); days and %: a number.",
}


@extend_schema_field(MEASURE_SCHEMA)
class MeasureField(serializers.Field):
    """An exact Decimal as `measure` shows it, for the unit of the object it belongs to (or,
    for series points and breakdown rows, the unit in the serializer's context)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        unit = getattr(instance, "unit", None) or self.context["unit"]
        return (super().get_attribute(instance), unit)

    def to_representation(self, value):
        number, unit = value
        return measure(number, unit)


@extend_schema_field(OpenApiTypes.DOUBLE)
class NumberField(serializers.Field):
    """Days, counts of days or a percentage: a number rounded to two decimals, or null."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return measure(value, "days")


@extend_schema_field({"type": "string", "format": "decimal"})
class MoneyField(serializers.Field):
    """An amount as a decimal string with two places ("1500.00")."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return measure(value, "money")


class CurrencyOfUnitField(serializers.Field):
    """The scope's currency beside a money value, null beside days and percentages."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, instance):
        currency = getattr(getattr(instance, "scope", None), "currency", None)
        return currency_of(instance.unit, currency or self.context["currency"])


CurrencyOfUnitField = extend_schema_field(
    {"type": "string", "nullable": True, "description": "ISO 4217 code of a money value."}
)(CurrencyOfUnitField)

STATUSES = [("green", "Green"), ("amber", "Amber"), ("red", "Red")]


class ScopeSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    partial = serializers.BooleanField(help_text="The period ends after today.")
    rep = serializers.IntegerField(allow_null=True)
    segment = serializers.IntegerField(allow_null=True)
    customer = serializers.IntegerField(allow_null=True)
    product_line = serializers.CharField(allow_null=True)
    currency = serializers.CharField()


class KPIValueSerializer(serializers.Serializer):
    value = MeasureField()
    previous = MeasureField()
    change = MeasureField()
    status = serializers.ChoiceField(choices=STATUSES, allow_null=True)
    previous_status = serializers.ChoiceField(choices=STATUSES, allow_null=True)
    unit = serializers.CharField()
    currency = CurrencyOfUnitField()
    better = serializers.ChoiceField(choices=["higher", "lower"], allow_null=True)


class ChangeSerializer(serializers.Serializer):
    key = serializers.CharField()
    previous = MeasureField()
    value = MeasureField()
    change = MeasureField()
    status = serializers.ChoiceField(choices=STATUSES, allow_null=True)
    unit = serializers.CharField()
    currency = CurrencyOfUnitField()
    sentence = serializers.CharField()


class SummarySerializer(serializers.Serializer):
    scope = ScopeSerializer()
    previous_scope = ScopeSerializer()
    compare = serializers.ChoiceField(choices=["previous_period", "previous_year"])
    currencies = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every currency the filters find invoices in; amounts are in scope.currency.",
    )
    kpis = serializers.SerializerMethodField()
    what_changed = serializers.ListField(child=serializers.CharField())
    changes = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DictField(child=KPIValueSerializer()))
    def get_kpis(self, summary):
        context = {"currency": summary.scope.currency}
        return {
            key: KPIValueSerializer(kpi, context=context).data for key, kpi in summary.kpis.items()
        }

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes(self, summary):
        context = {"currency": summary.scope.currency}
        return ChangeSerializer(summary.changes, many=True, context=context).data


class SeriesPointSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    value = MeasureField()


class OneSeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    unit = serializers.CharField()
    currency = CurrencyOfUnitField()
    points = serializers.SerializerMethodField()

    @extend_schema_field(SeriesPointSerializer(many=True))
    def get_points(self, series):
        context = {"unit": series.unit}
        return SeriesPointSerializer(series.points, many=True, context=context).data


class SeriesSerializer(OneSeriesSerializer):
    interval = serializers.CharField()
    scope = ScopeSerializer()
    currencies = serializers.ListField(child=serializers.CharField())


class ManySeriesSerializer(serializers.Serializer):
    interval = serializers.CharField()
    scope = ScopeSerializer()
    currencies = serializers.ListField(child=serializers.CharField())
    series = OneSeriesSerializer(many=True)


class GroupSerializer(serializers.Serializer):
    id = serializers.JSONField(source="group_id", allow_null=True)
    name = serializers.CharField(source="group_name")


class BreakdownRowSerializer(serializers.Serializer):
    group = GroupSerializer(source="*")
    value = MeasureField()
    previous = MeasureField()
    change = MeasureField()
    status = serializers.ChoiceField(choices=STATUSES, allow_null=True)


class BreakdownSerializer(serializers.Serializer):
    key = serializers.CharField()
    group_by = serializers.CharField()
    unit = serializers.CharField()
    currency = CurrencyOfUnitField()
    scope = ScopeSerializer()
    previous_scope = ScopeSerializer()
    currencies = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField(help_text="Groups in all (a page shows `limit` of them).")
    next = serializers.SerializerMethodField()
    previous = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()

    def _page(self, offset: int | None) -> str | None:
        if offset is None:
            return None
        url = self.context["request"].build_absolute_uri()
        return replace_query_param(url, "offset", offset)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_next(self, breakdown):
        after = breakdown.offset + self.context["limit"]
        return self._page(after if after < breakdown.count else None)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_previous(self, breakdown):
        if breakdown.offset <= 0:
            return None
        return self._page(max(breakdown.offset - self.context["limit"], 0))

    @extend_schema_field(BreakdownRowSerializer(many=True))
    def get_results(self, breakdown):
        context = {"unit": breakdown.unit}
        return BreakdownRowSerializer(breakdown.rows, many=True, context=context).data


class AgingBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    label = serializers.CharField()
    amount = MoneyField()
    invoice_count = serializers.IntegerField()
    activity_count = serializers.IntegerField()
    invoices_without_activity = serializers.IntegerField()


class AgingSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField(source="scope.currency")
    currencies = serializers.ListField(child=serializers.CharField())
    total = MoneyField()
    buckets = AgingBucketSerializer(many=True)


class ReminderFunnelSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    currencies = serializers.ListField(child=serializers.CharField())
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
    currencies = serializers.ListField(child=serializers.CharField())
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

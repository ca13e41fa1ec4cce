"""Response shapes of the outlook endpoints: they render `outlook.impact` and
`outlook.forecast` dataclasses, nothing more.

Money is a decimal string with two places; days and percentages are JSON numbers rounded to
two decimals (`metrics.api.serializers.NumberField`), as for the KPIs.
"""

from rest_framework import serializers

from metrics.api.serializers import NumberField, ScopeSerializer


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=20, decimal_places=2, coerce_to_string=True, read_only=True, **kwargs
    )


class LeverSerializer(serializers.Serializer):
    name = serializers.CharField()
    days = NumberField()
    share = NumberField(help_text="% of credit sales the lever reaches.")
    effect_days = NumberField(help_text="Change to DSO in days (negative: DSO falls).")


class MeasuredLeversSerializer(serializers.Serializer):
    time_to_invoice_days = NumberField(help_text="Mean days from order to invoice in P.")
    time_to_invoice_median_days = NumberField()
    average_days_delinquent = NumberField(help_text="DSO − best possible DSO.")


class DSOImpactSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    currency = serializers.CharField(source="scope.currency")
    current_dso = NumberField(help_text="The `dso` KPI of the scope.")
    levers = LeverSerializer(many=True)
    projected_dso = NumberField()
    credit_sales = money()
    working_capital_freed = money(allow_null=True)
    measured = MeasuredLeversSerializer(source="*")
    model = serializers.CharField()


class SourcesSerializer(serializers.Serializer):
    promised = money()
    behaviour = money()
    disputed = money()
    orders = money()


class ForecastWeekSerializer(serializers.Serializer):
    week = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    expected = money()
    by_source = SourcesSerializer()
    due_date_amount = money()


class ForecastFiltersSerializer(serializers.Serializer):
    rep = serializers.IntegerField(allow_null=True)
    segment = serializers.IntegerField(allow_null=True)
    customer = serializers.IntegerField(allow_null=True)
    product_line = serializers.CharField(allow_null=True)


class CashForecastSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    filters = ForecastFiltersSerializer(source="scope")
    include_orders = serializers.BooleanField()
    open_ar = money()
    open_orders = money()
    after_horizon = money()
    average_weekly_collected = money()
    weeks = ForecastWeekSerializer(many=True)


class AccuracyWeekSerializer(serializers.Serializer):
    week = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    actual = money()
    forecast = money()
    due_date = money()
    due_plus_average_late = money()
    forecast_error = money()
    due_date_error = money()
    due_plus_average_late_error = money()


class WAPESerializer(serializers.Serializer):
    forecast = NumberField(source="wape_forecast")
    due_date = NumberField(source="wape_due_date")
    due_plus_average_late = NumberField(source="wape_due_plus_average_late")


class ForecastAccuracySerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    filters = ForecastFiltersSerializer(source="scope")
    open_ar = money()
    actual_total = money()
    wape = WAPESerializer(source="*", help_text="Σ|expected − actual| ÷ Σ actual, in %.")
    weeks = AccuracyWeekSerializer(many=True)

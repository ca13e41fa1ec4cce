"""django-filter FilterSets of the accounts REST API: thin wrappers over the predicates."""

import django_filters as filters

from accounts.models import Customer, Opportunity, SalesRep, Segment
from o2c_api.api.filters import FilterSet, IdFilter
from receivables import predicates


class SegmentFilterSet(FilterSet):
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Segment
        fields = ["code"]


class SalesRepFilterSet(FilterSet):
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = SalesRep
        fields = ["active"]


class CustomerFilterSet(FilterSet):
    rep = IdFilter(queryset=SalesRep.objects.all())
    segment = IdFilter(queryset=Segment.objects.all())
    currency = filters.ChoiceFilter(choices=Customer._meta.get_field("currency").choices)
    credit_limit = filters.RangeFilter()
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    created = filters.IsoDateTimeFromToRangeFilter(field_name="created_at")

    class Meta:
        model = Customer
        fields = ["on_credit_hold", "external_id"]


class OpportunityFilterSet(FilterSet):
    """Rep is the opportunity's own; segment is its customer's (the KPI spec's rule)."""

    rep = IdFilter(queryset=SalesRep.objects.all(), method="filter_dimension")
    segment = IdFilter(queryset=Segment.objects.all(), method="filter_dimension")
    customer = IdFilter(queryset=Customer.objects.all(), method="filter_dimension")
    stage = filters.ChoiceFilter(choices=Opportunity.Stage.choices)
    currency = filters.ChoiceFilter(choices=Opportunity._meta.get_field("currency").choices)
    created_date = filters.DateFromToRangeFilter()
    closed_date = filters.DateFromToRangeFilter()
    amount = filters.RangeFilter()
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Opportunity
        fields = []

    def filter_dimension(self, queryset, name, value):
        return queryset.filter(predicates.invoice_dimensions(**{name: value.pk}))

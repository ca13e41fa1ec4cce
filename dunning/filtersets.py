"""django-filter FilterSets of the dunning REST API."""

import django_filters as filters

from accounts.models import Customer
from dunning.models import CreditHold, PlaybookAction, PlaybookStep
from o2c_api.api.filters import FilterSet, IdFilter, StrictBooleanFilter
from receivables.models import Invoice


class CreditHoldFilterSet(FilterSet):
    """`customer` (its history), `current` (true: the hold in force now), `automatic`."""

    customer = IdFilter(queryset=Customer.objects.all())
    current = StrictBooleanFilter(method="filter_current")
    automatic = StrictBooleanFilter()

    class Meta:
        model = CreditHold
        fields = ["customer", "current", "automatic"]

    def filter_current(self, queryset, name, value):
        return queryset.filter(lifted_at__isnull=value)


class PlaybookActionFilterSet(FilterSet):
    invoice = IdFilter(queryset=Invoice.objects.all())
    customer = IdFilter(queryset=Customer.objects.all(), field_name="invoice__customer")
    step = IdFilter(queryset=PlaybookStep.objects.all())
    as_of = filters.DateFilter()

    class Meta:
        model = PlaybookAction
        fields = ["invoice", "customer", "step", "variant", "channel", "as_of"]

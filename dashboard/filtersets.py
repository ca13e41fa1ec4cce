"""django-filter FilterSets of the dashboard's REST endpoints."""

import django_filters as filters

from accounts.models import SalesRep, Segment
from dashboard.models import Annotation, HuddleAction
from o2c_api.api.filters import FilterSet, IdFilter


class AnnotationFilterSet(FilterSet):
    note_date = filters.DateFromToRangeFilter()
    rep = IdFilter(queryset=SalesRep.objects.all())
    segment = IdFilter(queryset=Segment.objects.all())
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Annotation
        fields = []


class HuddleActionFilterSet(FilterSet):
    status = filters.ChoiceFilter(choices=HuddleAction.Status.choices)
    due_date = filters.DateFromToRangeFilter()
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = HuddleAction
        fields = ["kpi", "owner"]

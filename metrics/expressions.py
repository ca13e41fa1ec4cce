"""Small SQL building blocks of the KPI engine: period buckets (day differences are
`o2c_api.expressions.DaysBetween`)."""

from collections.abc import Sequence
from datetime import date

from django.db.models import Case, IntegerField, Value, When


def bucket(field: str, cuts: Sequence[date]) -> Case:
    """Index i of the interval (cuts[i-1], cuts[i]] the date in `field` falls in.

    Bucket 0 is everything up to cuts[0]; NULL dates and dates after the last cut get NULL.
    `cuts` must be sorted ascending. The CASE is a balanced binary search, so a row costs
    about log2(len(cuts)) comparisons even for a ten-year weekly series (500+ cuts).
    """

    def search(lo: int, hi: int):
        # The smallest i in [lo, hi] with value <= cuts[i], knowing value <= cuts[hi].
        if lo == hi:
            return Value(lo)
        mid = (lo + hi) // 2
        return Case(
            When(**{f"{field}__lte": cuts[mid]}, then=search(lo, mid)),
            default=search(mid + 1, hi),
            output_field=IntegerField(),
        )

    return Case(
        When(**{f"{field}__isnull": True}, then=Value(None)),
        When(**{f"{field}__gt": cuts[-1]}, then=Value(None)),
        default=search(0, len(cuts) - 1),
        output_field=IntegerField(),
    )


def due_bucket(field: str, dates: Sequence[date]) -> Case | Value:
    """The largest j with dates[j] <= the date in `field`, or -1: "not past due at dates[j]"
    holds exactly for the j up to this index. `dates` must be sorted ascending; the CASE is
    a binary search like `bucket`."""

    def search(lo: int, hi: int):
        # The answer is in [lo, hi] (lo may be -1: no date is on or before the value).
        if lo == hi:
            return Value(lo)
        mid = (lo + hi + 1) // 2
        return Case(
            When(**{f"{field}__gte": dates[mid]}, then=search(mid, hi)),
            default=search(lo, mid - 1),
            output_field=IntegerField(),
        )

    if not dates:
        return Value(-1, output_field=IntegerField())
    return search(-1, len(dates) - 1)

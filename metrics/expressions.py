"""Small SQL building blocks of the KPI engine: day differences and period buckets."""

from collections.abc import Sequence
from datetime import date

from django.db.models import Case, Func, IntegerField, Value, When


class DaysBetween(Func):
    """Whole days from `earlier` to `later` (both dates), as an integer, on every backend."""

    output_field = IntegerField()

    def __init__(self, later, earlier, **extra):
        super().__init__(later, earlier, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        # PostgreSQL: date - date is an integer number of days.
        return f"({later} - {earlier})", [*later_params, *earlier_params]

    def as_sqlite(self, compiler, connection, **extra_context):
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        sql = f"CAST(ROUND(julianday({later}) - julianday({earlier})) AS INTEGER)"
        return sql, [*later_params, *earlier_params]


def bucket(field: str, cuts: Sequence[date]) -> Case:
    """Index i of the interval (cuts[i-1], cuts[i]] the date in `field` falls in.

    Bucket 0 is everything up to cuts[0]; rows after the last cut get NULL (callers filter
    them out). `cuts` must be sorted ascending.
    """
    return Case(
        *[When(**{f"{field}__lte": cut}, then=Value(index)) for index, cut in enumerate(cuts)],
        default=Value(None),
        output_field=IntegerField(),
    )


def due_bucket(field: str, dates: Sequence[date]) -> Case:
    """The largest j with dates[j] <= the date in `field`, or -1: "not past due at dates[j]"
    holds exactly for the j up to this index. `dates` must be sorted ascending."""
    whens = [
        When(**{f"{field}__gte": d}, then=Value(index))
        for index, d in reversed(list(enumerate(dates)))
    ]
    if not whens:
        return Value(-1, output_field=IntegerField())
    return Case(*whens, default=Value(-1), output_field=IntegerField())

"""Database expressions every app uses, on every backend: whole days between two dates, the
day after a date."""

from django.db.models import DateField, Func, IntegerField


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


class DayAfter(Func):
    """The day after a date, as a date, on every backend."""

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra_context):
        day, params = compiler.compile(self.source_expressions[0])
        # PostgreSQL: date + integer is a date.
        return f"({day} + 1)", params

    def as_sqlite(self, compiler, connection, **extra_context):
        day, params = compiler.compile(self.source_expressions[0])
        return f"date({day}, '+1 day')", params

"""Database expressions every app uses: whole days between two dates, on every backend."""

from django.db.models import Func, IntegerField


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

"""Database expressions every app uses, on every backend: whole days between two dates, the
day after a date, a column among a list of ids."""

from collections.abc import Iterable

from django.db.models import DateField, Func, IntegerField, Lookup


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


class AnyOf(Lookup):
    """`lhs` is one of the integers `rhs` (a non-empty collection), passed to the database as
    ONE parameter however many there are (`id_list`): the SQL of `AnyOf(F("id"), ids)` is
    the same for one id or a thousand, so it is compiled, split and planned as one statement
    (`o2c_api.sqlcache`), where an IN list is a new statement for every length."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            sql = f"{lhs} = ANY(%s::bigint[])"
        else:
            sql = f"{lhs} IN (SELECT value FROM json_each(%s))"
        return sql, [*params, id_list(connection.vendor, self.rhs)]


def id_list(vendor: str, ids: Iterable[int]) -> str:
    """The parameter `AnyOf` passes for `ids`: an array literal on PostgreSQL, a JSON array
    elsewhere (SQLite's json_each)."""
    text = ",".join(str(int(i)) for i in ids)
    return f"{{{text}}}" if vendor == "postgresql" else f"[{text}]"

"""Queries compiled once per shape, then run with each call's own values.

Building and compiling a KPI query through the ORM (nested CASEs over period boundaries,
subqueries, a UNION of fact families) costs more Python than the database spends running it:
tens of milliseconds per summary, whatever the data. A query's SQL depends only on its shape
(which filters, how many periods, which measures), so `rows()` builds it once per shape with
stand-in values, notes where each stand-in lands among the SQL's parameters, and later calls
swap in their own values and run the SQL directly.
"""

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime, timedelta

from django.db import connection, connections
from django.db.models import QuerySet

from o2c_api import routers
from o2c_api.expressions import id_list

_CACHE: dict = {}
_NO_QUERY = object()
_LIMIT = 2000  # shapes kept (a bound, not a tuning knob: there are a few hundred in practice)


def rows(
    shape: Hashable,
    build: Callable[..., QuerySet | tuple],
    using: str | None = None,
    **values,
) -> list[dict]:
    """The rows of `build(**values)`, as dicts of the raw column values.

    Args:
        shape: everything the SQL depends on besides `values` (the same shape must always
            build the same SQL from different values).
        build: builds the queryset from the values (called once per shape, with stand-ins),
            or SQL and its parameters composed of querysets' (`sql_with_params()`).
        using: the database alias to read; by default where the router sends reads now
            (`o2c_api.routers.read_alias`: a read replica, in a request it serves; the
            primary inside a transaction).
        values: ints, strings, dates, aware datetimes or non-empty lists of ids (for
            `o2c_api.expressions.AnyOf`, one parameter whatever their length), none of
            them None. `build` may return None: no query, no rows.
    """
    key = (connection.vendor, shape)
    compiled = _CACHE.get(key)
    if compiled is None:
        compiled = _compile(build, values)
        if len(_CACHE) >= _LIMIT:
            _CACHE.clear()
        _CACHE[key] = compiled
    if compiled is _NO_QUERY:
        return []
    sql, params, slots = compiled
    actual = [
        param if slot is None else slot[1](values[slot[0]])
        for param, slot in zip(params, slots, strict=True)
    ]
    with connections[using or routers.read_alias()].cursor() as cursor:
        cursor.execute(sql, actual)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _stand_in(value, n: int):
    """A value of the same type that no query holds by itself."""
    if isinstance(value, bool):
        raise TypeError("A boolean is part of the shape, not a value.")
    if isinstance(value, int):
        # Within a 32-bit column's range: an integer lookup outside its field's range compiles
        # to "no rows" (EmptyResultSet) rather than to SQL with a parameter to swap.
        return 2**31 - 1 - n
    if isinstance(value, str):
        return f"\x1fstand-in {n}\x1f"
    if isinstance(value, datetime):
        return datetime(1001, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    if isinstance(value, date):
        return date(1001, 1, 1) + timedelta(days=n)
    if isinstance(value, list) and value:
        return [2**31 - 1 - n]
    raise TypeError(f"No stand-in for {type(value).__name__}.")


def _forms(value) -> list[Callable]:
    """The ways the ORM may pass a value of this type to the database driver."""
    ops = connection.ops
    if isinstance(value, datetime):
        return [lambda v: v, ops.adapt_datetimefield_value, str]
    if isinstance(value, date):
        return [lambda v: v, ops.adapt_datefield_value, str]
    if isinstance(value, list):
        return [lambda v: id_list(connection.vendor, v)]
    return [lambda v: v]


def _compile(build: Callable[..., QuerySet | tuple], values: dict) -> tuple:
    stand_ins = {name: _stand_in(value, n) for n, (name, value) in enumerate(values.items())}
    lookup = {}
    for name, stand_in in stand_ins.items():
        for form in _forms(stand_in):
            lookup.setdefault(form(stand_in), (name, form))
    built = build(**stand_ins)
    if built is None:
        return _NO_QUERY
    if isinstance(built, tuple):
        sql, params = built
    else:
        sql, params = built.query.get_compiler(connection=connection).as_sql()
    slots = []
    for param in params:
        try:
            slot = lookup.get(param)
        except TypeError:  # an unhashable parameter (a list): never a stand-in
            slot = None
        if slot is None and _looks_like_a_stand_in(param):
            # The ORM passed a stand-in in a form we cannot reproduce (e.g. wrapped in a
            # pattern): caching this shape would run it with the stand-in.
            raise ValueError(f"A stand-in reached the SQL transformed: {param!r}")
        slots.append(slot)
    return sql, list(params), slots


def _looks_like_a_stand_in(param) -> bool:
    if isinstance(param, str):
        return "stand-in" in param or param.startswith("1001-")
    if isinstance(param, int) and not isinstance(param, bool):
        return param <= -(10**15)
    return isinstance(param, date) and param.year == 1001

"""What the book holds within a scope's filters: the currencies present and the product lines.

Every report lists the currencies its scope's filters find invoices in (`currencies`), so a
client sees when the book holds amounts in a currency other than the scope's (never summed).
"""

from __future__ import annotations

from datetime import date

from metrics import sums
from metrics.models import KPIRollup
from metrics.scope import Scope
from o2c_api import sqlcache
from o2c_api.money import CURRENCIES
from receivables import predicates
from receivables.models import Invoice


def currencies(scope: Scope) -> tuple[str, ...]:
    """The currencies of the counting invoices issued by the scope's end within its
    dimension filters, whatever the scope's own currency (one query).

    From the KPI rollup's invoice counts (rows per day, not per invoice) unless the scope
    names a customer, whose own invoices are found by index.
    """
    if sums.rollup_answers(scope, None):
        filters = {
            name: value
            for name, value in scope.filters().items()
            if value is not None and name != "currency"
        }

        def probes(end: date, **dims) -> tuple[str, list]:
            # One EXISTS probe per known currency: the rollup's key leads with the currency,
            # so each is an index lookup, where a DISTINCT would read every row of the
            # projection.
            dims_scope = Scope(start=end, end=end, currency=scope.currency, **dims)
            projection = sums.kpi_projection(dims_scope, None, any_currency=True)
            rows = projection.rows.filter(day__lte=end, invoices_issued__gt=0)
            parts, params = [], []
            for currency in CURRENCIES:
                sql, probe = rows.filter(currency=currency).values("pk")[:1].query.sql_with_params()
                parts.append(f"SELECT %s AS currency WHERE EXISTS ({sql})")
                params += [currency, *probe]
            return " UNION ALL ".join(parts), params

        rows = sqlcache.rows(("currencies", tuple(filters)), probes, end=scope.end, **filters)
        return tuple(sorted(row["currency"] for row in rows))
    dims = {**scope.filters(), "currency": None}
    return tuple(
        Invoice.objects.filter(
            predicates.counting()
            & predicates.issued_by(scope.end)
            & predicates.invoice_dimensions(**dims)
        )
        .order_by("currency")
        .values_list("currency", flat=True)
        .distinct()
    )


def product_lines() -> tuple[str, ...]:
    """The product lines of the counting invoices, sorted (one query).

    Read from the KPI rollup's product-line projection (one row per day, currency and line;
    every currency named, so it is a range of the rollup's key), where a DISTINCT over the
    invoices reads every invoice: 20 ms against 100-180 ms at 1M invoices.
    """
    lines = (
        KPIRollup.objects.filter(
            currency__in=CURRENCIES,
            rep_key=KPIRollup.ALL,
            segment_key=KPIRollup.ALL,
            invoices_issued__gt=0,  # a voided invoice leaves its row, with zeros
        )
        .exclude(product_line=KPIRollup.ALL_PRODUCT_LINES)
        .order_by("product_line")
        .values_list("product_line", flat=True)
        .distinct()
    )
    return tuple(line for line in lines if line)

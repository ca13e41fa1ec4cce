"""Reference implementation of the AR building blocks, straight from the spec: plain
aggregates over invoices, applications and adjustments that the engine's paths (the KPI rollup
and the source rows) must always agree with."""

from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

from metrics.scope import Period, Scope
from o2c_api.money import ZERO
from receivables import predicates
from receivables.models import Adjustment, Invoice, PaymentApplication


def _invoices(scope: Scope, prefix: str = "") -> Q:
    return predicates.counting(prefix) & predicates.invoice_dimensions(prefix, **scope.filters())


def reference_ar(scope: Scope, d: date, current_only: bool = False) -> Decimal:
    """AR(d) (or Current AR(d)) from invoices, applications and adjustments, per the spec.

    Three aggregate queries: Σ amount of counting invoices issued by d (due on or after d for
    current AR) − Σ their applications dated by d − Σ their adjustments dated by d. Slow on a
    large ledger (it reads every invoice): the rollup path must always agree with it.
    """
    due = {"due_date__gte": d} if current_only else {}
    invoiced = Invoice.objects.filter(_invoices(scope), issue_date__lte=d, **due).aggregate(
        s=Sum("amount")
    )["s"]
    due = {"invoice__due_date__gte": d} if current_only else {}
    applied = PaymentApplication.objects.filter(
        _invoices(scope, "invoice"), invoice__issue_date__lte=d, applied_date__lte=d, **due
    ).aggregate(s=Sum("amount"))["s"]
    adjusted = Adjustment.objects.filter(
        _invoices(scope, "invoice"), invoice__issue_date__lte=d, adjustment_date__lte=d, **due
    ).aggregate(s=Sum("amount"))["s"]
    return (invoiced or ZERO) - (applied or ZERO) - (adjusted or ZERO)


def reference_credit_sales(scope: Scope, period: Period) -> Decimal:
    """Credit sales(P) from the invoices."""
    total = Invoice.objects.filter(
        _invoices(scope), issue_date__gte=period.start, issue_date__lte=period.end
    ).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


def reference_collected(scope: Scope, period: Period) -> Decimal:
    """Collected(P) from the applications."""
    total = PaymentApplication.objects.filter(
        _invoices(scope, "invoice"), applied_date__gte=period.start, applied_date__lte=period.end
    ).aggregate(s=Sum("amount"))["s"]
    return total or ZERO

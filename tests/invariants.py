"""Every money invariant of the data model, checked with database aggregates.

`invariant_violations()` returns one line per broken rule (with a count and a few ids), so a
test can `assert invariant_violations() == []` and see what broke. It runs a fixed number of
queries whatever the data size, so it also checks benchmark-sized databases.
"""

from decimal import Decimal

from django.db.models import (
    DecimalField,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Abs, Coalesce, Greatest

from metrics import rollup
from metrics.models import KPIRollup
from o2c_api.money import ZERO
from receivables.models import (
    Adjustment,
    Dispute,
    Invoice,
    Payment,
    PaymentApplication,
    PromiseToPay,
)

MONEY = DecimalField(max_digits=18, decimal_places=2)
HALF_CENT = DecimalField(max_digits=18, decimal_places=3)


def _sum_of(model, fk: str) -> Coalesce:
    rows = model.objects.filter(**{fk: OuterRef("pk")})
    total = Subquery(
        rows.values(fk).annotate(total=Sum("amount")).values("total"), output_field=MONEY
    )
    return Coalesce(total, Value(ZERO), output_field=MONEY)


def _max_of(model, fk: str, date_field: str) -> Subquery:
    rows = model.objects.filter(**{fk: OuterRef("pk")})
    return Subquery(rows.values(fk).annotate(last=Max(date_field)).values("last"))


def _differs(queryset, left, right):
    """Rows where left != right, by at least half a cent.

    SQLite computes decimal arithmetic in floating point (1914.40 - 1649.45 - 264.95 is not
    exactly 0 there), so an exact comparison would report false violations; amounts have two
    decimals, so a real difference is at least a cent on either database.
    """
    return queryset.annotate(difference=Abs(left - right, output_field=MONEY)).filter(
        difference__gte=Decimal("0.005")
    )


def _report(violations: list[str], rule: str, queryset) -> None:
    ids = list(queryset.values_list("pk", flat=True)[:5])
    if ids:
        violations.append(f"{rule}: {queryset.count()} rows, e.g. ids {ids}")


def invariant_violations() -> list[str]:
    """Check every money invariant; returns the broken ones (empty when all hold).

    Rules:
        - counting invoice: open_amount = amount − Σ applications − Σ adjustments;
          status paid ⇔ open_amount 0 ⇔ paid_date set; paid_date = the latest application or
          adjustment date.
        - draft invoice: no applications or adjustments, open_amount = amount, no paid date.
        - void invoice: no applications, open_amount 0, no paid date.
        - payment: unapplied_amount = amount − Σ applications.
        - application: same customer and currency as its invoice and payment; applied on or
          after the payment was received and the invoice issued.
        - adjustment: dated on or after the invoice's issue date.
        - promise: stored status equals the derivation of the spec (refresh changes nothing);
          its customer is its invoice's.
        - invoice: activity_count = its number of collection activities.
        - the AR rollup equals its recomputation from the source rows.
    """
    violations: list[str] = []
    invoices = Invoice.objects.annotate(
        applied=_sum_of(PaymentApplication, "invoice"),
        adjusted=_sum_of(Adjustment, "invoice"),
        last_application=_max_of(PaymentApplication, "invoice", "applied_date"),
        last_adjustment=_max_of(Adjustment, "invoice", "adjustment_date"),
    )
    counting = invoices.filter(status__in=["open", "paid"])
    _report(
        violations,
        "open_amount != amount - applications - adjustments",
        _differs(counting, F("open_amount"), F("amount") - F("applied") - F("adjusted")),
    )
    _report(
        violations,
        "paid invoice with open amount or without paid_date",
        counting.filter(status="paid").filter(~Q(open_amount=0) | Q(paid_date__isnull=True)),
    )
    _report(
        violations,
        "open invoice with zero open amount or a paid_date",
        counting.filter(status="open").filter(Q(open_amount=0) | Q(paid_date__isnull=False)),
    )
    _report(
        violations,
        "paid_date != latest application/adjustment date",
        counting.filter(status="paid")
        .annotate(
            last=Greatest(
                Coalesce("last_application", "last_adjustment"),
                Coalesce("last_adjustment", "last_application"),
            )
        )
        .exclude(paid_date=F("last")),
    )
    _report(
        violations,
        "draft invoice with money movements or open_amount != amount",
        invoices.filter(status="draft").filter(
            ~Q(applied=0)
            | ~Q(adjusted=0)
            | ~Q(open_amount=F("amount"))
            | Q(paid_date__isnull=False)
        ),
    )
    _report(
        violations,
        "void invoice with applications, open amount or paid_date",
        invoices.filter(status="void").filter(
            ~Q(applied=0) | ~Q(open_amount=0) | Q(paid_date__isnull=False)
        ),
    )
    _report(
        violations,
        "unapplied_amount != amount - applications",
        _differs(
            Payment.objects.annotate(applied=_sum_of(PaymentApplication, "payment")),
            F("unapplied_amount"),
            F("amount") - F("applied"),
        ),
    )
    _report(
        violations,
        "application across customers or currencies",
        PaymentApplication.objects.filter(
            ~Q(invoice__customer_id=F("payment__customer_id"))
            | ~Q(invoice__currency=F("payment__currency"))
        ),
    )
    _report(
        violations,
        "application dated before receipt or issue",
        PaymentApplication.objects.filter(
            Q(applied_date__lt=F("payment__received_date"))
            | Q(applied_date__lt=F("invoice__issue_date"))
        ),
    )
    _report(
        violations,
        "adjustment dated before issue",
        Adjustment.objects.filter(adjustment_date__lt=F("invoice__issue_date")),
    )
    _report(violations, "promise status not derived", _promises_off())
    _report(
        violations,
        "promise of another customer than its invoice's",
        PromiseToPay.objects.exclude(customer_id=F("invoice__customer_id")),
    )
    _report(
        violations,
        "activity_count != number of activities",
        Invoice.objects.activity_count_wrong(),
    )
    differing = rollup.differences()
    if differing:
        violations.append(
            f"rollup != recompute: {len(differing)} differing rows, e.g. {differing[:3]}"
        )
    return violations


def _promises_off():
    """Promises whose stored status differs from the spec's derivation as of today."""
    from receivables.services import today

    paid = Subquery(
        PaymentApplication.objects.filter(
            invoice_id=OuterRef("invoice_id"),
            applied_date__gte=OuterRef("created_date"),
            applied_date__lte=OuterRef("promised_date"),
        )
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values("total"),
        output_field=MONEY,
    )
    promises = PromiseToPay.objects.annotate(paid=Coalesce(paid, Value(ZERO), output_field=MONEY))
    # Half a cent of slack: SQLite sums decimals as floats (see services.refresh_promise_statuses).
    kept = Q(paid__gte=F("amount") - Value(Decimal("0.005"), output_field=HALF_CENT))
    broken = ~kept & Q(promised_date__lt=today())
    return promises.filter(
        (Q(status="kept") & ~kept)
        | (Q(status="broken") & ~broken)
        | (Q(status="open") & (kept | broken))
    )


def row_counts() -> dict[str, int]:
    """Rows per receivables money model: negative tests assert these did not change."""
    return {
        "invoices": Invoice.objects.count(),
        "payments": Payment.objects.count(),
        "applications": PaymentApplication.objects.count(),
        "adjustments": Adjustment.objects.count(),
        "promises": PromiseToPay.objects.count(),
        "disputes": Dispute.objects.count(),
    }


def money_totals() -> dict[str, object]:
    """Σ open amounts, Σ unapplied and the AR in the rollup: a negative test asserts these are
    unchanged."""
    return {
        "open": Invoice.objects.aggregate(t=Sum("open_amount"))["t"],
        "unapplied": Payment.objects.aggregate(t=Sum("unapplied_amount"))["t"],
        "rollup": ar_rows(),
        "counts": row_counts(),
    }


def assert_invariants() -> None:
    """Assert every money invariant holds (see `invariant_violations` for the rules).

    Σ payments = Σ applied + Σ unapplied and Σ applications of an invoice ≤ amount −
    adjustments follow from the per-row rules checked there (unapplied = amount − applications;
    open amount = amount − applications − adjustments, and open amount ≥ 0 by constraint).
    """
    assert invariant_violations() == []


def ar_rows(**filters) -> list[tuple]:
    """The KPI rollup's AR at full dimensions, where it moves: (day, rep, segment, product
    line, currency, invoiced, applied, adjusted, current) in key order."""
    columns = ("ar_invoiced", "ar_applied", "ar_adjusted", "ar_current")
    rows = (
        KPIRollup.objects.exclude(rep_key=KPIRollup.ALL)
        .exclude(segment_key=KPIRollup.ALL)
        .exclude(product_line=KPIRollup.ALL_PRODUCT_LINES)
        .exclude(ar_invoiced=0, ar_applied=0, ar_adjusted=0, ar_current=0)
        .filter(**filters)
        .order_by("day", "rep_key", "segment_key", "product_line", "currency")
    )
    return list(
        rows.values_list("day", "rep_key", "segment_key", "product_line", "currency", *columns)
    )

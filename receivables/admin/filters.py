"""List filters of the invoice list: how a collector finds the invoices to work on.

Each is a thin wrapper over the definition the APIs and the KPI engine use: past due and open
are `receivables.predicates` as of today, the buckets are the aging report's
(`metrics.aging.aging_bucket`), "no activity" is the worklist's (`worklist.risk`), "open
dispute" and "promise" the invoice API's `with_collection_state` annotations.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib import admin
from django.db.models import Q

from metrics.aging import AGING_BUCKETS, AGING_LABELS, aging_bucket
from receivables import predicates, services
from receivables.models import PromiseToPay

PAST_DUE_BUCKETS = AGING_BUCKETS[1:]  # every bucket but "current"
# Open amount ranges (in the invoice's own currency: a filter never adds currencies up).
OPEN_AMOUNT_RANGES = {
    "0_1k": (Decimal("0.01"), Decimal("1000")),
    "1k_10k": (Decimal("1000"), Decimal("10000")),
    "10k_100k": (Decimal("10000"), Decimal("100000")),
    "100k_up": (Decimal("100000"), None),
}
OPEN_AMOUNT_LABELS = {
    "0_1k": "Under 1,000",
    "1k_10k": "1,000 to 10,000",
    "10k_100k": "10,000 to 100,000",
    "100k_up": "100,000 and more",
}
NO_ACTIVITY_DAYS = (7, 14, 30, 60, 90)


class PastDueFilter(admin.SimpleListFilter):
    """Past due today, in all or in one aging bucket (1–30, 31–60, 61–90, over 90 days)."""

    title = "past due"
    parameter_name = "past_due"

    def lookups(self, request, model_admin):
        return [
            ("any", "Any past due"),
            *((name, AGING_LABELS[name]) for name in PAST_DUE_BUCKETS),
            ("no", "Not past due"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        today = services.today()
        if value == "any":
            return queryset.filter(predicates.past_due_at(today))
        if value == "no":
            return queryset.exclude(predicates.past_due_at(today))
        if value in PAST_DUE_BUCKETS:
            return (
                queryset.filter(predicates.past_due_at(today))
                .alias(admin_bucket=aging_bucket(today))
                .filter(admin_bucket=value)
            )
        return queryset


class OpenAmountFilter(admin.SimpleListFilter):
    """Open amount ranges (lower bound included, upper excluded)."""

    title = "open amount"
    parameter_name = "open_amount"

    def lookups(self, request, model_admin):
        return list(OPEN_AMOUNT_LABELS.items())

    def queryset(self, request, queryset):
        if self.value() not in OPEN_AMOUNT_RANGES:
            return queryset
        low, high = OPEN_AMOUNT_RANGES[self.value()]
        queryset = queryset.filter(open_amount__gte=low)
        return queryset if high is None else queryset.filter(open_amount__lt=high)


class NoActivityFilter(admin.SimpleListFilter):
    """Open invoices with no collection activity logged on them in the last N days (as the
    worklist's `no_activity_days`: none since midnight N days before tomorrow)."""

    title = "no activity in"
    parameter_name = "no_activity_days"

    def lookups(self, request, model_admin):
        return [(str(days), f"{days} days") for days in NO_ACTIVITY_DAYS]

    def queryset(self, request, queryset):
        from worklist import risk

        if self.value() not in {str(days) for days in NO_ACTIVITY_DAYS}:
            return queryset
        today = services.today()
        since = risk.next_midnight(today) - timedelta(days=int(self.value()))
        return (
            queryset.filter(predicates.open_at(today))
            .alias(admin_last_activity=risk.last_activity_at(today))
            .filter(Q(admin_last_activity__isnull=True) | Q(admin_last_activity__lt=since))
        )


class OpenDisputeFilter(admin.SimpleListFilter):
    """Invoices with (or without) a dispute still open."""

    title = "open dispute"
    parameter_name = "open_dispute"

    def lookups(self, request, model_admin):
        return (("yes", "Has an open dispute"), ("no", "No open dispute"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(predicates.disputed())
        if self.value() == "no":
            return queryset.exclude(predicates.disputed())
        return queryset


class PromiseStatusFilter(admin.SimpleListFilter):
    """By the status of the invoice's latest promise to pay (the API's
    `latest_promise_status`), or invoices without any promise."""

    title = "latest promise"
    parameter_name = "promise"

    def lookups(self, request, model_admin):
        return [*PromiseToPay.Status.choices, ("none", "No promise")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(latest_promise_status__isnull=True)
        if value in PromiseToPay.Status.values:
            return queryset.filter(latest_promise_status=value)
        return queryset

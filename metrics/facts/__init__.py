"""The KPI facts: each defined once, by a `Family` of source rows.

A family is one kind of source row (invoices, applications, adjustments, disputes, promises,
reminders, payments, opportunities): the day a row counts on, its dimension keys (rep,
segment, product line, currency) and its measures. AR is facts too: an invoice adds its
amount on its issue day, applications and adjustments take theirs off on their dates, and
Current AR is a running sum (`ar_current`: a movement made while its invoice is not yet due
is added on its day and taken back the day after the due date, so Current AR(d) is the sum of
`ar_current` up to d).

The same definitions build and keep the KPI rollup (`metrics.rollup`) and answer, from the
source rows, the scopes the rollup cannot (a customer: `metrics.sums`).

The families live by domain: `invoices` (invoices, adjustments, disputes), `cash`
(applications, payments, promises, reminders) and `pipeline` (opportunities), on what they
share in `family`. `families()` is every one of them, in the order the rollup's queries unite
them.
"""

from __future__ import annotations

import functools

from metrics.facts.cash import Applications, ApplicationsDue, Payments, Promises, Reminders
from metrics.facts.family import (
    ALL,
    ALL_LINES,
    ANCHOR_NAMES,
    AR_MEASURES,
    FACT_MEASURES,
    FULL,
    KEY_COLUMNS,
    MEASURES,
    MONEY_MEASURES,
    PROJECTIONS,
    Anchors,
    Family,
)
from metrics.facts.invoices import Adjustments, AdjustmentsDue, Disputes, Invoices, InvoicesDue
from metrics.facts.pipeline import OpportunitiesClosed, OpportunitiesCreated

__all__ = [
    "ALL",
    "ALL_LINES",
    "ANCHOR_NAMES",
    "AR_FAMILIES",
    "AR_MEASURES",
    "CASH_FAMILIES",
    "FACT_MEASURES",
    "FULL",
    "KEY_COLUMNS",
    "MEASURES",
    "MONEY_MEASURES",
    "PROJECTIONS",
    "Anchors",
    "Family",
    "Invoices",
    "families",
]

# The families of the AR facts (invoiced, applied, adjusted, Current AR).
AR_FAMILIES = frozenset(
    {"Invoices", "InvoicesDue", "Applications", "ApplicationsDue", "Adjustments", "AdjustmentsDue"}
)

# What posting and applying cash can change: a payment (received, matched), the AR its
# applications move, the promises of the invoices it pays (kept) and their reminders (paid
# within 7 days). Invoices, adjustments, disputes and opportunities do not move (an invoice's
# status between open and paid is no fact).
CASH_FAMILIES = frozenset({"Applications", "ApplicationsDue", "Payments", "Promises", "Reminders"})


@functools.cache
def families() -> tuple[Family, ...]:
    """Every family, built once: their expressions are templates the ORM copies when it
    resolves them, so one instance serves every query and thread."""
    return (
        Invoices(),
        InvoicesDue(),
        Applications(),
        ApplicationsDue(),
        Adjustments(),
        AdjustmentsDue(),
        Disputes(),
        Promises(),
        Reminders(),
        Payments(),
        OpportunitiesCreated(),
        OpportunitiesClosed(),
    )

"""Finding the invoices a posting may touch, before any lock: the remittance lines'
invoices, the invoice numbers in a bank reference, the exact-amount candidates (see the
package doc for the rules)."""

import re
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models.functions import Upper

from receivables.cash_application.results import (
    RemittanceLine,
)
from receivables.models import Invoice, Payment

MAX_REFERENCE_TOKENS = 50
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*")


def reference_tokens(reference: str) -> list[str]:
    """The upper-cased tokens of a bank reference that may be invoice numbers (see module doc)."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(reference or ""):
        token = match.group().rstrip("._/-")
        candidates = [token, *token.split("/")] if "/" in token else [token]
        for candidate in candidates:
            candidate = candidate.strip("._/-").upper()
            if candidate and candidate not in tokens:
                tokens.append(candidate)
    return tokens[:MAX_REFERENCE_TOKENS]


@dataclass(frozen=True)
class Plan:
    """The invoices each rule may touch, found without locks before locking them all.

    `exact` holds every open invoice of the customer whose open amount equalled the payment
    amount when the batch began; the rule applies if exactly one still does once locked.
    """

    by_line: dict[int, int]
    referenced: list[int]
    exact: list[int]
    open_ids: list[int]

    @property
    def invoice_ids(self) -> set[int]:
        return (
            set(self.by_line.values()) | set(self.referenced) | set(self.exact) | set(self.open_ids)
        )


def plan_all(postings: list[tuple[Payment, list[RemittanceLine]]]) -> list[Plan]:
    """The plan of every posting, with a fixed number of queries for the whole batch."""
    by_lines = _resolve_remittances(
        [(remittance, payment.customer_id) for payment, remittance in postings]
    )
    tokens = [
        set() if remittance else set(reference_tokens(payment.reference))
        for payment, remittance in postings
    ]
    referenced_rows = []
    if any(tokens):
        referenced_rows = list(
            Invoice.objects.annotate(number_upper=Upper("number"))
            .filter(
                customer_id__in={
                    p.customer_id for (p, _), t in zip(postings, tokens, strict=True) if t
                },
                number_upper__in=set().union(*tokens),
            )
            .values_list("pk", "customer_id", "number_upper")
        )
    by_number = _group(((c, upper), pk) for pk, c, upper in referenced_rows)
    referenced = [
        [pk for token in item_tokens for pk in by_number.get((payment.customer_id, token), ())]
        for (payment, _), item_tokens in zip(postings, tokens, strict=True)
    ]
    open_invoices = Invoice.objects.counting().filter(open_amount__gt=0)
    wants_exact = [
        payment
        for (payment, remittance), found in zip(postings, referenced, strict=True)
        if not remittance and not found
    ]
    exact_rows = []
    if wants_exact:
        exact_rows = list(
            open_invoices.filter(
                customer_id__in={p.customer_id for p in wants_exact},
                open_amount__in={p.amount for p in wants_exact},
            ).values_list("pk", "customer_id", "currency", "open_amount")
        )
    open_rows = []
    if settings.O2C_AUTO_APPLY_OLDEST_FIRST:
        open_rows = list(
            open_invoices.filter(customer_id__in={p.customer_id for p, _ in postings}).values_list(
                "pk", "customer_id"
            )
        )
    by_amount = _group(((c, currency, amount), pk) for pk, c, currency, amount in exact_rows)
    by_customer = _group((c, pk) for pk, c in open_rows)
    plans = []
    for (payment, remittance), by_line, found in zip(postings, by_lines, referenced, strict=True):
        exact = []
        if not remittance and not found:
            exact = by_amount.get((payment.customer_id, payment.currency, payment.amount), [])
        open_ids = by_customer.get(payment.customer_id, [])
        plans.append(Plan(by_line, found, exact, open_ids))
    return plans


def _group(rows) -> dict:
    """{key: [values]} from (key, value) pairs, in order."""
    grouped: dict = defaultdict(list)
    for key, value in rows:
        grouped[key].append(value)
    return grouped


def _resolve_remittances(items: list[tuple[list[RemittanceLine], int]]) -> list[dict[int, int]]:
    """For each (lines, customer id): map each line index to the id of the invoice it names.

    Unknown invoices are left out. Numbers match exactly (as given or upper-cased: the unique
    index answers), then, for the rest, ignoring case among the paying customer's invoices (an
    index on the customer; a case-insensitive search over every invoice would scan the table).
    At most three queries for all the items.
    """
    ids = {line.invoice for lines, _ in items for line in lines if line.invoice is not None}
    numbers = [
        {line.invoice_number.strip() for line in lines if line.invoice_number} for lines, _ in items
    ]
    variants = set().union(*numbers) if numbers else set()
    variants |= {number.upper() for number in variants}
    # Without ids or numbers there is nothing to read (and building the query costs time).
    id_rows = (
        list(Invoice.objects.filter(pk__in=ids).values_list("pk", "number", "customer_id"))
        if ids
        else []
    )
    exact_rows = (
        list(Invoice.objects.filter(number__in=variants).values_list("pk", "number", "customer_id"))
        if variants
        else []
    )
    id_rows_by_pk = {row[0]: row for row in id_rows}
    exact_by_number = _group((row[1], row) for row in exact_rows)
    missing = []
    for item_numbers in numbers:
        item_variants = item_numbers | {number.upper() for number in item_numbers}
        seen = {number for number in item_variants if number in exact_by_number}
        seen |= {number.upper() for number in seen}
        missing.append({number.upper() for number in item_numbers if number not in seen} - seen)
    fallback_rows = []
    if any(missing):
        fallback_rows = list(
            Invoice.objects.annotate(number_upper=Upper("number"))
            .filter(
                customer_id__in={c for (_, c), m in zip(items, missing, strict=True) if m},
                number_upper__in=set().union(*missing),
            )
            .values_list("pk", "number", "customer_id")
        )
    fallback_by_upper = _group(((row[2], row[1].upper()), row) for row in fallback_rows)
    resolved_all = []
    for (lines, customer_id), item_numbers, item_missing in zip(
        items, numbers, missing, strict=True
    ):
        item_ids = {line.invoice for line in lines if line.invoice is not None}
        item_variants = item_numbers | {number.upper() for number in item_numbers}
        found = [id_rows_by_pk[pk] for pk in item_ids if pk in id_rows_by_pk]
        found += [row for number in item_variants for row in exact_by_number.get(number, ())]
        found += [
            row for upper in item_missing for row in fallback_by_upper.get((customer_id, upper), ())
        ]
        known_ids = {pk for pk, _, _ in found if pk in item_ids}
        by_number: dict[str, int] = {}
        by_upper: dict[str, int] = {}
        for pk, number, _owner in sorted(found, key=lambda row: row[2] != customer_id):
            by_number.setdefault(number, pk)
            by_upper.setdefault(number.upper(), pk)
        resolved: dict[int, int] = {}
        for index, line in enumerate(lines):
            if line.invoice is not None:
                if line.invoice in known_ids:
                    resolved[index] = line.invoice
            elif line.invoice_number:
                number = line.invoice_number.strip()
                pk = by_number.get(number) or by_upper.get(number.upper())
                if pk is not None:
                    resolved[index] = pk
        resolved_all.append(resolved)
    return resolved_all

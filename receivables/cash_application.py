"""Posting a payment and applying it automatically: the one home of cash-application rules.

`post_payment` records the payment and applies it in one transaction, by the first rule that
applies:

1. **remittance** — the lines the sender gave (`invoice_number` or `invoice` id, amount), in
   order, each exactly as given;
2. **reference** — without remittance, the invoice numbers of this customer found in the
   payment's `reference`, oldest first (issue date, then id), each up to its open amount;
3. **exact_amount** — otherwise the customer's one open invoice (same currency) whose open
   amount equals the payment amount, if there is exactly one;
4. **none** — otherwise the cash stays unapplied (on account) for a person to apply.

With `settings.O2C_AUTO_APPLY_OLDEST_FIRST` on (off by default) cash left over by any rule is
then applied to the customer's open invoices, oldest first — unless a line or reference could
not be honoured, because an exception is a question for a person.

Reference matching: the reference is cut into tokens at anything that is not a letter, digit,
`-`, `_`, `.` or `/` (so "INV-00012, INV-00013", "inv-00012;INV-00013" and
"Payment INV-00012/INV-00013" all name both invoices; the whole "INV-00012/INV-00013" and its
`/`-separated parts are tried, so numbers like "2026/0012" still match). A token matches an
invoice number exactly, ignoring case. Nothing fuzzy: "inv 12" does not match "INV-00012" — a
guess that applies cash to the wrong invoice is worse than cash on account.

A remittance line (or a referenced invoice) that cannot be honoured never rejects the cash: the
payment is stored, the good lines are applied, and each problem is returned as a
`PostingException` with the amount it left unapplied. A line is applied in full or not at all
(a line for more than the invoice's open amount is not cut down: it usually means the invoice
was already paid, which a person should see).

Locking: every invoice any rule may touch is found first without locks, then all of them are
locked at once in id order (`services.lock_invoices`) — locking in batches per rule could take
two invoices in opposite orders in two transactions and deadlock. The payment is new, so no
other transaction can hold it. The rules then read the locked rows only: each application is
checked and staged in memory (`services.stage_application`, the one home of the rules), and
all of a posting's applications are written together (`services.save_applications`). Rollup
rows are taken last, sorted, when the posting ends (`rollup.tracking`).

Batches (`post_payments` inside `batch()`, the bulk post) work the same way with a fixed number
of statements per batch: all payments inserted, all invoices of all postings locked at once,
each posting staged in order on the shared in-memory invoices (so it sees the postings before
it), everything written together. Should the database still break a deadlock (e.g. two
clients racing with the same external id), the whole transaction is run again
(`retry_on_deadlock`).
"""

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.models import Customer
from dunning import services as dunning
from integrations import events
from integrations.models import EventType
from metrics import rollup
from o2c_api import audit
from o2c_api.db import retry_on_deadlock
from o2c_api.money import ZERO
from receivables import services
from receivables.errors import ErrorCode
from receivables.models import Invoice, Payment, PaymentApplication

RULE_REMITTANCE = "remittance"
RULE_REFERENCE = "reference"
RULE_EXACT_AMOUNT = "exact_amount"
RULE_NONE = "none"

# Codes of `PostingException.code` besides those of `services.stage_application`
# (customer_mismatch, currency_mismatch, invoice_not_open, exceeds_open_amount,
# exceeds_unapplied_amount, not_positive, date_before_issue).
INVOICE_NOT_FOUND = ErrorCode.INVOICE_NOT_FOUND
INVOICE_PAID = ErrorCode.INVOICE_PAID  # only for invoices named in `reference`

MAX_REFERENCE_TOKENS = 50
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*")


@dataclass(frozen=True)
class RemittanceLine:
    """One line of a sender's remittance advice: which invoice, and how much of the cash.

    Exactly one of `invoice_number` and `invoice` (an invoice id) is given.
    """

    amount: Decimal
    invoice_number: str | None = None
    invoice: int | None = None

    @property
    def ref(self) -> str:
        return self.invoice_number if self.invoice_number is not None else str(self.invoice)


@dataclass(frozen=True)
class PostingException:
    """A remittance line or referenced invoice that was not applied, for a person to look at.

    Attributes:
        line: index of the remittance line (0-based), None for an invoice named in `reference`.
        invoice: the invoice as the sender referred to it (number or id).
        code: stable machine-readable code, e.g. invoice_not_found, exceeds_open_amount.
        message: a sentence for a person.
        amount: the amount this problem left unapplied.
    """

    line: int | None
    invoice: str
    code: str
    message: str
    amount: Decimal


@dataclass
class PostingResult:
    """What `post_payment` did: everything a REST response or a GraphQL payload shows.

    Attributes:
        payment: the stored payment (its `unapplied_amount` is current).
        applications: the applications made by this posting, by applied date then id.
        exceptions: lines or referenced invoices that could not be honoured.
        unapplied_amount: cash left on account.
        rule: which rule applied the cash: remittance, reference, exact_amount or none.
    """

    payment: Payment
    applications: list[PaymentApplication] = field(default_factory=list)
    exceptions: list[PostingException] = field(default_factory=list)
    unapplied_amount: Decimal = ZERO
    rule: str = RULE_NONE


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


def resolve_customer(
    *,
    customer_id: int | None = None,
    customer_external_id: str | None = None,
    known: "CustomerIndex | None" = None,
    customers: QuerySet[Customer] | None = None,
) -> Customer:
    """Find the paying customer by id or by the sender's external id.

    Args:
        known: customers loaded beforehand for a batch (`CustomerIndex.load`); looked up there
            first, then in the database.
        customers: the customers the poster may name (`accounts.scoping.scope` of a user
            limited to their customers); default: all.

    Raises:
        ValidationError: customer_required (neither given), does_not_exist (unknown, or not
            among `customers`: the same answer, so a scoped poster learns nothing of others).
    """
    if customer_id is not None:
        lookup, field_name = {"pk": customer_id}, "customer"
    elif customer_external_id:
        lookup, field_name = {"external_id": customer_external_id}, "customer_external_id"
    else:
        raise ValidationError(
            {
                "customer": ValidationError(
                    "Give `customer` (id) or `customer_external_id`.", ErrorCode.CUSTOMER_REQUIRED
                )
            }
        )
    found = known.get(**lookup) if known is not None else None
    if found is not None:
        return found
    try:
        return (Customer.objects.all() if customers is None else customers).get(**lookup)
    except Customer.DoesNotExist as exc:
        raise ValidationError(
            {field_name: ValidationError("No such customer.", ErrorCode.DOES_NOT_EXIST)}
        ) from exc


@dataclass(frozen=True)
class CustomerIndex:
    """The customers a batch names, by id and by external id, read in at most two queries."""

    by_pk: dict[int, Customer]
    by_external_id: dict[str, Customer]

    @classmethod
    def load(
        cls, ids: Iterable, external_ids: Iterable, customers: QuerySet[Customer] | None = None
    ) -> "CustomerIndex":
        """Load the customers of the given ids and external ids (values as sent: any that is
        not an id or a string is skipped, and `resolve_customer` judges it), among
        `customers` (default: all)."""
        customers = Customer.objects.all() if customers is None else customers
        ids = {int(i) for i in ids if isinstance(i, int | str) and str(i).isdigit()}
        external_ids = {e for e in external_ids if isinstance(e, str) and e}
        by_pk = customers.in_bulk(ids) if ids else {}
        by_external_id = {
            customer.external_id: customer
            for customer in (customers.filter(external_id__in=external_ids) if external_ids else [])
        }
        return cls(by_pk, by_external_id)

    def get(self, *, pk: int | None = None, external_id: str | None = None) -> Customer | None:
        return self.by_pk.get(pk) if pk is not None else self.by_external_id.get(external_id)


def post_payment(
    *,
    customer: Customer,
    amount: Decimal,
    currency: str | None = None,
    received_date: date,
    method: str = Payment.Method.OTHER,
    reference: str = "",
    external_id: str = "",
    remittance: Sequence[RemittanceLine] | None = None,
    posted_by=None,
) -> PostingResult:
    """Record a payment and apply it automatically, in one transaction (see module doc).

    Args:
        customer: who paid.
        amount: > 0, two decimals.
        currency: defaults to the customer's currency.
        received_date: the date the cash arrived; automatic applications are dated on it (or
            on the invoice's issue date when that is later).
        method: one of `Payment.Method`.
        reference: free text as the bank shows it; searched for invoice numbers.
        external_id: the sender's id of the payment, unique per `posted_by`.
        remittance: the sender's lines; None or empty means "no remittance".
        posted_by: the client (user) posting it.

    Returns:
        A PostingResult; the payment is stored even when lines could not be honoured.

    Raises:
        ValidationError: not_positive, invalid_amount, invalid_currency, invalid_method —
            nothing is stored.
        Conflict: duplicate_external_id (details: {"payment": id of the existing payment}),
            also when a concurrent post of the same external id wins the race.
    """
    fields = {
        "customer": customer,
        "amount": amount,
        "currency": currency,
        "received_date": received_date,
        "method": method,
        "reference": reference,
        "external_id": external_id,
        "posted_by": posted_by,
    }
    remittance = list(remittance or [])
    return retry_on_deadlock(lambda: _post_payment(fields, remittance))


@transaction.atomic
def _post_payment(fields: dict, remittance: list[RemittanceLine]) -> PostingResult:
    with rollup.tracking(rollup.CASH_FAMILIES), events.batched():
        return _apply_all([(_record(fields), remittance)])[0]


def _record(fields: dict) -> Payment:
    """Store a checked payment (`services.new_payment`); a taken external id is a Conflict.

    The unique constraint on (posted_by, external_id) is the duplicate check: the INSERT runs
    in a savepoint and a clash is answered as `services.record_payment` answers it, naming the
    existing payment — also when a concurrent post of the same external id won the race.
    """
    payment = services.new_payment(**fields)
    # Recorded in the audit trail once, when the posting is done (`_store_outcomes`).
    payment.skip_history_when_saving = True
    try:
        with transaction.atomic():
            payment.save(force_insert=True)
            rollup.added(payments=[payment.pk])
    except IntegrityError:
        existing = _existing_external_ids(payment.posted_by, {payment.external_id})
        if payment.external_id not in existing:
            raise
        raise services.duplicate_payment(
            payment.external_id, existing[payment.external_id]
        ) from None
    return payment


def _existing_external_ids(posted_by, external_ids: set[str]) -> dict[str, int]:
    external_ids = {external_id for external_id in external_ids if external_id}
    if not external_ids:
        return {}
    return dict(
        Payment.objects.filter(posted_by=posted_by, external_id__in=external_ids).values_list(
            "external_id", "pk"
        )
    )


def post_payments(
    postings: Sequence[dict], *, posted_by=None
) -> list[PostingResult | ValidationError]:
    """Post several payments in the caller's transaction (inside `batch()`), set-based.

    Each posting stands alone: one that is refused (invalid, or its external id already
    posted, also earlier in the same batch) stores nothing and does not stop the others, and
    each is applied by the same rules as `post_payment`, seeing the postings before it. The
    work is done with a fixed number of statements per batch, not per posting: the payments
    are checked (`services.new_payment`) and inserted together; then every invoice any of them
    may touch is found, and locked at once in id order; the applications are staged in memory
    (`services.stage_application`, the rules) and written together
    (`services.save_applications`). That is the locking order: payments, invoices by id,
    rollup rows last and sorted (`batch()`).

    Args:
        postings: keyword arguments of `post_payment` (without `posted_by`).
        posted_by: the client posting them.

    Returns:
        One entry per posting, in order: its PostingResult, or the ValidationError / Conflict
        that refused it (nothing of that posting is stored). The caller decides whether the
        batch commits (all or nothing, or the created ones).
    """
    outcomes = _record_all(postings, posted_by)
    stored = [
        (outcome, list(posting.get("remittance") or []))
        for posting, outcome in zip(postings, outcomes, strict=True)
        if isinstance(outcome, Payment)
    ]
    results = iter(_apply_all(stored))
    return [next(results) if isinstance(o, Payment) else o for o in outcomes]


def _record_all(postings: Sequence[dict], posted_by) -> list[Payment | ValidationError]:
    """Check and insert the payments of a batch together; refused ones become their error."""
    checked: list[Payment | ValidationError] = []
    for posting in postings:
        fields = {k: v for k, v in posting.items() if k != "remittance"}
        try:
            checked.append(services.new_payment(**fields, posted_by=posted_by))
        except ValidationError as exc:
            checked.append(exc)
    external_ids = {p.external_id for p in checked if isinstance(p, Payment) and p.external_id}
    existing = _existing_external_ids(posted_by, external_ids)
    while True:
        outcomes = _without_duplicates(checked, existing)
        new = list({id(o): o for o in outcomes if isinstance(o, Payment)}.values())
        try:
            with transaction.atomic():
                # Recorded in the audit trail when the postings are done (`_store_outcomes`).
                Payment.objects.bulk_create(new)
            rollup.added(payments={payment.pk for payment in new})
            break
        except IntegrityError:
            for payment in new:
                payment.pk = None
            # A concurrent post of one of these external ids committed meanwhile (the insert
            # waited for it): it is now among the existing ones. Anything else is not a
            # duplicate, and goes up.
            now_existing = _existing_external_ids(posted_by, external_ids)
            if now_existing.keys() == existing.keys():
                raise
            existing = now_existing
    seen: set[int] = set()
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, Payment):
            if id(outcome) in seen:  # a later item with the external id of an earlier one
                outcomes[index] = services.duplicate_payment(outcome.external_id, outcome.pk)
            seen.add(id(outcome))
    return outcomes


def _without_duplicates(
    checked: list[Payment | ValidationError], existing: dict[str, int]
) -> list[Payment | ValidationError]:
    """Payments whose external id is taken become its Conflict; a later payment with the
    external id of an earlier one becomes that earlier (same) object."""
    first: dict[str, Payment] = {}
    outcomes: list[Payment | ValidationError] = []
    for outcome in checked:
        if isinstance(outcome, Payment) and outcome.external_id:
            if outcome.external_id in existing:
                outcome = services.duplicate_payment(
                    outcome.external_id, existing[outcome.external_id]
                )
            else:
                outcome = first.setdefault(outcome.external_id, outcome)
        outcomes.append(outcome)
    return outcomes


@dataclass(frozen=True)
class BatchOutcome:
    """What a bulk post did: one outcome per item, in order, and whether it was rolled back.

    An outcome is the item's PostingResult, the ValidationError / Conflict that refused it,
    or whatever the caller passed in place of an item it had already refused (its errors).
    """

    outcomes: list
    rolled_back: bool


class _RolledBack(Exception):
    def __init__(self, outcomes: list) -> None:
        super().__init__("bulk post rolled back")
        self.outcomes = outcomes


def post_batch(items: Sequence, *, posted_by=None, atomic: bool = False) -> BatchOutcome:
    """The bulk post of REST and GraphQL: `post_payments` in one `batch()`, retried on deadlock.

    Args:
        items: per item either the keyword arguments of `post_payment` (a dict) or, for an
            item the caller refused while validating, its errors (passed through unchanged).
        posted_by: the client posting them.
        atomic: any item that is not created rolls every item back.

    Returns:
        BatchOutcome; with `rolled_back` nothing of the batch is stored.
    """

    def post_all() -> list:
        with batch():
            valid = [item for item in items if isinstance(item, dict)]
            posted = iter(post_payments(valid, posted_by=posted_by))
            outcomes = [next(posted) if isinstance(item, dict) else item for item in items]
            if atomic and not all(isinstance(o, PostingResult) for o in outcomes):
                raise _RolledBack(outcomes)
        return outcomes

    try:
        return BatchOutcome(retry_on_deadlock(post_all), rolled_back=False)
    except _RolledBack as rolled_back:
        return BatchOutcome(rolled_back.outcomes, rolled_back=True)


@contextmanager
def batch() -> Iterator[None]:
    """One transaction for several postings (`post_payments`), rollup rows taken last.

    Raise inside to roll everything back. Wrap in `retry_on_deadlock`: should the database
    still break a deadlock (e.g. two batches racing on the same external id), the batch is
    run again.
    """
    with transaction.atomic(), rollup.tracking(rollup.CASH_FAMILIES), events.batched():
        yield


def _apply_all(postings: list[tuple[Payment, list[RemittanceLine]]]) -> list[PostingResult]:
    """Apply just-recorded payments in order, each by the first rule that applies.

    Every invoice any of them may touch is locked first, at once and in id order; the
    applications are staged in memory and written together at the end.
    """
    plans = _plan_all(postings)
    locked = services.lock_invoices(pk for plan in plans for pk in plan.invoice_ids)
    results = [
        _apply_rules(payment, remittance, plan, locked)
        for (payment, remittance), plan in zip(postings, plans, strict=True)
    ]
    applications = [a for result in results for a in result.applications]
    services.save_applications(applications, save_payments=False)
    _store_outcomes(results)
    events.record_many(
        (EventType.PAYMENT_POSTED, r.payment, services.payment_payload(r.payment)) for r in results
    )
    # Cash may take away a credit hold's reasons: one query unless a customer is on hold.
    dunning.after_posting({a.invoice.customer_id for a in applications})
    for result in results:
        result.applications.sort(key=lambda application: (application.applied_date, application.pk))
    return results


def _store_outcomes(results: list[PostingResult]) -> None:
    """Keep each posting's rule, exceptions and unapplied amount with its payment: one UPDATE
    for them all, then one history row per payment, created as it now stands (the payments
    were inserted without one: a posting is one change in the audit trail)."""
    now = timezone.now()
    for result in results:
        payment = result.payment
        payment.posting_rule = result.rule
        payment.posting_exceptions = [
            {
                "line": exception.line,
                "invoice": exception.invoice,
                "code": exception.code,
                "message": exception.message,
                "amount": f"{exception.amount:.2f}",
            }
            for exception in result.exceptions
        ]
        payment.updated_at = now
    payments = [result.payment for result in results]
    if not payments:
        return
    if connection.vendor == "postgresql":
        _update_outcomes(payments)
    else:
        Payment.objects.bulk_update(
            payments, ["unapplied_amount", "posting_rule", "posting_exceptions", "updated_at"]
        )
    audit.record_bulk(Payment, [payment.pk for payment in payments], created=True)
    # del skip_history_when_saving: a later save of the same object is recorded as usual
    for payment in payments:
        payment.__dict__.pop("skip_history_when_saving", None)


def _update_outcomes(payments: list[Payment]) -> None:
    """`_store_outcomes`' UPDATE on PostgreSQL: the values as one JSON parameter, so a batch
    costs no SQL built per payment (Django's bulk_update builds a CASE per field and row)."""
    rows = [
        {
            "id": payment.pk,
            "unapplied_amount": str(payment.unapplied_amount),
            "posting_rule": payment.posting_rule,
            "posting_exceptions": payment.posting_exceptions,
        }
        for payment in payments
    ]
    table = Payment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET unapplied_amount = v.unapplied_amount, "
            "posting_rule = v.posting_rule, posting_exceptions = v.posting_exceptions, "
            f"updated_at = %s FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, "
            "unapplied_amount numeric, posting_rule text, posting_exceptions jsonb) "
            f"WHERE {table}.id = v.id",
            [payments[0].updated_at, json.dumps(rows)],
        )


def _apply_rules(
    payment: Payment,
    remittance: list[RemittanceLine],
    plan: "_Plan",
    locked: dict[int, Invoice],
) -> PostingResult:
    """Stage the applications of one payment by the first rule that applies (see module doc)."""
    amount = payment.amount
    result = PostingResult(payment=payment)
    exact = [
        locked[pk]
        for pk in plan.exact
        if pk in locked and locked[pk].counts and locked[pk].open_amount == amount
    ]
    if remittance:
        result.rule = RULE_REMITTANCE
        _apply_remittance(result, remittance, plan.by_line, locked)
    elif plan.referenced:
        result.rule = RULE_REFERENCE
        _apply_referenced(result, [locked[pk] for pk in plan.referenced if pk in locked])
    elif len(exact) == 1:
        result.rule = RULE_EXACT_AMOUNT
        _apply(result, exact[0], amount)

    if settings.O2C_AUTO_APPLY_OLDEST_FIRST and not result.exceptions and payment.unapplied_amount:
        for invoice in _oldest_first(locked[pk] for pk in plan.open_ids if pk in locked):
            if payment.unapplied_amount == 0:
                break
            if invoice.counts and invoice.currency == payment.currency and invoice.open_amount:
                _apply(result, invoice, min(invoice.open_amount, payment.unapplied_amount))
    result.unapplied_amount = payment.unapplied_amount
    return result


@dataclass(frozen=True)
class _Plan:
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


def _plan_all(postings: list[tuple[Payment, list[RemittanceLine]]]) -> list[_Plan]:
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
        plans.append(_Plan(by_line, found, exact, open_ids))
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


def _apply_remittance(
    result: PostingResult,
    lines: list[RemittanceLine],
    by_line: dict[int, int],
    locked: dict[int, Invoice],
) -> None:
    for index, line in enumerate(lines):
        invoice = locked.get(by_line.get(index))
        if invoice is None:
            result.exceptions.append(
                PostingException(
                    line=index,
                    invoice=line.ref,
                    code=INVOICE_NOT_FOUND,
                    message=f"No invoice {line.ref!r}.",
                    amount=line.amount,
                )
            )
            continue
        _apply(result, invoice, line.amount, line=index, ref=line.ref)


def _apply_referenced(result: PostingResult, invoices: list[Invoice]) -> None:
    payment = result.payment
    for invoice in _oldest_first(invoices):
        problem = _unpayable(invoice, payment)
        if problem is not None:
            # Named in the reference but it cannot take cash (perhaps it was paid twice):
            # a person should see it. No amount is attributed to a reference.
            code, message = problem
            result.exceptions.append(
                PostingException(
                    line=None, invoice=invoice.number, code=code, message=message, amount=ZERO
                )
            )
            continue
        if payment.unapplied_amount == 0:
            break
        _apply(result, invoice, min(invoice.open_amount, payment.unapplied_amount))


def _unpayable(invoice: Invoice, payment: Payment) -> tuple[str, str] | None:
    """Why an invoice named in the reference cannot take this payment's cash, if it cannot:
    the service's rules (`check_payable`), then "already paid"."""
    try:
        services.check_payable(payment, invoice)
    except ValidationError as exc:
        error = _first_error(exc)
        return error.code, " ".join(error.messages)
    if invoice.open_amount == 0:
        return INVOICE_PAID, f"Invoice {invoice.number} is already paid."
    return None


def _apply(
    result: PostingResult,
    invoice: Invoice,
    amount: Decimal,
    *,
    line: int | None = None,
    ref: str | None = None,
) -> None:
    """Stage `amount` or record why not (a refusal changes nothing, `stage_application`)."""
    try:
        application = services.stage_application(
            result.payment, invoice, amount, automatic=True, user=result.payment.posted_by
        )
    except ValidationError as exc:
        error = _first_error(exc)
        result.exceptions.append(
            PostingException(
                line=line,
                invoice=ref or invoice.number,
                code=error.code or "invalid",
                message=" ".join(error.messages),
                amount=amount,
            )
        )
        return
    result.applications.append(application)


def _first_error(exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return next(iter(exc.error_dict.values()))[0]
    return exc.error_list[0]


def _oldest_first(invoices) -> list[Invoice]:
    return sorted(invoices, key=lambda invoice: (invoice.issue_date, invoice.pk))

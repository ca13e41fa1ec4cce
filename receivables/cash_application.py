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
other transaction can hold it. The rules then read the locked rows only. Rollup rows are taken
last, sorted, when the posting ends (`ledger.deferred`). A batch of postings in one
transaction (`batch`, the all-or-nothing bulk post) locks every invoice of all its postings up
front (`lock_for_postings`). Should the database still break a deadlock (e.g. two clients
racing with the same external id), the whole transaction is run again (`retry_on_deadlock`).
"""

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper

from accounts.models import Customer
from o2c_api.db import retry_on_deadlock
from o2c_api.errors import Conflict
from o2c_api.money import ZERO
from receivables import ledger, services
from receivables.models import Invoice, Payment, PaymentApplication

RULE_REMITTANCE = "remittance"
RULE_REFERENCE = "reference"
RULE_EXACT_AMOUNT = "exact_amount"
RULE_NONE = "none"

# Codes of `PostingException.code` besides those of `services.apply_locked`
# (customer_mismatch, currency_mismatch, invoice_not_open, exceeds_open_amount,
# exceeds_unapplied_amount, not_positive, date_before_issue).
INVOICE_NOT_FOUND = "invoice_not_found"
INVOICE_PAID = "invoice_paid"  # only for invoices named in `reference`

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
        applications: the applications made by this posting, in the order they were made.
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
    *, customer_id: int | None = None, customer_external_id: str | None = None
) -> Customer:
    """Find the paying customer by id or by the sender's external id.

    Raises:
        ValidationError: customer_required (neither given), does_not_exist (unknown).
    """
    if customer_id is not None:
        lookup, field_name = {"pk": customer_id}, "customer"
    elif customer_external_id:
        lookup, field_name = {"external_id": customer_external_id}, "customer_external_id"
    else:
        raise ValidationError(
            {
                "customer": ValidationError(
                    "Give `customer` (id) or `customer_external_id`.", "customer_required"
                )
            }
        )
    try:
        return Customer.objects.get(**lookup)
    except Customer.DoesNotExist as exc:
        raise ValidationError(
            {field_name: ValidationError("No such customer.", "does_not_exist")}
        ) from exc


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
    with ledger.deferred():
        return _apply_rules(_record(fields), remittance)


def _record(fields: dict) -> Payment:
    """services.record_payment in a savepoint; a lost race on external_id becomes its Conflict."""
    try:
        with transaction.atomic():
            return services.record_payment(**fields)
    except IntegrityError:
        # A concurrent post of the same external id passed record_payment's check at the same
        # time; the unique constraint stopped this one. Answer as the check would have.
        external_id = fields.get("external_id")
        existing = (
            Payment.objects.filter(posted_by=fields.get("posted_by"), external_id=external_id)
            .only("pk")
            .first()
            if external_id
            else None
        )
        if existing is None:
            raise
        raise Conflict(
            f"Payment {external_id!r} was already posted as payment {existing.pk}.",
            code="duplicate_external_id",
            details={"payment": existing.pk},
        ) from None


def post_payments(
    postings: Sequence[dict], *, posted_by=None
) -> list[PostingResult | ValidationError]:
    """Post several payments in the caller's transaction (inside `batch()`), all or nothing.

    In the locking order: every payment is recorded first (in the given order), then every
    invoice any of them may touch is locked at once in id order, then each is applied. So a
    batch never holds invoice locks while it waits for another transaction's payment insert
    (same external id), which a single posting (payment, then invoices) could be waiting on.

    Args:
        postings: keyword arguments of `post_payment` (without `posted_by`).
        posted_by: the client posting them.

    Returns:
        One entry per posting, in order: its PostingResult, or the ValidationError / Conflict
        that refused it (nothing of that posting is stored; the caller decides whether the
        batch commits).
    """
    outcomes: list[Payment | ValidationError] = []
    for posting in postings:
        fields = {k: v for k, v in posting.items() if k != "remittance"}
        try:
            outcomes.append(_record({**fields, "posted_by": posted_by}))
        except ValidationError as exc:
            outcomes.append(exc)
    lock_for_postings(
        posting
        for posting, outcome in zip(postings, outcomes, strict=True)
        if isinstance(outcome, Payment)
    )
    return [
        _apply_rules(outcome, list(posting.get("remittance") or []))
        if isinstance(outcome, Payment)
        else outcome
        for posting, outcome in zip(postings, outcomes, strict=True)
    ]


@contextmanager
def batch() -> Iterator[None]:
    """One transaction for several postings (all-or-nothing bulk), rollup rows taken last.

    Raise inside to roll everything back. Wrap in `retry_on_deadlock`: postings inside lock
    their invoices one after the other, so two batches can deadlock; the database breaks it
    and the batch is run again.
    """
    with transaction.atomic(), ledger.deferred():
        yield


def _apply_rules(payment: Payment, remittance: list[RemittanceLine]) -> PostingResult:
    """Apply a just-recorded payment by the first rule that applies (see module doc)."""
    customer, amount, reference = payment.customer, payment.amount, payment.reference
    result = PostingResult(payment=payment)
    plan = _plan(customer, payment.currency, amount, reference, remittance)
    by_line, referenced, exact = plan.by_line, plan.referenced, plan.exact
    locked = services.lock_invoices(plan.invoice_ids)

    if remittance:
        result.rule = RULE_REMITTANCE
        _apply_remittance(result, remittance, by_line, locked)
    elif referenced:
        result.rule = RULE_REFERENCE
        _apply_referenced(result, [locked[pk] for pk in referenced if pk in locked])
    elif len(exact) == 1 and exact[0] in locked and locked[exact[0]].open_amount == amount:
        result.rule = RULE_EXACT_AMOUNT
        _apply(result, locked[exact[0]], amount)

    if settings.O2C_AUTO_APPLY_OLDEST_FIRST and not result.exceptions and payment.unapplied_amount:
        for invoice in _oldest_first(locked.values()):
            if payment.unapplied_amount == 0:
                break
            if invoice.counts and invoice.currency == payment.currency and invoice.open_amount:
                _apply(result, invoice, min(invoice.open_amount, payment.unapplied_amount))
    result.unapplied_amount = payment.unapplied_amount
    return result


@dataclass(frozen=True)
class _Plan:
    """The invoices each rule may touch, found without locks before locking them all."""

    by_line: dict[int, int]
    referenced: list[int]
    exact: list[int]
    invoice_ids: set[int]


def _plan(
    customer: Customer,
    currency: str,
    amount: Decimal,
    reference: str,
    remittance: list[RemittanceLine],
) -> _Plan:
    open_invoices = Invoice.objects.counting().filter(
        customer=customer, currency=currency, open_amount__gt=0
    )
    by_line: dict[int, int] = {}
    referenced: list[int] = []
    exact: list[int] = []
    if remittance:
        by_line = _resolve_remittance(remittance, customer)
    else:
        tokens = reference_tokens(reference)
        if tokens:
            referenced = list(
                Invoice.objects.annotate(number_upper=Upper("number"))
                .filter(customer=customer, number_upper__in=tokens)
                .values_list("pk", flat=True)
            )
        if not referenced:
            exact = list(open_invoices.filter(open_amount=amount).values_list("pk", flat=True)[:2])
    invoice_ids = set(by_line.values()) | set(referenced) | set(exact)
    if settings.O2C_AUTO_APPLY_OLDEST_FIRST:
        invoice_ids |= set(open_invoices.values_list("pk", flat=True))
    return _Plan(by_line, referenced, exact, invoice_ids)


def lock_for_postings(postings: Iterable[dict]) -> None:
    """Lock, at once and in id order, every invoice the given postings may touch.

    For a batch (`batch()`) of postings in one transaction: without it each posting would lock
    its invoices in turn, and two batches could take them in opposite orders. `postings` are
    the keyword arguments of `post_payment`. Call it inside the batch's transaction.
    """
    invoice_ids: set[int] = set()
    for posting in postings:
        customer = posting["customer"]
        invoice_ids |= _plan(
            customer,
            posting.get("currency") or customer.currency,
            posting["amount"],
            posting.get("reference", ""),
            list(posting.get("remittance") or []),
        ).invoice_ids
    services.lock_invoices(invoice_ids)


def _resolve_remittance(lines: list[RemittanceLine], customer: Customer) -> dict[int, int]:
    """Map each line index to the id of the invoice it names; unknown invoices are left out.

    Numbers match exactly (as given or upper-cased: the unique index answers), then, for the
    rest, ignoring case among the paying customer's invoices (an index on the customer; a
    case-insensitive search over every invoice would scan the table).
    """
    ids = {line.invoice for line in lines if line.invoice is not None}
    numbers = {line.invoice_number.strip() for line in lines if line.invoice_number}
    found = list(Invoice.objects.filter(pk__in=ids).values_list("pk", "number", "customer_id"))
    if numbers:
        variants = numbers | {number.upper() for number in numbers}
        exact = list(
            Invoice.objects.filter(number__in=variants).values_list("pk", "number", "customer_id")
        )
        seen = {number for _, number, _ in exact} | {number.upper() for _, number, _ in exact}
        missing = {number.upper() for number in numbers if number not in seen} - seen
        if missing:
            exact += list(
                Invoice.objects.annotate(number_upper=Upper("number"))
                .filter(customer=customer, number_upper__in=missing)
                .values_list("pk", "number", "customer_id")
            )
        found += exact
    known_ids = {pk for pk, _, _ in found}
    by_number: dict[str, int] = {}
    by_upper: dict[str, int] = {}
    for pk, number, _customer_id in sorted(found, key=lambda row: row[2] != customer.pk):
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
    return resolved


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
    if not invoice.counts:
        return "invoice_not_open", f"Invoice {invoice.number} is {invoice.status}."
    if invoice.currency != payment.currency:
        return (
            "currency_mismatch",
            f"Invoice {invoice.number} is in {invoice.currency}, the payment in "
            f"{payment.currency}.",
        )
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
    """Apply `amount` or record why not; a refusal changes nothing (savepoint)."""
    try:
        with transaction.atomic(), ledger.deferred():
            application = services.apply_locked(
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
        # The savepoint rolled the rows back; put the in-memory copies back in step.
        result.payment.refresh_from_db(fields=["unapplied_amount"])
        invoice.refresh_from_db(fields=["open_amount", "status", "paid_date"])
        return
    result.applications.append(application)


def _first_error(exc: ValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return next(iter(exc.error_dict.values()))[0]
    return exc.error_list[0]


def _oldest_first(invoices) -> list[Invoice]:
    return sorted(invoices, key=lambda invoice: (invoice.issue_date, invoice.pk))

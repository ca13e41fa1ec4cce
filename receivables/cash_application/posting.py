"""Posting payments: the paying customer, a single post (`post_payment`), and applying
just-recorded payments and storing their outcomes, for one payment or a batch."""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Customer
from dunning import services as dunning
from integrations import events
from integrations.models import EventType
from metrics import rollup
from o2c_api import audit
from o2c_api.db import retry_on_deadlock
from receivables import services
from receivables.cash_application.applying import apply_rules
from receivables.cash_application.matching import plan_all
from receivables.cash_application.results import (
    PostingResult,
    RemittanceLine,
)
from receivables.errors import ErrorCode
from receivables.models import Payment


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
    try:
        return retry_on_deadlock(lambda: _post_payment(fields, remittance))
    except IntegrityError:
        posted_by, external_id = fields["posted_by"], fields["external_id"]
        # The unique constraint on (posted_by, external_id) is the duplicate check, also when
        # a concurrent post of the same external id won the race: the clash is answered as
        # `services.record_payment` answers it, naming the existing payment. The posting's
        # own transaction (or savepoint) is rolled back by then, so nothing is stored.
        existing = existing_external_ids(posted_by, {external_id})
        if external_id not in existing:
            raise
        raise services.duplicate_payment(external_id, existing[external_id]) from None


@transaction.atomic
def _post_payment(fields: dict, remittance: list[RemittanceLine]) -> PostingResult:
    with rollup.tracking(rollup.CASH_FAMILIES), events.batched():
        return apply_all([(_record(fields), remittance)])[0]


def _record(fields: dict) -> Payment:
    """Store a checked payment (`services.new_payment`) without a savepoint of its own: a
    taken external id aborts the posting, and `post_payment` answers it."""
    payment = services.new_payment(**fields)
    # Recorded in the audit trail once, when the posting is done (`_store_outcomes`).
    payment.skip_history_when_saving = True
    payment.save(force_insert=True)
    rollup.added(payments=[payment.pk])
    return payment


def existing_external_ids(posted_by, external_ids: set[str]) -> dict[str, int]:
    external_ids = {external_id for external_id in external_ids if external_id}
    if not external_ids:
        return {}
    return dict(
        Payment.objects.filter(posted_by=posted_by, external_id__in=external_ids).values_list(
            "external_id", "pk"
        )
    )


def apply_all(postings: list[tuple[Payment, list[RemittanceLine]]]) -> list[PostingResult]:
    """Apply just-recorded payments in order, each by the first rule that applies.

    Every invoice any of them may touch is locked first, at once and in id order; the
    applications are staged in memory and written together at the end.
    """
    plans = plan_all(postings)
    locked = services.lock_invoices(pk for plan in plans for pk in plan.invoice_ids)
    results = [
        apply_rules(payment, remittance, plan, locked)
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

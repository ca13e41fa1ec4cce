"""Bulk posting: several payments in one transaction with a fixed number of statements
(`post_payments` inside `batch()`; `post_batch`, the bulk post of REST and GraphQL)."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from integrations import events
from metrics import rollup
from o2c_api.db import retry_on_deadlock
from receivables import services
from receivables.cash_application.posting import (
    apply_all,
    existing_external_ids,
)
from receivables.cash_application.results import (
    PostingResult,
)
from receivables.models import Payment


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
    results = iter(apply_all(stored))
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
    existing = existing_external_ids(posted_by, external_ids)
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
            now_existing = existing_external_ids(posted_by, external_ids)
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

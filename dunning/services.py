"""Every write of the playbook and the credit holds: one function each, with its rules.

Playbook: `run_playbook` creates the collection activities due on a day, never twice for the
same invoice and step (a unique constraint, so also not by a concurrent run).

Credit holds: `evaluate_credit_holds` places holds the rules call for, keeps their reasons
current and lifts automatic holds whose reasons are gone; `refresh_holds` is its form for
the customers one write touched, called inside every service that changes what the rules
read (`after_posting`, lift-only, inside every payment posting); `place_hold` / `lift_hold`
are the hand-made ones; `admit_order` refuses an order for a customer on hold unless an
admin overrides it. `Customer.on_credit_hold` is written here only, in the same transaction
as the holds.

Locking order (as `receivables.services`): customers (by id), then credit holds. A posting
already holds its customers through their invoices when it calls `after_posting`, and so
does every service when it calls `refresh_holds`.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Customer
from dunning import queries, templates
from dunning.errors import ErrorCode
from dunning.models import (
    ACTIVITY_KIND,
    CreditHold,
    CreditHoldOverride,
    CreditHoldReason,
    CreditHoldRule,
    MessageTemplate,
    PlaybookAction,
    PlaybookStep,
)
from integrations import events
from integrations.models import EventType
from o2c_api import audit
from o2c_api.db import retry_on_deadlock
from o2c_api.errors import Conflict
from receivables import services as receivables_services
from receivables.models import Invoice, Order

OVERRIDE_PERMISSION = "dunning.add_creditholdoverride"


def today() -> date:
    return timezone.localdate()


# --- Templates ------------------------------------------------------------------------------


@transaction.atomic
def save_template(template: MessageTemplate | None = None, **fields) -> MessageTemplate:
    """Create or change a message template; unknown merge fields are refused.

    Raises:
        ValidationError: unknown_merge_field (on `subject` or `body`), or the model's errors.
    """
    if template is None:
        template = MessageTemplate()
    else:
        template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    for name, value in fields.items():
        setattr(template, name, value)
    template.full_clean()
    template.save()
    return template


# --- Playbook -------------------------------------------------------------------------------

CREATED, WOULD_CREATE, SKIPPED, TAKEN = "created", "would_create", "skipped", "taken"


@dataclass(frozen=True)
class PlaybookEntry:
    """What the playbook did (or would do, or skipped) for one invoice at one step."""

    outcome: str  # created, would_create, skipped, taken (done meanwhile by another run)
    step: str
    invoice: str
    customer: str
    channel: str = ""
    template: str = ""
    variant: str = ""
    reason: str = ""
    activity: int | None = None

    def line(self) -> str:
        """One line of `run_playbook`'s output."""
        where = f"{self.invoice} ({self.customer}) at step {self.step}"
        if self.outcome == SKIPPED:
            return f"skipped {where}: {self.reason}"
        if self.outcome == TAKEN:
            return f"skipped {where}: already done by another run"
        how = f"{self.channel}, template {self.template} ({self.variant})"
        verb = "would create" if self.outcome == WOULD_CREATE else "created"
        return f"{verb} {how} for {where}"


@dataclass
class PlaybookRun:
    """The outcome of `run_playbook`: one entry per invoice looked at, in step order."""

    as_of: date
    dry_run: bool
    entries: list[PlaybookEntry] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for entry in self.entries if entry.outcome == outcome)


def run_playbook(*, as_of: date | None = None, dry_run: bool = False, user=None) -> PlaybookRun:
    """Create the collection activities due on `as_of` (today), one per invoice and step.

    For each active step (one query each, `queries.due_invoices`): the open invoices for which
    it is the current step and which have no action for it. An invoice with an open dispute or
    a promise whose date has not passed is skipped (nothing recorded: it is looked at again
    next run). Each other invoice gets its channel (`ChannelRule`s, else the step's), its
    template (the challenger for half the invoices when the step has one) and an activity —
    a `reminder` holding the rendered message for a message channel, a `call` task for calls,
    a `note` for an escalation to the rep — created with `receivables.services.create_activity`
    together with its `PlaybookAction`, in one transaction per invoice. The unique (invoice,
    step) of `PlaybookAction` makes a second run, or a concurrent one, skip what is done.

    Args:
        as_of: the day to run for (default today).
        dry_run: report what would be created; write nothing.
        user: recorded as the activities' creator (None for the scheduled command).

    Returns:
        A PlaybookRun listing what was created and what was skipped, and why.
    """
    as_of = as_of or today()
    run = PlaybookRun(as_of, dry_run)
    steps = list(
        PlaybookStep.objects.filter(active=True)
        .select_related("template", "challenger_template")
        .prefetch_related("channel_rules")
    )
    occurred_at = (
        timezone.now()
        if as_of == today()
        else datetime.combine(as_of, time(9), tzinfo=timezone.get_current_timezone())
    )
    for step, next_offset in queries.step_windows(steps):
        rules = list(step.channel_rules.all())
        for due in queries.due_invoices(step, next_offset, as_of):
            base = {"step": step.code, "invoice": due.number, "customer": due.customer_name}
            if due.skip is not None:
                reason = f"{queries.SKIP_MESSAGES[due.skip]} ({due.skip})"
                run.entries.append(PlaybookEntry(SKIPPED, reason=reason, **base))
                continue
            challenger = step.challenger_template_id is not None and queries.is_challenger(
                due.invoice_id
            )
            template = step.challenger_template if challenger else step.template
            variant = (
                PlaybookAction.Variant.CHALLENGER if challenger else PlaybookAction.Variant.CHAMPION
            )
            channel = step.channel_for(rules, due.segment_id, due.currency, due.open_amount)
            how = {"channel": channel, "template": template.code, "variant": variant}
            if dry_run:
                run.entries.append(PlaybookEntry(WOULD_CREATE, **how, **base))
                continue
            activity = _act(step, due, template, variant, channel, as_of, occurred_at, user)
            outcome = TAKEN if activity is None else CREATED
            run.entries.append(PlaybookEntry(outcome, **how, **base, activity=activity))
    return run


def message_for(template: MessageTemplate, due: queries.DueInvoice, as_of: date) -> str:
    """The rendered text of `template` for an invoice: subject, a blank line, body."""
    values = templates.MergeValues(
        customer_name=due.customer_name,
        invoice_number=due.number,
        open_amount=due.open_amount,
        currency=due.currency,
        due_date=due.due_date,
        as_of=as_of,
        payment_link=due.payment_link,
        rep_name=due.rep_name,
    )
    body = templates.render(template.body, values)
    subject = templates.render(template.subject, values)
    return f"{subject}\n\n{body}" if subject else body


def _act(step, due, template, variant, channel, as_of, occurred_at, user) -> int | None:
    """Create one activity and its action in one transaction; None if that step is taken."""
    # Instances carrying only what create_activity reads: the rows were just selected.
    customer = Customer(pk=due.customer_id, name=due.customer_name)
    invoice = Invoice(pk=due.invoice_id, customer_id=due.customer_id, number=due.number)
    try:
        with transaction.atomic():
            activity = receivables_services.create_activity(
                customer=customer,
                invoice=invoice,
                kind=ACTIVITY_KIND[channel],
                occurred_at=occurred_at,
                notes=message_for(template, due, as_of),
                user=user,
            )
            PlaybookAction.objects.create(
                invoice_id=due.invoice_id,
                step=step,
                template=template,
                variant=variant,
                channel=channel,
                activity=activity,
                as_of=as_of,
            )
    except IntegrityError:
        # The unique (invoice, step): another run did it since we selected it.
        return None
    return activity.pk


# --- Credit holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldChanges:
    """What an evaluation changed: customers placed on hold and released, reasons moved."""

    placed: tuple[int, ...] = ()
    lifted: tuple[int, ...] = ()
    reasons_added: int = 0
    reasons_cleared: int = 0


def evaluate_credit_holds(
    *, as_of: date | None = None, customer_ids: Collection[int] | None = None
) -> HoldChanges:
    """Apply the active credit-hold rules: place, keep current, and lift automatic holds.

    Set-based: one query per rule finds every customer it matches (`queries.
    triggered_reasons`), then the current holds are read and changed with a fixed number of
    statements. A customer a rule matches and not on hold gets an automatic hold with one
    reason per matching rule. An automatic hold gains the reasons that now match, loses
    (clears) those that no longer do, and is lifted when none is left. Holds placed by hand
    are left as they are. Runs in its own transaction (retried on deadlock) unless called
    inside one.

    Args:
        as_of: the day the rules are judged on (default today).
        customer_ids: limit the evaluation to these customers (None: all).
    """
    as_of = as_of or today()
    return retry_on_deadlock(lambda: _evaluate(as_of, customer_ids, place=None))


REFRESH_ALL_ABOVE = 1000

# What a write changed, named by the rules whose verdict it may turn true (`may_place`).
CASH_RETURNED = frozenset(CreditHoldRule.Code)  # unapply: open AR up, a kept promise may break
DUE_DATE_MOVED = frozenset({CreditHoldRule.Code.OVERDUE_INVOICE})
CREDIT_LIMIT_CHANGED = frozenset({CreditHoldRule.Code.OVER_CREDIT_LIMIT})
PROMISES_BROKEN = frozenset({CreditHoldRule.Code.BROKEN_PROMISES})


def refresh_holds(
    customer_ids: Collection[int], *, may_place: Collection[str] = frozenset()
) -> HoldChanges:
    """Make these customers' credit holds follow a write that changed what the rules read.

    The one call every service that changes a rule's input makes, in its own transaction and
    after its writes (the customers are then locked already, through their invoices or
    directly, so the locking order is kept): cash applied or unapplied, a credit note or
    write-off, a void, a due-date change, promises turning kept or broken, a customer's
    credit limit.

    A customer on an automatic hold is judged again by every active rule: the hold gains the
    reasons that now match, loses those that no longer do and is lifted when none is left. A
    customer not on hold is placed on one only when a rule of `may_place` — one whose input
    this write changed — now matches (the hold then records every matching reason): a reason
    that came with time alone (an invoice crossing 60 days past due) is the scheduled
    evaluation's to place. A hold placed by hand is left as it is.

    Entries of the past wait for the scheduled evaluation too: creating or issuing an invoice
    and recording a promise already broken do not place (a history import creates invoices
    and promises past due and then applies their settlement, which would place and lift a
    hold, with its events, for every settled row).

    Args:
        customer_ids: the customers the write touched (None entries are ignored). Past
            `REFRESH_ALL_ABOVE` of them (a bulk load's promise sweep) every customer is
            looked at instead, without a list of ids too long for one statement.
        may_place: the `CreditHoldRule.Code`s the write may have made true
            (`CASH_RETURNED`, `DUE_DATE_MOVED`, `CREDIT_LIMIT_CHANGED`, `PROMISES_BROKEN`);
            empty for writes that only take reasons away (cash applied, a credit note, a
            void): then only customers already on an automatic hold are looked at, one
            query for all of them when none is.

    Returns:
        What changed.
    """
    customer_ids = {pk for pk in customer_ids if pk is not None}
    if not customer_ids:
        return HoldChanges()
    scope = None if len(customer_ids) > REFRESH_ALL_ABOVE else customer_ids
    return _evaluate(today(), scope, place=frozenset(may_place))


def after_posting(customer_ids: Collection[int]) -> HoldChanges:
    """`refresh_holds` for the customers a payment posting applied cash for (lift-only).

    Called by `receivables.cash_application` in the posting's transaction: cash can only take
    reasons away, so with none of these customers on an automatic hold it costs one query for
    the whole batch.
    """
    return refresh_holds(customer_ids)


# No savepoint of its own: inside a write's transaction (every refresh_holds), a failure here
# fails the write, so a savepoint would only cost a posting two more round trips.
@transaction.atomic(savepoint=False)
def _evaluate(
    as_of: date, customer_ids: Collection[int] | None, *, place: Collection[str] | None
) -> HoldChanges:
    """Judge the customers by the rules; `place`: the rules that may place a new hold (None:
    every rule, as the scheduled evaluation; empty: none, lift-only)."""
    if place is not None and not place:
        automatic = CreditHold.objects.filter(lifted_at__isnull=True, automatic=True)
        if customer_ids is not None:
            automatic = automatic.filter(customer_id__in=customer_ids)
        held = set(automatic.values_list("customer_id", flat=True))
        if not held:
            return HoldChanges()
        customer_ids = held
    rules = list(CreditHoldRule.objects.filter(active=True))
    triggered = queries.triggered_reasons(rules, as_of, customer_ids)
    current = CreditHold.objects.filter(lifted_at__isnull=True)
    if customer_ids is not None:
        current = current.filter(customer_id__in=customer_ids)
    held_ids = set(current.values_list("customer_id", flat=True))
    placeable = {
        customer_id
        for customer_id, codes in triggered.items()
        if customer_id not in held_ids and (place is None or not place.isdisjoint(codes))
    }
    # Lock every customer we may change, in id order, before their holds.
    scope = sorted(held_ids | placeable)
    list(Customer.objects.select_for_update().filter(pk__in=scope).order_by("pk").values("pk"))
    holds = {
        hold.customer_id: hold
        for hold in current.select_for_update().filter(customer_id__in=scope).order_by("pk")
    }
    reasons = _active_reasons([hold.pk for hold in holds.values() if hold.automatic])
    now = timezone.now()
    new_reasons, cleared, lifted = [], [], []
    for customer_id, hold in holds.items():
        if not hold.automatic:
            continue
        wanted = triggered.get(customer_id, {})
        have = reasons.get(hold.pk, {})
        cleared += [reason.pk for code, reason in have.items() if code not in wanted]
        new_reasons += [
            CreditHoldReason(hold=hold, code=code, detail=detail, added_at=now)
            for code, detail in wanted.items()
            if code not in have
        ]
        if not wanted:
            lifted.append(hold)
    placed = []
    if placeable:
        placed = [
            CreditHold(customer_id=customer_id, automatic=True, placed_at=now)
            for customer_id in sorted(placeable)
            if customer_id not in holds
        ]
        CreditHold.objects.bulk_create(placed)
        new_reasons += [
            CreditHoldReason(hold=hold, code=code, detail=detail, added_at=now)
            for hold in placed
            for code, detail in triggered[hold.customer_id].items()
        ]
    if cleared:
        CreditHoldReason.objects.filter(pk__in=cleared).update(cleared_at=now)
    CreditHoldReason.objects.bulk_create(new_reasons)
    if lifted:
        CreditHold.objects.filter(pk__in=[hold.pk for hold in lifted]).update(
            lifted_at=now, lift_note="Lifted automatically: none of its reasons holds any more."
        )
    _set_flags([hold.customer_id for hold in placed], [hold.customer_id for hold in lifted], now)
    return HoldChanges(
        placed=tuple(hold.customer_id for hold in placed),
        lifted=tuple(sorted(hold.customer_id for hold in lifted)),
        reasons_added=len(new_reasons),
        reasons_cleared=len(cleared),
    )


def _active_reasons(hold_ids: list[int]) -> dict[int, dict[str, CreditHoldReason]]:
    by_hold: dict[int, dict[str, CreditHoldReason]] = {}
    if not hold_ids:
        return by_hold
    for reason in CreditHoldReason.objects.filter(hold_id__in=hold_ids, cleared_at__isnull=True):
        by_hold.setdefault(reason.hold_id, {})[reason.code] = reason
    return by_hold


def _set_flags(placed: list[int], lifted: list[int], now: datetime) -> None:
    """Keep `Customer.on_credit_hold` equal to "has a current hold" (one UPDATE each way),
    and record credit_hold.placed / lifted events (one INSERT)."""
    events.record_many(
        [(EventType.CREDIT_HOLD_PLACED, ("customer", pk), {"customer": pk}) for pk in placed]
        + [(EventType.CREDIT_HOLD_LIFTED, ("customer", pk), {"customer": pk}) for pk in lifted]
    )
    if placed:
        Customer.objects.filter(pk__in=placed).update(on_credit_hold=True, updated_at=now)
    if lifted:
        Customer.objects.filter(pk__in=lifted).update(on_credit_hold=False, updated_at=now)
    audit.record_bulk(Customer, [*placed, *lifted])  # the UPDATEs bypass the audit trail


def current_hold(customer: Customer | int, *, lock: bool = False) -> CreditHold | None:
    """The customer's current hold (not lifted), or None."""
    customer_id = getattr(customer, "pk", customer)
    holds = CreditHold.objects.filter(customer_id=customer_id, lifted_at__isnull=True)
    if lock:
        holds = holds.select_for_update()
    return holds.first()


@transaction.atomic
def place_hold(customer: Customer, *, user=None, note: str = "") -> CreditHold:
    """Put a customer on credit hold by hand; it stays until lifted by hand.

    Raises:
        ValidationError: credit_hold_unchanged (already on hold).
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.on_credit_hold or current_hold(customer, lock=True) is not None:
        raise ValidationError(
            f"{customer.name} is already on credit hold.", code=ErrorCode.CREDIT_HOLD_UNCHANGED
        )
    now = timezone.now()
    hold = CreditHold.objects.create(
        customer=customer,
        automatic=False,
        placed_at=now,
        placed_by=_person(user),
        note=note,
    )
    CreditHoldReason.objects.create(
        hold=hold,
        code=CreditHoldReason.MANUAL,
        detail=note or "Placed by hand.",
        added_at=now,
    )
    _set_flags([customer.pk], [], now)
    return hold


@transaction.atomic
def lift_hold(customer: Customer, *, user=None, note: str = "") -> CreditHold | None:
    """Release a customer from credit hold by hand (an automatic hold comes back at the next
    evaluation if its rules still match).

    Returns:
        The lifted hold (None when only a bare flag was set, from before holds were recorded).

    Raises:
        ValidationError: credit_hold_unchanged (not on hold).
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    hold = current_hold(customer, lock=True)
    if hold is None and not customer.on_credit_hold:
        raise ValidationError(
            f"{customer.name} is not on credit hold.", code=ErrorCode.CREDIT_HOLD_UNCHANGED
        )
    now = timezone.now()
    if hold is not None:
        hold.lifted_at = now
        hold.lifted_by = _person(user)
        hold.lift_note = note or "Lifted by hand."
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
        hold.reasons.filter(cleared_at__isnull=True).update(cleared_at=now)
    _set_flags([], [customer.pk], now)
    return hold


def _person(user):
    return user if user is not None and user.is_authenticated else None


@dataclass(frozen=True)
class HoldOverride:
    """An admin's decision to book an order for a customer on hold, and why."""

    user: object
    reason: str


def admit_order(order: Order, override: HoldOverride | None = None) -> None:
    """Refuse `order` when its customer is on credit hold, unless an admin overrides it.

    Called by `receivables.services.create_order` after saving the order in its transaction:
    a refusal rolls the order back. An override is recorded with who and why.

    Raises:
        Conflict: customer_on_credit_hold (409), naming the hold and its reasons.
        PermissionDenied: the override's user may not override holds (admins only).
        ValidationError: override_reason_required (an override without a reason).
    """
    hold = current_hold(order.customer_id, lock=True)
    if hold is None:
        return
    if override is None:
        reasons = list(hold.reasons.filter(cleared_at__isnull=True).order_by("added_at", "pk"))
        sentences = " ".join(reason.detail for reason in reasons)
        raise Conflict(
            f"{order.customer.name} is on credit hold since {hold.placed_at:%Y-%m-%d}: "
            f"{sentences} An admin may override the hold for this order.",
            code=ErrorCode.CUSTOMER_ON_CREDIT_HOLD,
            details={"credit_hold": hold.pk, "reasons": [reason.code for reason in reasons]},
        )
    user = override.user
    if user is None or not user.is_authenticated or not user.has_perm(OVERRIDE_PERMISSION):
        raise PermissionDenied("Only an admin may override a credit hold.")
    if not (override.reason or "").strip():
        raise ValidationError(
            {
                "credit_hold_override_reason": ValidationError(
                    "Say why the order is booked despite the credit hold.",
                    ErrorCode.OVERRIDE_REASON_REQUIRED,
                )
            }
        )
    CreditHoldOverride.objects.create(
        hold=hold, order=order, user=user, reason=override.reason.strip()
    )


def record_flagged_holds(note: str = "On credit hold before holds were recorded.") -> int:
    """Give every customer flagged `on_credit_hold` without a current hold a manual one.

    For data written around the services (bulk loads, the demo generator): the flag then
    has its recorded hold, which orders check and people lift. Set-based; returns how many.
    """
    now = timezone.now()
    flagged = Customer.objects.filter(on_credit_hold=True).exclude(
        Exists(CreditHold.objects.filter(customer_id=OuterRef("pk"), lifted_at__isnull=True))
    )
    holds = CreditHold.objects.bulk_create(
        CreditHold(customer_id=pk, automatic=False, placed_at=now, note=note)
        for pk in flagged.values_list("pk", flat=True)
    )
    CreditHoldReason.objects.bulk_create(
        CreditHoldReason(hold=hold, code=CreditHoldReason.MANUAL, detail=note, added_at=now)
        for hold in holds
    )
    return len(holds)

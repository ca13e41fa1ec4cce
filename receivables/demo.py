"""Deterministic demo history: customers, pipeline, invoices, cash, disputes, promises, dunning.

`seed()` is what `manage.py seed_demo` and the benchmark harness call. It builds every row in
Python, in batches of customers, and writes them with `bulk_create`: the services' per-row
locking would take hours at benchmark size (1M invoices). The amounts the services normally
keep (`open_amount`, `paid_date`, `status`, `unapplied_amount`) are computed here from the same
events that become applications and adjustments (and `activity_count` from the activities
drawn), and the derived data is rebuilt once at the
end by its own code (`rollup.rebuild()`, `services.refresh_promise_statuses()`), so
the result satisfies exactly the invariants the services maintain (tests/invariants.py).

Everything is drawn from `random.Random(seed)` in a fixed order, and dates are relative to
`timezone.localdate()`: the same seed gives the same rows on the same day.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Customer, Opportunity, SalesRep, Segment
from dunning import services as dunning_services
from metrics import rollup
from metrics.models import KPIRollup
from o2c_api.db import insert_rows
from o2c_api.money import CENT, ZERO
from receivables import services
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    Order,
    Payment,
    PaymentApplication,
    PromiseToPay,
)

BATCH_SIZE = 5000
# Customers generated and written together: bounds memory at any size (a chunk holds about
# CHUNK_INVOICES invoices and their related rows).
CHUNK_INVOICES = 20000

SEGMENTS = (
    ("ENT", "Enterprise"),
    ("MID", "Mid-market"),
    ("SMB", "Small business"),
    ("PUB", "Public sector"),
    ("EMEA", "EMEA"),
)
FIRST_NAMES = (
    "Ava", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kira", "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara",
)  # fmt: skip
LAST_NAMES = (
    "Adler", "Brooks", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito",
    "Jensen", "Keller", "Lopez", "Moreau", "Nakamura", "Olsen", "Petrov", "Rossi", "Schmidt",
)  # fmt: skip
NAME_PARTS = (
    ("Acme", "Blue", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor", "Iron",
     "Juniper", "Keystone", "Lumen", "Maple", "Northwind", "Orion", "Pioneer", "Quartz",
     "Redwood", "Summit", "Tidal", "Union", "Vertex", "Willow", "Zenith"),
    ("Analytics", "Builders", "Foods", "Freight", "Health", "Labs", "Logistics", "Media",
     "Motors", "Outfitters", "Pharma", "Retail", "Robotics", "Solar", "Systems", "Textiles"),
    ("Inc", "LLC", "GmbH", "Ltd", "Co", "SA", "Group", "Holdings"),
)  # fmt: skip
PRODUCT_LINES = ("hardware", "software", "services", "support")
TERMS = (15, 30, 30, 30, 30, 45, 60)
METHODS = ("ach", "ach", "ach", "wire", "wire", "card", "check", "other")
DISPUTE_REASONS = ("pricing", "quantity", "delivery", "quality", "duplicate", "other")
REMINDER_KINDS = ("reminder", "reminder", "email")  # two in three are dunning reminders
CALL_OUTCOMES = ("no_answer", "no_answer", "reached", "promised", "disputed")


@dataclass
class SeedResult:
    """What `seed()` wrote: rows per model (by model name), rollup rows, and seconds taken."""

    counts: dict[str, int] = field(default_factory=dict)
    rollup_rows: int = 0
    seconds: float = 0.0


@dataclass
class _Profile:
    """How a customer pays: mean and spread of days after the due date, and its habits."""

    mean_delay: float
    spread: float
    partial_rate: float
    bad_debt_rate: float


def domain_is_empty() -> bool:
    """True when no customer, invoice or payment exists (the seed refuses to mix data)."""
    return not (Customer.objects.exists() or Invoice.objects.exists() or Payment.objects.exists())


@transaction.atomic
def flush() -> None:
    """Delete every O2C domain row (users, tokens, role groups and default thresholds stay).

    The document tables are emptied with one DELETE each: the ORM's delete would load every
    row to honour PROTECT, which at benchmark size takes minutes. Customers, reps and segments
    (small) go through the ORM so that what references them is handled as declared.
    """
    from dunning import models as dunning

    with connection.cursor() as cursor:
        for model in (
            dunning.PlaybookAction,
            dunning.CreditHoldOverride,
            dunning.CreditHoldReason,
            dunning.CreditHold,
            dunning.PaymentLink,
            KPIRollup,
            PaymentApplication,
            Adjustment,
            Dispute,
            PromiseToPay,
            CollectionActivity,
            Payment,
            Invoice,
            Order,
            Opportunity,
        ):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
    for model in (Customer, SalesRep, Segment):
        model.objects.all().delete()


def seed(
    *,
    customers: int = 60,
    seed: int = 1,
    months: int = 24,
    invoices_per_customer: int = 20,
    today: date | None = None,
    log: Callable[[str], None] | None = None,
) -> SeedResult:
    """Write a demo history of `customers` × `invoices_per_customer` invoices over `months`.

    The database must hold no domain data (see `domain_is_empty`/`flush`); the caller checks.

    Args:
        customers: number of customers (>= 1).
        seed: seed of the random generator; same seed and day, same rows.
        months: length of the history (>= 1), ending today.
        invoices_per_customer: invoices per customer (>= 1); total = customers × this.
        today: the history's last day, `timezone.localdate()` by default.
        log: called with a progress line after each chunk of customers.

    Returns:
        A SeedResult with the rows created per model and the time taken.
    """
    started = time.monotonic()
    generator = _Generator(
        rng=random.Random(seed),
        today=today or services.today(),
        months=months,
        invoices_per_customer=invoices_per_customer,
    )
    result = SeedResult()
    with transaction.atomic():
        generator.write_dimensions(customers)
    per_chunk = max(1, CHUNK_INVOICES // invoices_per_customer)
    for start in range(0, customers, per_chunk):
        with transaction.atomic():
            generator.write_chunk(generator.customers[start : start + per_chunk])
        if log:
            log(
                f"  customers {min(start + per_chunk, customers)}/{customers}, "
                f"{time.monotonic() - started:.1f}s"
            )
    with transaction.atomic():
        result.rollup_rows = rollup.rebuild()
        services.refresh_promise_statuses(as_of=generator.today)
    result.counts = dict(generator.counts)
    result.seconds = time.monotonic() - started
    return result


def _copy(model, objects: list) -> None:
    """Write `objects` with PostgreSQL's COPY, about twice as fast as bulk_create at 1M rows.

    Ids are drawn from the table's sequence first and set on the objects, so children built
    against them (an application's payment and invoice) get their foreign keys as with
    bulk_create. Model defaults are already on the instances; auto_now fields are set here.
    """
    fields = model._meta.concrete_fields
    table = model._meta.db_table
    now = timezone.now()
    kinds = [
        "auto"
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else "relation"
        if f.is_relation
        else "plain"
        for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, model._meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
    columns_kinds = list(zip(fields, kinds, strict=True))
    insert_rows(
        table,
        [connection.ops.quote_name(f.column) for f in fields],
        ([_column_value(obj, *column, now) for column in columns_kinds] for obj in objects),
    )


def _column_value(obj, field, kind: str, now: datetime):
    if kind == "auto":
        return now
    value = getattr(obj, field.attname)
    if kind == "relation" and value is None and field.is_cached(obj):
        related = field.get_cached_value(obj)
        value = related.pk if related is not None else None
    return value


class _Generator:
    """Draws the history customer by customer; `write_chunk` writes one batch of customers."""

    def __init__(self, *, rng: random.Random, today: date, months: int, invoices_per_customer):
        self.rng = rng
        self.today = today
        self.start = today - timedelta(days=round(months * 30.44))
        self.invoices_per_customer = invoices_per_customer
        self.counts: dict[str, int] = {}
        self.customers: list[Customer] = []
        self.reps: list[SalesRep] = []
        self.profiles: dict[int, _Profile] = {}
        self.previous_rep: dict[int, tuple[SalesRep, date]] = {}
        self.sequence = {"order": 0, "invoice": 0, "payment": 0}

    # --- helpers ----------------------------------------------------------------------------

    def _save(self, model, objects: list) -> None:
        if objects and connection.vendor == "postgresql":
            _copy(model, objects)
        elif objects:
            model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        name = model._meta.model_name
        self.counts[name] = self.counts.get(name, 0) + len(objects)

    def _money(self, low: float, high: float) -> Decimal:
        return Decimal(str(round(self.rng.uniform(low, high), 2))).quantize(CENT)

    def _share(self, amount: Decimal, low: float, high: float) -> Decimal:
        """A part of `amount` between low and high of it, at least a cent, less than all."""
        part = (amount * Decimal(str(round(self.rng.uniform(low, high), 4)))).quantize(CENT)
        return min(max(part, CENT), amount - CENT)

    def _days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    def _moment(self, day: date) -> datetime:
        return datetime(
            day.year,
            day.month,
            day.day,
            self.rng.randint(8, 17),
            self.rng.randint(0, 59),
            tzinfo=UTC,
        )

    def _number(self, kind: str, prefix: str) -> str:
        self.sequence[kind] += 1
        return f"{prefix}-{self.sequence[kind]:07d}"

    # --- segments, reps, customers ----------------------------------------------------------

    def write_dimensions(self, customer_count: int) -> None:
        rng = self.rng
        segments = [Segment(code=code, name=name) for code, name in SEGMENTS]
        self._save(Segment, segments)
        rep_count = min(60, max(6, customer_count // 25))
        reps = []
        for i in range(rep_count):
            first, last = FIRST_NAMES[i % len(FIRST_NAMES)], rng.choice(LAST_NAMES)
            reps.append(
                SalesRep(
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower()}.{i + 1}@example.com",
                    active=i < rep_count - 1,  # one former rep, still owning old invoices
                )
            )
        self._save(SalesRep, reps)
        self.reps = reps
        active_reps = [rep for rep in reps if rep.active]
        customers = []
        for i in range(customer_count):
            segment = rng.choices(segments, weights=(15, 25, 35, 10, 15))[0]
            currency = "EUR" if segment.code == "EMEA" and rng.random() < 0.8 else "USD"
            name = " ".join(rng.choice(part) for part in NAME_PARTS)
            customers.append(
                Customer(
                    name=name,
                    external_id=f"CUST-{i + 1:06d}",
                    segment=segment if rng.random() < 0.97 else None,
                    rep=rng.choice(active_reps),
                    currency=currency,
                    payment_terms_days=rng.choice(TERMS),
                    credit_limit=Decimal(rng.choice((10, 25, 50, 100, 250))) * 1000,
                )
            )
        for customer in customers:
            kind = rng.random()
            if kind < 0.55:  # prompt payers
                profile = _Profile(rng.uniform(-6, 3), 4, 0.05, 0.002)
            elif kind < 0.85:  # a bit late
                profile = _Profile(rng.uniform(5, 20), 8, 0.12, 0.01)
            else:  # slow payers with collection trouble
                profile = _Profile(rng.uniform(25, 60), 20, 0.25, 0.06)
                customer.on_credit_hold = rng.random() < 0.3
            self.profiles[id(customer)] = profile
        self._save(Customer, customers)
        # The flags set above get their recorded (manual) holds, as orders check those.
        dunning_services.record_flagged_holds("On credit hold in the demo data.")
        self.customers = customers
        for customer in customers:
            # Some accounts changed hands: their older documents keep the previous rep.
            if rng.random() < 0.1:
                self.previous_rep[customer.pk] = (
                    rng.choice(reps),
                    self.start + self._days(60, 360),
                )

    # --- one chunk of customers --------------------------------------------------------------

    def write_chunk(self, customers: list[Customer]) -> None:
        rows: dict[type, list] = {
            model: []
            for model in (
                Opportunity,
                Order,
                Invoice,
                Payment,
                PaymentApplication,
                Adjustment,
                Dispute,
                PromiseToPay,
                CollectionActivity,
            )
        }
        for customer in customers:
            self._customer_history(customer, rows)
        # Parents first: bulk_create sets their pks, which the children's FKs pick up.
        for model in (Opportunity, Order, Invoice, Payment):
            self._save(model, rows[model])
        for model in (PaymentApplication, Adjustment, Dispute, PromiseToPay, CollectionActivity):
            self._save(model, rows[model])

    def _rep_on(self, customer: Customer, day: date) -> int:
        previous = self.previous_rep.get(customer.pk)
        if previous and day < previous[1]:
            return previous[0].pk
        return customer.rep_id

    def _customer_history(self, customer: Customer, rows: dict[type, list]) -> None:
        rng = self.rng
        span = (self.today - self.start).days
        for _ in range(rng.randint(0, 3)):  # lost deals
            created = self.start + self._days(0, span - 1)
            rows[Opportunity].append(
                Opportunity(
                    customer=customer,
                    rep_id=self._rep_on(customer, created),
                    name=f"{customer.name} — {rng.choice(PRODUCT_LINES)} deal",
                    amount=self._money(2000, 80000),
                    currency=customer.currency,
                    stage=Opportunity.Stage.LOST,
                    created_date=created,
                    closed_date=min(created + self._days(10, 90), self.today),
                )
            )
        for _ in range(rng.randint(0, 2)):  # pipeline
            rows[Opportunity].append(
                Opportunity(
                    customer=customer,
                    rep_id=customer.rep_id,
                    name=f"{customer.name} — {rng.choice(PRODUCT_LINES)} expansion",
                    amount=self._money(5000, 120000),
                    currency=customer.currency,
                    stage=Opportunity.Stage.OPEN,
                    created_date=self.today - self._days(0, 90),
                )
            )
        issue_dates = sorted(
            self.start + self._days(0, span) for _ in range(self.invoices_per_customer)
        )
        for issue_date in issue_dates:
            self._invoice_history(customer, issue_date, rows)

    def _invoice_history(self, customer: Customer, issue_date: date, rows) -> None:
        rng = self.rng
        today = self.today
        profile = self.profiles[id(customer)]
        rep_id = self._rep_on(customer, issue_date)
        product_line = rng.choice(PRODUCT_LINES)
        amount = Decimal(str(round(min(max(rng.lognormvariate(7.6, 1.0), 40.0), 250000.0), 2)))
        order = None
        if rng.random() < 0.8:
            order_date = issue_date - self._days(0, 20)
            opportunity = None
            if rng.random() < 0.7:
                opportunity = Opportunity(
                    customer=customer,
                    rep_id=rep_id,
                    name=f"{customer.name} — {product_line}",
                    amount=amount,
                    currency=customer.currency,
                    stage=Opportunity.Stage.WON,
                    created_date=order_date - self._days(7, 120),
                    closed_date=order_date,
                )
                rows[Opportunity].append(opportunity)
            order = Order(
                number=self._number("order", "SO"),
                customer=customer,
                rep_id=rep_id,
                opportunity=opportunity,
                order_date=order_date,
                amount=amount,
                currency=customer.currency,
                product_line=product_line,
                status=Order.Status.FULFILLED,
            )
            rows[Order].append(order)
        due_date = issue_date + timedelta(days=customer.payment_terms_days)
        invoice = Invoice(
            number=self._number("invoice", "INV"),
            customer=customer,
            order=order,
            rep_id=rep_id,
            product_line=product_line,
            issue_date=issue_date,
            due_date=due_date,
            amount=amount,
            currency=customer.currency,
            status=Invoice.Status.OPEN,
            open_amount=amount,
        )
        rows[Invoice].append(invoice)
        if (today - issue_date).days < 7 and rng.random() < 0.15:
            invoice.status = Invoice.Status.DRAFT
            return
        if rng.random() < 0.01:
            invoice.status = Invoice.Status.VOID
            invoice.open_amount = ZERO
            invoice.voided_date = min(issue_date + self._days(1, 10), today)
            return

        # Events that lower the open amount: (date, "application" or adjustment kind, amount).
        events: list[tuple[date, str, Decimal]] = []
        remaining = amount
        pay_after = None  # a dispute holds payment until it is resolved
        if rng.random() < 0.05 and issue_date + timedelta(days=3) <= today:
            opened = issue_date + self._days(3, 20)
            if opened <= today:
                disputed = self._share(amount, 0.1, 1.0) if amount > CENT else amount
                dispute = Dispute(
                    invoice=invoice,
                    reason=rng.choice(DISPUTE_REASONS),
                    amount=disputed,
                    opened_date=opened,
                )
                resolved = opened + self._days(5, 60)
                if resolved <= today:
                    dispute.status = Dispute.Status.RESOLVED
                    dispute.resolved_date = resolved
                    outcome = rng.random()
                    if outcome < 0.5:
                        dispute.resolution = Dispute.Resolution.CREDITED
                        credit = min(disputed, remaining)
                        events.append((resolved, Adjustment.Kind.CREDIT_NOTE, credit))
                        remaining -= credit
                    elif outcome < 0.85:
                        dispute.resolution = Dispute.Resolution.UPHELD
                    else:
                        dispute.resolution = Dispute.Resolution.WITHDRAWN
                    pay_after = resolved
                else:
                    pay_after = today + timedelta(days=1)
                rows[Dispute].append(dispute)
        elif rng.random() < 0.04:
            credit_date = issue_date + self._days(1, 25)
            if credit_date <= today:
                credit = self._share(amount, 0.05, 0.2)
                events.append((credit_date, Adjustment.Kind.CREDIT_NOTE, credit))
                remaining -= credit

        pay_date = due_date + timedelta(days=round(rng.gauss(profile.mean_delay, profile.spread)))
        pay_date = max(pay_date, issue_date + self._days(0, 3))
        if pay_after is not None:
            pay_date = max(pay_date, pay_after + self._days(1, 10))
        if remaining > 0 and rng.random() < profile.bad_debt_rate:
            # Never paid; written off after months of dunning, or still in the 90+ bucket.
            write_off_date = due_date + self._days(120, 240)
            if write_off_date <= today:
                events.append((write_off_date, Adjustment.Kind.WRITE_OFF, remaining))
                remaining = ZERO
        elif remaining > 0:
            installments = [(pay_date, remaining)]
            if remaining > 1 and rng.random() < profile.partial_rate:
                first = self._share(remaining, 0.3, 0.7)
                first_date = max(pay_date - self._days(10, 40), issue_date)
                installments = [(first_date, first), (pay_date, remaining - first)]
            for day, part in installments:
                if day <= today:
                    events.append((day, "application", part))
                    remaining -= part
            # A few short payments: the bank fee left over is written off the same day.
            if remaining == 0 and rng.random() < 0.03 and events[-1][0] <= today:
                last_date, kind, part = events[-1]
                fee = min(self._money(0.5, 25), part - CENT)
                if kind == "application" and fee > 0:
                    events[-1] = (last_date, kind, part - fee)
                    events.append((last_date, Adjustment.Kind.WRITE_OFF, fee))

        self._write_events(customer, invoice, events, rows)
        invoice.open_amount = remaining
        if remaining == 0:
            invoice.status = Invoice.Status.PAID
            invoice.paid_date = max(day for day, _, _ in events)
        self._collection(customer, invoice, events, rows)

    def _write_events(self, customer, invoice, events, rows) -> None:
        rng = self.rng
        for day, kind, part in events:
            if kind != "application":
                reason = (
                    "Dispute credit" if kind == Adjustment.Kind.CREDIT_NOTE else "Uncollectible"
                )
                if kind == Adjustment.Kind.WRITE_OFF and part < 30:
                    reason = "Short payment (bank fees)"
                rows[Adjustment].append(
                    Adjustment(
                        invoice=invoice, kind=kind, amount=part, adjustment_date=day, reason=reason
                    )
                )
                continue
            # Cash is applied on arrival, or a day or two later by hand.
            received = day - self._days(1, 2) if rng.random() < 0.2 else day
            overpaid = self._money(1, 50) if rng.random() < 0.03 else ZERO
            payment = Payment(
                customer=customer,
                amount=part + overpaid,
                currency=invoice.currency,
                received_date=received,
                method=rng.choice(METHODS),
                reference=f"Remittance {invoice.number}",
                external_id=self._number("payment", "PMT"),
                unapplied_amount=overpaid,
            )
            rows[Payment].append(payment)
            rows[PaymentApplication].append(
                PaymentApplication(
                    payment=payment,
                    invoice=invoice,
                    amount=part,
                    applied_date=day,
                    automatic=received == day and rng.random() < 0.9,
                )
            )
        if rng.random() < 0.005:  # cash on account, not matched to anything yet
            received = self.today - self._days(0, 30)
            amount = self._money(100, 5000)
            rows[Payment].append(
                Payment(
                    customer=customer,
                    amount=amount,
                    currency=customer.currency,
                    received_date=received,
                    method=Payment.Method.WIRE,
                    reference="Unidentified remittance",
                    external_id=self._number("payment", "PMT"),
                    unapplied_amount=amount,
                )
            )

    def _collection(self, customer, invoice, events, rows) -> None:
        """Reminders before the due date, calls and promises when late; each activity counted
        on its invoice (`Invoice.activity_count`, which the services keep), which is written
        after this."""
        rng = self.rng
        today = self.today
        paid_on = invoice.paid_date
        reminder_date = invoice.due_date - timedelta(days=3)
        if (
            invoice.issue_date <= reminder_date < today
            and (paid_on is None or paid_on > reminder_date)
            and rng.random() < 0.6
        ):
            occurred = self._moment(reminder_date)
            clicked = None
            if rng.random() < 0.35:
                clicked = occurred + timedelta(minutes=rng.randint(5, 2880))
                if clicked.date() >= today:
                    clicked = None
            rows[CollectionActivity].append(
                CollectionActivity(
                    customer=customer,
                    invoice=invoice,
                    kind=rng.choice(REMINDER_KINDS),
                    occurred_at=occurred,
                    clicked_at=clicked,
                )
            )
            invoice.activity_count += 1
        call_date = invoice.due_date + self._days(5, 15)
        if call_date < today and (paid_on is None or paid_on > call_date) and rng.random() < 0.7:
            outcome = rng.choice(CALL_OUTCOMES)
            rows[CollectionActivity].append(
                CollectionActivity(
                    customer=customer,
                    invoice=invoice,
                    kind=rng.choice((CollectionActivity.Kind.CALL, CollectionActivity.Kind.SMS)),
                    occurred_at=self._moment(call_date),
                    outcome=outcome,
                    notes="Left a voicemail." if outcome == "no_answer" else "",
                )
            )
            invoice.activity_count += 1
            if outcome == "promised" or rng.random() < 0.2:
                # The promise is for what is still open on the day of the call.
                settled = sum((part for day, _, part in events if day < call_date), ZERO)
                promised_amount = invoice.amount - settled
                if promised_amount > 0:
                    # Usually the promised date is the day cash arrives (kept), sometimes earlier.
                    promised_date = call_date + self._days(2, 14)
                    if paid_on is not None and rng.random() < 0.6:
                        promised_date = max(paid_on + self._days(0, 3), call_date)
                    rows[PromiseToPay].append(
                        PromiseToPay(
                            invoice=invoice,
                            customer_id=invoice.customer_id,
                            created_date=call_date,
                            promised_date=promised_date,
                            amount=promised_amount,
                        )
                    )

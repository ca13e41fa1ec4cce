"""Orders, invoices and everything that moves an invoice's open amount or tracks its collection.

Amounts that the services keep (`Invoice.open_amount`, `Invoice.paid_date`,
`Payment.unapplied_amount`, `PromiseToPay.status`, and `metrics.KPIRollup`) are never
written directly: they change only through `receivables.services`, in the same transaction as
the rows they are derived from.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import formats, timezone

from accounts.models import Customer, Opportunity, SalesRep
from o2c_api.audit import AuditTrail
from o2c_api.money import currency_field, money_field
from receivables.errors import ErrorCode
from receivables.managers import (
    ActivityQuerySet,
    ApplicationQuerySet,
    DisputeQuerySet,
    InvoiceQuerySet,
    PaymentQuerySet,
    PromiseQuerySet,
)


class Order(models.Model):
    """A booked sale; `order_date` is the booked (closed-won) date time-to-invoice starts from."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        FULFILLED = "fulfilled", "Fulfilled"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    rep = models.ForeignKey(
        SalesRep, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    order_date = models.DateField(db_index=True)
    amount = money_field()
    currency = currency_field()
    product_line = models.CharField(max_length=64, blank=True, default="", db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-order_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="order_amount_gt_0",
                violation_error_code=ErrorCode.NOT_POSITIVE,
                violation_error_message="Must be greater than zero.",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        if self.rep_id is None and self.customer_id is not None:
            self.rep_id = self.customer.rep_id
        super().save(*args, **kwargs)


class Invoice(models.Model):
    """A bill to a customer in one currency.

    Counts for the KPIs unless draft or void. `open_amount` is amount minus applications minus
    adjustments; `paid_date` is the date the open amount reached zero (the latest application
    or adjustment date), so the invoice is open at date d exactly when
    `issue_date <= d < paid_date` (or `paid_date` is null).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    number = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    rep = models.ForeignKey(
        SalesRep, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    product_line = models.CharField(max_length=64, blank=True, default="")
    issue_date = models.DateField()
    due_date = models.DateField()
    amount = money_field()
    currency = currency_field()
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.OPEN)
    open_amount = money_field(editable=False)
    paid_date = models.DateField(null=True, blank=True, editable=False)
    voided_date = models.DateField(null=True, blank=True, editable=False)
    # The number of its collection activities, kept by the activity services
    # (`receivables.services.activities`), so that aging counts an invoice's activities by a
    # date without a lookup per invoice (`metrics.engine.aging`). Not in the APIs.
    activity_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = InvoiceQuerySet.as_manager()
    # Every change, with who, when, from where and why (o2c_api.audit). Not the activity
    # count: it follows the activities (their own records), and recorded here it would show
    # in the next change of the invoice as if that change had made it.
    history = AuditTrail(excluded_fields=["activity_count"])

    class Meta:
        ordering = ["-issue_date", "-id"]
        indexes = [
            # Invoices issued in a range of dates with what credit sales and AR read of them,
            # from the index alone: a breakdown by customer reads the invoices issued since the
            # month before last (`metrics.blocks.balances_by_customer`: at 1M invoices 90k of
            # them scattered over 17k table pages, 110 ms against 20 ms).
            models.Index(
                fields=["issue_date", "currency", "status", "customer", "amount"],
                name="invoice_issued_covering",
            ),
            models.Index(fields=["due_date"]),
            models.Index(fields=["rep", "issue_date"]),
            models.Index(fields=["customer", "issue_date"]),
            models.Index(fields=["product_line", "issue_date"]),
            models.Index(fields=["status", "due_date"]),
            # Dashboard lists: a rep's past-due or open invoices by due date (the status
            # index alone made PostgreSQL walk every rep's due dates: 4.5 s at 1M), and
            # invoices by open amount, largest first.
            models.Index(fields=["rep", "due_date"], name="invoice_rep_due"),
            # The risk score of a narrow scope (`worklist.risk`): its customers' invoices due in
            # the year before the date, not their whole history.
            models.Index(fields=["customer", "due_date"], name="invoice_customer_due"),
            models.Index(fields=["open_amount"], name="invoice_open_amount"),
            # The invoices settled after a date (the part of "open at d" that is not unsettled
            # today, `predicates.open_at_parts`): every column a drilldown page, a count or
            # aging reads of them, so a range of settlement dates is read from the index alone
            # and PostgreSQL sorts those few rather than walking the due-date index (at 1M
            # invoices, the first page of those settled since last month: 9 ms against 2.3 s).
            models.Index(
                fields=[
                    "paid_date",
                    "currency",
                    "due_date",
                    "issue_date",
                    "status",
                    "open_amount",
                    "id",
                    "customer",
                    "rep",
                    "product_line",
                    "activity_count",
                ],
                name="invoice_settled_covering",
            ),
            # The invoices open at a date, oldest due first (the dashboard's drilldown,
            # `InvoiceQuerySet.open_at_first`): the unsettled ones in due-date order, where the
            # due-date index walks every settled invoice due before them.
            models.Index(
                fields=["due_date"],
                condition=Q(paid_date__isnull=True, status__in=("open", "paid")),
                name="invoice_unsettled_due",
            ),
            # Aging (`metrics.engine.aging`) and the risk score (`worklist.risk`): the invoices
            # not settled today, with every column they read, so PostgreSQL answers from this
            # small index alone (an index-only scan) instead of fetching scattered heap pages.
            # Key columns rather than INCLUDE so SQLite builds it too; `activity_count` so aging
            # counts each invoice's activities by a date from here and the few logged since.
            models.Index(
                fields=[
                    "currency",
                    "id",
                    "due_date",
                    "issue_date",
                    "open_amount",
                    "customer",
                    "rep",
                    "product_line",
                    "amount",
                    "activity_count",
                ],
                condition=Q(paid_date__isnull=True, status__in=("open", "paid")),
                name="invoice_unpaid_aging_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="invoice_amount_gt_0",
                violation_error_code=ErrorCode.NOT_POSITIVE,
                violation_error_message="Must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=Q(open_amount__gte=0),
                name="invoice_open_gte_0",
                violation_error_code=ErrorCode.EXCEEDS_OPEN_AMOUNT,
                violation_error_message="The open amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(open_amount__lte=F("amount")),
                name="invoice_open_lte_amount",
                violation_error_code=ErrorCode.EXCEEDS_INVOICE_AMOUNT,
                violation_error_message="The open amount cannot exceed the invoice amount.",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=F("issue_date")),
                name="invoice_due_not_before_issue",
                violation_error_code=ErrorCode.DUE_BEFORE_ISSUE,
                violation_error_message="The due date is before the issue date.",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def counts(self) -> bool:
        return self.status not in (self.Status.DRAFT, self.Status.VOID)

    def is_open_at(self, d: date) -> bool:
        """`predicates.open_at(d)` for this row: counts, issued by d, not settled by d."""
        return (
            self.counts and self.issue_date <= d and (self.paid_date is None or self.paid_date > d)
        )

    def days_past_due_at(self, d: date) -> int | None:
        """Days past the due date at the end of day d; 0 while not yet due, None unless open.

        Positive exactly when `predicates.past_due_at(d)` selects the invoice. REST's
        `days_past_due` and GraphQL's `daysPastDue` both read it (with d = today).
        """
        if not self.is_open_at(d):
            return None
        return max(0, (d - self.due_date).days)


class Adjustment(models.Model):
    """A credit note or write-off that lowers an invoice's open amount from its date on."""

    class Kind(models.TextChoices):
        CREDIT_NOTE = "credit_note", "Credit note"
        WRITE_OFF = "write_off", "Write-off"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = money_field()
    adjustment_date = models.DateField(db_index=True)
    reason = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Every change, with who, when, from where and why (o2c_api.audit).
    history = AuditTrail()

    class Meta:
        ordering = ["-adjustment_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="adjustment_amount_gt_0",
                violation_error_code=ErrorCode.NOT_POSITIVE,
                violation_error_message="Must be greater than zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.invoice}"


class Payment(models.Model):
    """Cash received from a customer; `unapplied_amount` is what no application has used yet."""

    class Method(models.TextChoices):
        ACH = "ach", "ACH"
        WIRE = "wire", "Wire"
        CARD = "card", "Card"
        CHECK = "check", "Check"
        CASH = "cash", "Cash"
        OTHER = "other", "Other"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    amount = money_field()
    currency = currency_field()
    received_date = models.DateField()
    method = models.CharField(max_length=5, choices=Method.choices, default=Method.OTHER)
    reference = models.CharField(
        max_length=255, blank=True, default="", help_text="Free text as the bank shows it."
    )
    external_id = models.CharField(
        max_length=100, blank=True, default="", help_text="The sender's id for this payment."
    )
    unapplied_amount = money_field(editable=False)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The client that posted it; external ids are unique per client.",
    )
    # The outcome of automatic cash application when the payment was posted, kept so that a
    # client that lost the answer reads it back from the payment.
    posting_rule = models.CharField(
        max_length=12,
        blank=True,
        default="",
        editable=False,
        help_text="The rule that applied the cash when posted: remittance, reference, "
        "exact_amount or none; empty for a payment not posted through cash application.",
    )
    posting_exceptions = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="The remittance lines or referenced invoices the posting could not honour.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = PaymentQuerySet.as_manager()
    # Every change, with who, when, from where and why (o2c_api.audit).
    history = AuditTrail()

    class Meta:
        ordering = ["-received_date", "-id"]
        indexes = [
            models.Index(fields=["received_date"]),
            models.Index(fields=["customer", "received_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_gt_0",
                violation_error_code=ErrorCode.NOT_POSITIVE,
                violation_error_message="Must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=Q(unapplied_amount__gte=0),
                name="payment_unapplied_gte_0",
                violation_error_code=ErrorCode.EXCEEDS_UNAPPLIED_AMOUNT,
                violation_error_message="The unapplied amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(unapplied_amount__lte=F("amount")),
                name="payment_unapplied_lte_amount",
                violation_error_code=ErrorCode.INVALID_AMOUNT,
                violation_error_message="The unapplied amount cannot exceed the payment amount.",
            ),
            models.UniqueConstraint(
                fields=["posted_by", "external_id"],
                condition=~Q(external_id=""),
                name="payment_external_id_unique_per_client",
                violation_error_code=ErrorCode.DUPLICATE_EXTERNAL_ID,
                violation_error_message="This external id was already posted by this client.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} from {self.customer} on {self.received_date}"

    @property
    def applied_amount(self):
        """The part of the payment that applications use (amount - unapplied_amount)."""
        return self.amount - self.unapplied_amount


class PaymentApplication(models.Model):
    """Part of a payment applied to one invoice. Reversed by deleting it (through a service)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="applications")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="applications")
    amount = money_field()
    applied_date = models.DateField()
    automatic = models.BooleanField(
        default=False, help_text="Made by remittance or the matching rules, not by a person."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApplicationQuerySet.as_manager()
    # Every change, with who, when, from where and why (o2c_api.audit).
    history = AuditTrail()

    class Meta:
        ordering = ["applied_date", "id"]
        indexes = [
            # Cash applied in a range of dates with the invoice and the amount, read from the
            # index alone (aging at a past date adds back what was applied since: at 1M
            # invoices the applications of a month are scattered one per table page).
            models.Index(
                fields=["applied_date", "invoice", "amount"], name="application_applied_covering"
            ),
            models.Index(fields=["invoice", "applied_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="application_amount_gt_0",
                violation_error_code=ErrorCode.NOT_POSITIVE,
                violation_error_message="Must be greater than zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of payment {self.payment_id} to {self.invoice_id}"


class Dispute(models.Model):
    """A customer's objection to (part of) an invoice."""

    class Reason(models.TextChoices):
        PRICING = "pricing", "Pricing"
        QUANTITY = "quantity", "Quantity"
        DELIVERY = "delivery", "Delivery"
        QUALITY = "quality", "Quality"
        DUPLICATE = "duplicate", "Duplicate"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    class Resolution(models.TextChoices):
        NONE = "", "—"
        CREDITED = "credited", "Credited"
        UPHELD = "upheld", "Invoice upheld"
        WITHDRAWN = "withdrawn", "Withdrawn by customer"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="disputes")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    amount = money_field()
    opened_date = models.DateField(db_index=True)
    resolved_date = models.DateField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True, default="")
    notes = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = DisputeQuerySet.as_manager()
    # Every change, with who, when, from where and why (o2c_api.audit).
    history = AuditTrail()

    class Meta:
        ordering = ["-opened_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="dispute_amount_gt_0",
                violation_error_code=ErrorCode.NOT_POSITIVE,
                violation_error_message="Must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(resolved_date__isnull=True))
                | (Q(status="resolved") & Q(resolved_date__isnull=False)),
                name="dispute_resolved_iff_resolved_date",
                violation_error_code=ErrorCode.INVALID_STATUS,
                violation_error_message="A resolved dispute has a resolved date; an open one none.",
            ),
            models.CheckConstraint(
                condition=Q(resolved_date__isnull=True) | Q(resolved_date__gte=F("opened_date")),
                name="dispute_resolved_not_before_opened",
                violation_error_code=ErrorCode.DATE_BEFORE_OPENED,
                violation_error_message="Resolved before it was opened.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} dispute on {self.invoice}"


class PromiseToPay(models.Model):
    """A customer's promise to pay an amount on an invoice by a date.

    Kept when the applications to the invoice dated from `created_date` to `promised_date`
    (inclusive) add up to at least `amount`; broken when that date has passed without it;
    open until then. The services keep `status` true as cash is applied or reversed, and
    `refresh_promise_statuses` turns open promises past their date into broken ones.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        KEPT = "kept", "Kept"
        BROKEN = "broken", "Broken"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="promises")
    # The invoice's customer, set by `services.create_promise` (a promise is made on an issued
    # invoice, whose customer never changes): the risk score reads each customer's year of
    # promises (`worklist.risk`), where finding the customer through the invoice cost a probe
    # per promise (at 1M invoices, about 44k and a fifth of the scoring).
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_date = models.DateField()
    promised_date = models.DateField(db_index=True)
    amount = money_field()
    status = models.CharField(
        max_length=6, choices=Status.choices, default=Status.OPEN, editable=False
    )
    notes = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = PromiseQuerySet.as_manager()
    # Every change, with who, when, from where and why (o2c_api.audit).
    history = AuditTrail()

    class Meta:
        ordering = ["-promised_date", "-id"]
        verbose_name = "promise to pay"
        verbose_name_plural = "promises to pay"
        indexes = [models.Index(fields=["customer", "promised_date"], name="promise_customer_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="promise_amount_gt_0",
                violation_error_code=ErrorCode.NOT_POSITIVE,
                violation_error_message="Must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=Q(promised_date__gte=F("created_date")),
                name="promise_date_not_before_created",
                violation_error_code=ErrorCode.PROMISED_BEFORE_CREATED,
                violation_error_message="The promised date is before the promise.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} by {self.promised_date} on {self.invoice}"


class CollectionActivity(models.Model):
    """A reminder, email, call, SMS or note in the collection of a customer or one invoice."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder"
        EMAIL = "email", "Email"
        CALL = "call", "Call"
        SMS = "sms", "SMS"
        NOTE = "note", "Note"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        NO_ANSWER = "no_answer", "No answer"
        REACHED = "reached", "Reached"
        PROMISED = "promised", "Promise to pay"
        DISPUTED = "disputed", "Disputed"
        PAID = "paid", "Paid"
        BOUNCED = "bounced", "Bounced"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="activities")
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    clicked_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    notes = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "collection activity"
        verbose_name_plural = "collection activities"
        indexes = [
            models.Index(fields=["kind", "occurred_at"]),
            models.Index(fields=["invoice", "occurred_at"]),
            # The activities logged after a date, per invoice, from the index alone: what
            # aging takes off each invoice's `activity_count` to count them by that date.
            models.Index(fields=["occurred_at", "invoice"], name="activity_occurred_invoice"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(clicked_at__isnull=True) | Q(clicked_at__gte=F("occurred_at")),
                name="activity_clicked_not_before_occurred",
                violation_error_code=ErrorCode.CLICKED_BEFORE_OCCURRED,
                violation_error_message="Clicked before the message was sent.",
            ),
        ]

    def __str__(self) -> str:
        # The day in the project's time zone and locale, as the admin shows dates.
        day = formats.date_format(timezone.localdate(self.occurred_at))
        return f"{self.get_kind_display()} to {self.customer} on {day}"

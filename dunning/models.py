"""The collections playbook (steps, channels, templates, what it did) and credit holds.

Playbook: each `PlaybookStep` fires a number of days before or after an invoice's due date
through a channel (the step's own, or the first matching `ChannelRule` by segment or amount
band) with a `MessageTemplate` (a challenger template splits the invoices deterministically).
What the playbook did is a `CollectionActivity` (a `reminder` for messages) linked to a
`PlaybookAction`, unique per invoice and step: the playbook never does a step twice.

Credit holds: `CreditHoldRule`s (editable parameters, shipped with defaults) place a
`CreditHold` that records its `CreditHoldReason`s; the hold lifts itself when its reasons are
gone unless it was placed by hand. `Customer.on_credit_hold` stays the denormalised "is on
hold now" flag, kept by `dunning.services` with the holds. An order booked for a held customer
by an admin's override records a `CreditHoldOverride` (who, why). Every write goes through
`dunning.services`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import formats, timezone

from accounts.models import Customer, Segment
from dunning import templates
from dunning.errors import ErrorCode
from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.money import CURRENCY_CHOICES, money_field
from receivables.models import CollectionActivity, Invoice, Order


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    LETTER = "letter", "Letter"
    CALL = "call", "Call task"
    REP = "rep", "Escalation to the account's rep"


# The kind of collection activity each channel creates: messages are reminders (the reminder
# funnel counts them), a call is a call task, an escalation a note for the rep.
ACTIVITY_KIND = {
    Channel.EMAIL: CollectionActivity.Kind.REMINDER,
    Channel.SMS: CollectionActivity.Kind.REMINDER,
    Channel.LETTER: CollectionActivity.Kind.REMINDER,
    Channel.CALL: CollectionActivity.Kind.CALL,
    Channel.REP: CollectionActivity.Kind.NOTE,
}


class MessageTemplate(models.Model):
    """The wording of a reminder, call script or escalation, with merge fields.

    Merge fields (`{{ customer_name }}`...) are those of `dunning.templates.MERGE_FIELDS`;
    any other is refused when the template is saved (`unknown_merge_field`).
    """

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Also here, not only in clean(): no path may store a template that cannot render.
        templates.check(subject=self.subject, body=self.body)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        templates.check(subject=self.subject, body=self.body)


class PlaybookStep(models.Model):
    """One step of the collections playbook, `offset_days` from the due date (−7 = before).

    The step that applies to an invoice on a date is the active step with the largest offset
    not after that date: steps missed (e.g. an invoice entered late) are not sent in a burst.
    """

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    offset_days = models.SmallIntegerField(
        help_text="Days from the due date: negative before it, 0 on it, positive after."
    )
    channel = models.CharField(
        max_length=8,
        choices=Channel.choices,
        default=Channel.EMAIL,
        help_text="Used unless one of the step's channel rules matches.",
    )
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="+")
    challenger_template = models.ForeignKey(
        MessageTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Optional: half of the invoices (chosen by invoice id) get this wording.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["offset_days", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offset_days"],
                condition=Q(active=True),
                name="playbook_step_one_active_per_offset",
                violation_error_code=ErrorCode.DUPLICATE_OFFSET,
                violation_error_message="Another active step fires on the same day.",
            ),
            models.CheckConstraint(
                condition=~Q(challenger_template=F("template")),
                name="playbook_step_challenger_differs",
                violation_error_code=ErrorCode.CHALLENGER_IS_CHAMPION,
                violation_error_message="The challenger template must differ from the template.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def channel_for(self, rules, segment_id: int | None, currency: str, open_amount) -> str:
        """The channel for one invoice: the first matching rule (by position), else the step's.

        Args:
            rules: this step's `ChannelRule`s, in position order (loaded once per run).
        """
        for rule in rules:
            if rule.matches(segment_id, currency, open_amount):
                return rule.channel
        return self.channel


class ChannelRule(models.Model):
    """A channel for a step by segment and/or open-amount band; the first match wins.

    An amount band names its currency (amounts are never compared across currencies):
    `min_open_amount <= open amount < max_open_amount`, either bound optional.
    """

    step = models.ForeignKey(PlaybookStep, on_delete=models.CASCADE, related_name="channel_rules")
    position = models.PositiveSmallIntegerField(default=0)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, blank=True, default="")
    min_open_amount = money_field(null=True, blank=True)
    max_open_amount = money_field(null=True, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)

    class Meta:
        ordering = ["step", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_open_amount__isnull=True, max_open_amount__isnull=True)
                | ~Q(currency=""),
                name="channel_rule_band_has_currency",
                violation_error_code=ErrorCode.BAND_WITHOUT_CURRENCY,
                violation_error_message="An amount band needs its currency.",
            ),
            models.CheckConstraint(
                condition=Q(min_open_amount__isnull=True)
                | Q(max_open_amount__isnull=True)
                | Q(min_open_amount__lt=F("max_open_amount")),
                name="channel_rule_band_ordered",
                violation_error_code=ErrorCode.EMPTY_BAND,
                violation_error_message="The band's minimum must be below its maximum.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step}: {self.get_channel_display()}"

    def matches(self, segment_id: int | None, currency: str, open_amount) -> bool:
        if self.segment_id is not None and self.segment_id != segment_id:
            return False
        if self.currency and self.currency != currency:
            return False
        if self.min_open_amount is not None and open_amount < self.min_open_amount:
            return False
        return self.max_open_amount is None or open_amount < self.max_open_amount


class PaymentLink(models.Model):
    """Where a customer pays online; the `{{ payment_link }}` merge field shows it."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="payment_link")
    url = models.URLField(max_length=500)

    def __str__(self) -> str:
        return self.url


class PlaybookAction(models.Model):
    """What the playbook did for one invoice and step: the activity it created, and how.

    Unique per (invoice, step): the database refuses a second one, also to a concurrent run.
    """

    class Variant(models.TextChoices):
        CHAMPION = "champion", "Champion"
        CHALLENGER = "challenger", "Challenger"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="playbook_actions")
    step = models.ForeignKey(PlaybookStep, on_delete=models.PROTECT, related_name="actions")
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="+")
    variant = models.CharField(max_length=10, choices=Variant.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    activity = models.OneToOneField(
        CollectionActivity, on_delete=models.PROTECT, related_name="playbook_action"
    )
    as_of = models.DateField(help_text="The day the playbook ran for.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "step"], name="playbook_action_once_per_invoice_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step} for {self.invoice_id}"


class CreditHoldRule(models.Model):
    """A rule that puts a customer on credit hold; its parameters are editable.

    `overdue_invoice`: an invoice more than `days_past_due` days past due.
    `broken_promises`: at least `broken_promises` promises broken (promised date) in the last
    `window_days` days. `over_credit_limit`: open AR in the customer's currency above its
    credit limit.
    """

    class Code(models.TextChoices):
        OVERDUE_INVOICE = "overdue_invoice", "Invoice far past due"
        BROKEN_PROMISES = "broken_promises", "Broken promises"
        OVER_CREDIT_LIMIT = "over_credit_limit", "Open AR above the credit limit"

    code = models.CharField(max_length=20, choices=Code.choices, unique=True)
    days_past_due = models.PositiveSmallIntegerField(null=True, blank=True)
    broken_promises = models.PositiveSmallIntegerField(null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.get_code_display()

    def clean(self) -> None:
        needed = {
            self.Code.OVERDUE_INVOICE: ("days_past_due",),
            self.Code.BROKEN_PROMISES: ("broken_promises", "window_days"),
        }.get(self.code, ())
        missing = {
            field: ValidationError("This rule needs it.", CommonCode.REQUIRED)
            for field in needed
            if getattr(self, field) in (None, 0)
        }
        if missing:
            raise ValidationError(missing)


class CreditHold(models.Model):
    """A period a customer is on credit hold: placed (by the rules or by hand), then lifted.

    At most one hold per customer is current (not lifted). A hold placed by the rules lifts
    itself when none of its reasons holds any more; one placed by hand is lifted by hand.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_holds")
    automatic = models.BooleanField(help_text="Placed by the rules (lifts itself), not by hand.")
    placed_at = models.DateTimeField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True, default="")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(lifted_at__isnull=True),
                name="credit_hold_one_current_per_customer",
                violation_error_code=ErrorCode.ALREADY_ON_CREDIT_HOLD,
                violation_error_message="The customer is already on credit hold.",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=F("placed_at")),
                name="credit_hold_lifted_after_placed",
                violation_error_code=ErrorCode.LIFTED_BEFORE_PLACED,
                violation_error_message="A hold cannot be lifted before it was placed.",
            ),
        ]

    def __str__(self) -> str:
        # The day in the project's time zone and locale, as the admin shows dates.
        day = formats.date_format(timezone.localdate(self.placed_at))
        return f"Credit hold of {self.customer} from {day}"

    @property
    def current(self) -> bool:
        return self.lifted_at is None


class CreditHoldReason(models.Model):
    """Why a hold is in place: a rule that matched (with a sentence), or `manual`.

    `cleared_at` is set when the rule stops matching; a hold whose reasons are all cleared
    is lifted (unless placed by hand).
    """

    MANUAL = "manual"
    CODES = [*CreditHoldRule.Code.choices, (MANUAL, "Placed by hand")]

    hold = models.ForeignKey(CreditHold, on_delete=models.CASCADE, related_name="reasons")
    code = models.CharField(max_length=20, choices=CODES)
    detail = models.CharField(max_length=500)
    added_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["hold", "code"],
                condition=Q(cleared_at__isnull=True),
                name="credit_hold_reason_once_while_active",
                violation_error_code=CommonCode.UNIQUE,
                violation_error_message="The hold already has this reason in force.",
            ),
        ]

    def __str__(self) -> str:
        return self.detail


class CreditHoldOverride(models.Model):
    """An order booked for a customer on hold because an admin said so: who, why, when."""

    hold = models.ForeignKey(CreditHold, on_delete=models.PROTECT, related_name="overrides")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="hold_override")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Override for order {self.order_id}"

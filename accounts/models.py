"""Who we sell to and who sells: segments, sales reps, customers and opportunities."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.errors import ErrorCode
from o2c_api.audit import AuditTrail
from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.money import currency_field, money_field


class Segment(models.Model):
    """A group of customers that KPIs can be filtered by (a market, a country, a tier)."""

    name = models.CharField(max_length=100, unique=True)
    code = models.CharField(max_length=32, unique=True, help_text="Short stable code.")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SalesRep(models.Model):
    """A salesperson who owns customers, opportunities, orders and invoices."""

    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sales_rep",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "sales rep"

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """An account that buys on credit; its segment and rep drive the KPI filters."""

    name = models.CharField(max_length=200, db_index=True)
    external_id = models.CharField(
        max_length=100, blank=True, default="", help_text="The id in the sender's system."
    )
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="customers"
    )
    rep = models.ForeignKey(
        SalesRep, null=True, blank=True, on_delete=models.PROTECT, related_name="customers"
    )
    currency = currency_field()
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    credit_limit = money_field(null=True, blank=True)
    on_credit_hold = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Every change (credit limit, credit hold, currency, terms ...), with who, when, from
    # where and why (o2c_api.audit).
    history = AuditTrail()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="customer_external_id_unique",
                # "unique" puts the refusal on `external_id` (Model.validate_constraints), as
                # REST's unique validator does; without it a conditional constraint's error
                # has no field and no code.
                violation_error_code=CommonCode.UNIQUE,
                violation_error_message="A customer with this external id already exists.",
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="customer_credit_limit_not_negative",
                violation_error_code=ErrorCode.NEGATIVE_CREDIT_LIMIT,
                violation_error_message="The credit limit cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    """A deal in the pipeline; closed (won or lost) exactly when it has a closed date."""

    class Stage(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="opportunities")
    rep = models.ForeignKey(
        SalesRep, null=True, blank=True, on_delete=models.PROTECT, related_name="opportunities"
    )
    name = models.CharField(max_length=200)
    amount = money_field()
    currency = currency_field()
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.OPEN)
    created_date = models.DateField()
    closed_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-created_date", "id"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["closed_date", "stage"]),
            models.Index(fields=["created_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="opportunity_amount_gte_0",
                violation_error_code=ErrorCode.NEGATIVE_AMOUNT,
                violation_error_message="An opportunity's amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=(Q(stage="open") & Q(closed_date__isnull=True))
                | (Q(stage__in=["won", "lost"]) & Q(closed_date__isnull=False)),
                name="opportunity_closed_iff_won_or_lost",
                violation_error_code=ErrorCode.CLOSED_DATE_MISMATCH,
                violation_error_message="A won or lost opportunity needs a closed date; an open "
                "one has none.",
            ),
            models.CheckConstraint(
                condition=Q(closed_date__isnull=True)
                | Q(closed_date__gte=models.F("created_date")),
                name="opportunity_closed_not_before_created",
                violation_error_code=ErrorCode.CLOSED_BEFORE_CREATED,
                violation_error_message="An opportunity cannot close before it was created.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Dimension rule of the KPI spec: without a rep, take the customer's rep now and keep it.
        if self.rep_id is None and self.customer_id is not None:
            self.rep_id = self.customer.rep_id
        super().save(*args, **kwargs)


class ApiToken(models.Model):
    """An API token of a user, stored as the SHA-256 digest of its key only.

    The key is shown once, when issued (`manage.py create_token`); afterwards only its first
    characters (`prefix`) identify it, in the admin and to `manage.py revoke_token`. A revoked
    token keeps its row (who had it, and when it stopped working).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(max_length=8, db_index=True, help_text="The key's first characters.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class CustomerAssignment(models.Model):
    """A customer explicitly given to a user limited to their own customers (`accounts.scoping`):
    besides their sales rep's book, such a user sees exactly the customers assigned to them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_assignments"
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "customer"]
        # Held by the `own_customers` group only (never by a role): accounts.scoping.
        permissions = [
            ("own_customers_only", "Is limited to their own customers (rep's book, assignments)")
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "customer"], name="assignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} → {self.user}"

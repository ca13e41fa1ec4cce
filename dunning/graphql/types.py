"""GraphQL types of the playbook and credit holds: what REST's serializers show, camelCased."""

from datetime import date
from decimal import Decimal

import strawberry
import strawberry_django
from django.db.models import Q
from strawberry import auto

from accounts.graphql.filters import filter_id
from accounts.models import Customer
from dunning import templates
from dunning.models import (
    ChannelRule,
    CreditHold,
    CreditHoldOverride,
    CreditHoldReason,
    CreditHoldRule,
    MessageTemplate,
    PlaybookAction,
    PlaybookStep,
)
from o2c_api.graphql.permissions import scoped_get_queryset
from receivables.models import Invoice


@strawberry_django.type(MessageTemplate)
class MessageTemplateType:
    id: auto
    code: auto
    name: auto
    subject: auto
    body: auto
    created_at: auto
    updated_at: auto

    @strawberry_django.field(only=["subject", "body"])
    def merge_fields(self) -> list[str]:
        return templates.merge_fields_in(f"{self.subject}\n{self.body}")


@strawberry_django.type(ChannelRule)
class ChannelRuleType:
    id: auto
    position: auto
    segment_id: strawberry.ID | None = strawberry_django.field(
        field_name="segment_id", only=["segment_id"]
    )
    currency: auto
    min_open_amount: auto
    max_open_amount: auto
    channel: str


@strawberry_django.type(PlaybookStep)
class PlaybookStepType:
    id: auto
    code: auto
    name: auto
    offset_days: auto
    channel: str
    template: MessageTemplateType
    challenger_template: MessageTemplateType | None
    active: auto
    channel_rules: list[ChannelRuleType]


@strawberry_django.filter_type(PlaybookAction)
class PlaybookActionFilter:
    @strawberry_django.filter_field
    def invoice(self, value: strawberry.ID, prefix: str) -> Q:
        return Q(**{f"{prefix}invoice_id": filter_id(Invoice, value)})

    @strawberry_django.filter_field
    def customer(self, value: strawberry.ID, prefix: str) -> Q:
        return Q(**{f"{prefix}invoice__customer_id": filter_id(Customer, value)})

    @strawberry_django.filter_field
    def as_of(self, value: date, prefix: str) -> Q:
        return Q(**{f"{prefix}as_of": value})


@strawberry_django.type(PlaybookAction, filters=PlaybookActionFilter)
class PlaybookActionType:
    # The `..._id` fields name their column for the optimizer (`only`): without it each row
    # loaded the deferred column with a query of its own.
    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    invoice_id: strawberry.ID = strawberry_django.field(
        field_name="invoice_id", only=["invoice_id"]
    )
    step: PlaybookStepType
    template: MessageTemplateType
    variant: str
    channel: str
    activity_id: strawberry.ID = strawberry_django.field(
        field_name="activity_id", only=["activity_id"]
    )
    as_of: auto
    created_at: auto


@strawberry_django.type(CreditHoldReason)
class CreditHoldReasonType:
    code: str
    detail: auto
    added_at: auto
    cleared_at: auto


@strawberry_django.type(CreditHoldOverride)
class CreditHoldOverrideType:
    order_id: strawberry.ID = strawberry_django.field(field_name="order_id", only=["order_id"])
    reason: auto
    created_at: auto

    @strawberry_django.field(select_related=["user"], only=["user__username"])
    def user(self) -> str:
        return self.user.username


@strawberry_django.filter_type(CreditHold)
class CreditHoldFilter:
    """`customer` (its history), `current` (the hold in force), `automatic`."""

    automatic: auto

    @strawberry_django.filter_field
    def customer(self, value: strawberry.ID, prefix: str) -> Q:
        return Q(**{f"{prefix}customer_id": filter_id(Customer, value)})

    @strawberry_django.filter_field
    def current(self, value: bool, prefix: str) -> Q:
        return Q(**{f"{prefix}lifted_at__isnull": value})


@strawberry_django.order_type(CreditHold)
class CreditHoldOrder:
    id: auto
    placed_at: auto
    lifted_at: auto


@strawberry_django.type(CreditHold, filters=CreditHoldFilter, ordering=CreditHoldOrder)
class CreditHoldType:
    """A credit hold, current or past; reasons with `clearedAt` null are the reasons now."""

    # A user limited to their own customers sees only theirs (accounts.scoping).
    get_queryset = scoped_get_queryset

    id: auto
    customer_id: strawberry.ID = strawberry_django.field(
        field_name="customer_id", only=["customer_id"]
    )
    automatic: auto
    placed_at: auto
    note: auto
    lifted_at: auto
    lift_note: auto
    reasons: list[CreditHoldReasonType]
    overrides: list[CreditHoldOverrideType]

    @strawberry_django.field(only=["lifted_at"])
    def current(self) -> bool:
        return self.lifted_at is None

    @strawberry_django.field(select_related=["customer"], only=["customer__name"])
    def customer_name(self) -> str:
        return self.customer.name

    @strawberry_django.field(select_related=["placed_by"], only=["placed_by__username"])
    def placed_by(self) -> str | None:
        return self.placed_by.username if self.placed_by_id else None

    @strawberry_django.field(select_related=["lifted_by"], only=["lifted_by__username"])
    def lifted_by(self) -> str | None:
        return self.lifted_by.username if self.lifted_by_id else None


@strawberry_django.type(CreditHoldRule)
class CreditHoldRuleType:
    id: auto
    code: str
    days_past_due: auto
    broken_promises: auto
    window_days: auto
    active: auto


@strawberry.type
class HoldChangesType:
    placed: list[strawberry.ID]
    lifted: list[strawberry.ID]
    reasons_added: int
    reasons_cleared: int


@strawberry.type
class TemplateFunnelType:
    step: str
    step_name: str
    template: str
    template_name: str
    variant: str
    sent: int
    clicked: int
    paid: int
    conversion_rate: Decimal | None


@strawberry.type
class PromiseReliabilityType:
    customer: strawberry.ID
    customer_name: str
    promises: int
    kept: int
    broken: int
    open: int
    kept_rate: Decimal | None
    paid: int
    average_days_late: Decimal | None

    @classmethod
    def of(cls, row) -> "PromiseReliabilityType":
        return cls(
            customer=row.customer_id,
            customer_name=row.customer_name,
            promises=row.promises,
            kept=row.kept,
            broken=row.broken,
            open=row.open,
            kept_rate=row.kept_rate,
            paid=row.paid,
            average_days_late=row.average_days_late,
        )

"""The playbook and credit holds in GraphQL: the same services, numbers and codes as REST."""

from datetime import date

import strawberry
import strawberry_django
from django.core.exceptions import ValidationError
from django.db import transaction
from strawberry.types import Info
from strawberry_django.pagination import OffsetPaginated

from accounts.models import Customer
from accounts.scoping import own_customer_ids
from dunning import funnel, promises, services
from dunning.api.views import reliability_params
from dunning.errors import ErrorCode
from dunning.graphql.types import (
    CreditHoldRuleType,
    CreditHoldType,
    HoldChangesType,
    MessageTemplateType,
    PlaybookActionType,
    PlaybookStepType,
    PromiseReliabilityType,
    TemplateFunnelType,
)
from dunning.models import (
    CreditHold,
    CreditHoldRule,
    MessageTemplate,
    PlaybookAction,
    PlaybookStep,
)
from metrics.graphql.schema import run, scope_of, user_of
from o2c_api.graphql.errors import fresh, get_object, service_errors
from o2c_api.graphql.permissions import can_add, can_change, can_view


@strawberry.type
class Query:
    message_templates: OffsetPaginated[MessageTemplateType] = strawberry_django.offset_paginated(
        extensions=can_view(MessageTemplate)
    )
    playbook_steps: OffsetPaginated[PlaybookStepType] = strawberry_django.offset_paginated(
        extensions=can_view(PlaybookStep)
    )
    playbook_actions: OffsetPaginated[PlaybookActionType] = strawberry_django.offset_paginated(
        extensions=can_view(PlaybookAction)
    )
    credit_hold_rules: OffsetPaginated[CreditHoldRuleType] = strawberry_django.offset_paginated(
        extensions=can_view(CreditHoldRule)
    )
    credit_hold: CreditHoldType | None = strawberry_django.field(extensions=can_view(CreditHold))
    credit_holds: OffsetPaginated[CreditHoldType] = strawberry_django.offset_paginated(
        extensions=can_view(CreditHold)
    )

    @strawberry.field(
        description="Playbook reminders sent in P, clicked and paid within 7 days, per step "
        "and template (champion/challenger)."
    )
    def playbook_funnel(
        self,
        info: Info,
        start: date | None = None,
        end: date | None = None,
        rep: strawberry.ID | None = None,
        segment: strawberry.ID | None = None,
        customer: strawberry.ID | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> list[TemplateFunnelType]:
        def resolve():
            scope = scope_of(info, start, end, rep, segment, customer, product_line, currency)
            return [
                TemplateFunnelType(**row.__dict__)
                for row in funnel.reminder_funnel_by_template(scope)
            ]

        return run(info, resolve, narrowed=True)

    @strawberry.field(
        description="Per customer, least reliable first: promises dated in the period, kept, "
        "broken, kept rate and average days late."
    )
    def promise_reliability(
        self,
        info: Info,
        start: date | None = None,
        end: date | None = None,
        customer: strawberry.ID | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[PromiseReliabilityType]:
        def resolve():
            params = reliability_params(
                {"start": start, "end": end, "customer": customer, "limit": limit,
                 "offset": offset},
                user_of(info),
            )  # fmt: skip
            return [
                PromiseReliabilityType.of(row) for row in promises.promise_reliability(**params)
            ]

        return run(info, resolve, narrowed=True)


def _mutation(extensions: list, description: str):
    return strawberry_django.mutation(
        handle_django_errors=True, extensions=extensions, description=description
    )


@strawberry.input
class MessageTemplateInput:
    code: str | None = None
    name: str | None = None
    subject: str | None = None
    body: str | None = None


@strawberry.type
class Mutation:
    @_mutation(
        can_add(MessageTemplate),
        "Create a message template. Codes: unknown_merge_field, unique, required.",
    )
    def create_message_template(
        self, info: Info, data: MessageTemplateInput
    ) -> MessageTemplateType:
        with service_errors(), transaction.atomic():
            fields = {k: v for k, v in data.__dict__.items() if v is not None}
            return fresh(services.save_template(**fields))

    @_mutation(
        can_change(MessageTemplate),
        "Change a message template. Code: unknown_merge_field.",
    )
    def update_message_template(
        self, info: Info, id: strawberry.ID, data: MessageTemplateInput
    ) -> MessageTemplateType:
        with service_errors(), transaction.atomic():
            template = get_object(MessageTemplate, id)
            fields = {k: v for k, v in data.__dict__.items() if v is not None}
            return fresh(services.save_template(template, **fields))

    @_mutation(
        can_add(CreditHold),
        "Put a customer on credit hold by hand. Code: credit_hold_unchanged.",
    )
    def place_credit_hold(
        self, info: Info, customer: strawberry.ID, note: str = ""
    ) -> CreditHoldType:
        with service_errors(), transaction.atomic():
            target = get_object(Customer, customer, "customer", for_input=True)
            user = info.context.request.user
            return fresh(services.place_hold(target, user=user, note=note))

    @_mutation(
        can_add(CreditHold),
        "Lift a credit hold by hand. Code: credit_hold_unchanged.",
    )
    def lift_credit_hold(self, info: Info, id: strawberry.ID, note: str = "") -> CreditHoldType:
        with service_errors(), transaction.atomic():
            hold = get_object(CreditHold, id)
            if not hold.current:
                raise ValidationError(
                    "This hold is already lifted.", code=ErrorCode.CREDIT_HOLD_UNCHANGED
                )
            services.lift_hold(hold.customer, user=info.context.request.user, note=note)
            return fresh(hold)

    @_mutation(
        can_add(CreditHold),
        "Apply the credit-hold rules to every customer now (as the command); a user limited "
        "to their customers: to their customers only.",
    )
    def evaluate_credit_holds(self, info: Info) -> HoldChangesType:
        user = info.context.request.user
        changes = services.evaluate_credit_holds(customer_ids=own_customer_ids(user))
        return HoldChangesType(
            placed=list(changes.placed),
            lifted=list(changes.lifted),
            reasons_added=changes.reasons_added,
            reasons_cleared=changes.reasons_cleared,
        )


__all__ = ["Mutation", "Query"]

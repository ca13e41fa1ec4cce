"""The dashboard app's part of the GraphQL schema: annotations and huddle actions.

Mutations call `dashboard.services`; refusals come back as `OperationInfo` with REST's codes.
"""

import strawberry
import strawberry_django
from django.db import transaction
from strawberry.types import Info
from strawberry_django.pagination import OffsetPaginated

from accounts.models import SalesRep, Segment
from dashboard import services
from dashboard.graphql.inputs import AnnotationInput, HuddleActionInput
from dashboard.graphql.types import AnnotationType, HuddleActionType
from dashboard.models import Annotation, HuddleAction
from o2c_api.graphql.errors import fresh, get_object, service_errors
from o2c_api.graphql.inputs import service_kwargs
from o2c_api.graphql.permissions import can_add, can_change, can_view


def _user(info: Info):
    user = info.context.request.user
    return user if user.is_authenticated else None


@strawberry.type
class Query:
    annotation: AnnotationType | None = strawberry_django.field(extensions=can_view(Annotation))
    annotations: OffsetPaginated[AnnotationType] = strawberry_django.offset_paginated(
        extensions=can_view(Annotation)
    )
    huddle_action: HuddleActionType | None = strawberry_django.field(
        extensions=can_view(HuddleAction)
    )
    huddle_actions: OffsetPaginated[HuddleActionType] = strawberry_django.offset_paginated(
        extensions=can_view(HuddleAction)
    )


@strawberry.type
class Mutation:
    @strawberry_django.mutation(
        handle_django_errors=True,
        extensions=can_add(Annotation),
        description="Add a note to the trend lines. Codes: the model's (e.g. max_length).",
    )
    def create_annotation(self, info: Info, data: AnnotationInput) -> AnnotationType:
        with service_errors(), transaction.atomic():
            kwargs = service_kwargs(data, {"rep": SalesRep, "segment": Segment})
            return fresh(services.create_annotation(**kwargs, created_by=_user(info)))

    @strawberry_django.mutation(
        handle_django_errors=True,
        extensions=can_add(HuddleAction),
        description="Record a huddle action. Codes: unknown_kpi, the model's (e.g. required).",
    )
    def create_huddle_action(self, info: Info, data: HuddleActionInput) -> HuddleActionType:
        with service_errors(), transaction.atomic():
            return fresh(services.create_action(**service_kwargs(data), created_by=_user(info)))

    @strawberry_django.mutation(
        handle_django_errors=True,
        extensions=can_change(HuddleAction),
        description="Mark a huddle action done today. Codes: action_already_done, not_found.",
    )
    def complete_huddle_action(self, info: Info, id: strawberry.ID) -> HuddleActionType:
        with service_errors(), transaction.atomic():
            return fresh(services.complete_action(get_object(HuddleAction, id)))

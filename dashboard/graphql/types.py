"""GraphQL types, filters and orderings of annotations and huddle actions (REST's fields)."""

import strawberry_django
from strawberry import auto

from accounts.graphql.types import SalesRepType, SegmentType
from dashboard.models import Annotation, HuddleAction


@strawberry_django.filter_type(Annotation, lookups=True)
class AnnotationFilter:
    note_date: auto
    rep_id: auto
    segment_id: auto
    updated_at: auto


@strawberry_django.order_type(Annotation)
class AnnotationOrder:
    id: auto
    note_date: auto
    updated_at: auto


@strawberry_django.filter_type(HuddleAction, lookups=True)
class HuddleActionFilter:
    status: auto
    kpi: auto
    owner: auto
    due_date: auto
    updated_at: auto


@strawberry_django.order_type(HuddleAction)
class HuddleActionOrder:
    id: auto
    due_date: auto
    updated_at: auto


@strawberry_django.type(Annotation, filters=AnnotationFilter, ordering=AnnotationOrder)
class AnnotationType:
    id: auto
    note_date: auto
    text: auto
    rep: SalesRepType | None
    segment: SegmentType | None
    created_at: auto
    updated_at: auto

    @strawberry_django.field(only=["created_by__username"], select_related=["created_by"])
    def created_by(self, root: Annotation) -> str | None:
        return root.created_by.username if root.created_by_id else None


@strawberry_django.type(HuddleAction, filters=HuddleActionFilter, ordering=HuddleActionOrder)
class HuddleActionType:
    id: auto
    title: auto
    kpi: auto
    context: auto
    owner: auto
    due_date: auto
    definition_of_done: auto
    status: str
    done_date: auto
    created_at: auto
    updated_at: auto

    @strawberry_django.field(only=["created_by__username"], select_related=["created_by"])
    def created_by(self, root: HuddleAction) -> str | None:
        return root.created_by.username if root.created_by_id else None

"""GraphQL inputs of the dashboard app. Rep and segment are written by id, as in REST."""

from datetime import date

import strawberry


@strawberry.input
class AnnotationInput:
    note_date: date
    text: str
    rep: strawberry.ID | None = None
    segment: strawberry.ID | None = None


@strawberry.input
class HuddleActionInput:
    title: str
    owner: str
    due_date: date
    definition_of_done: str
    kpi: str = ""
    context: str = ""

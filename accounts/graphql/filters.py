"""GraphQL filters of the accounts app: thin wrappers over `receivables.predicates`.

Each custom filter method returns the `Q` of a predicate; `prefix` is the path strawberry-django
passes when the filter is nested (e.g. `invoice__customer__`), turned into the predicates'
prefix form by `path()`. AND/OR/NOT come from strawberry-django.
"""

from collections.abc import Callable
from datetime import datetime

import strawberry
import strawberry_django
from django.db.models import Q
from graphql import GraphQLError
from strawberry import auto

from accounts.models import Customer, Opportunity, SalesRep, Segment
from o2c_api.errors import ErrorCode
from receivables import predicates


def path(prefix: str) -> str:
    """strawberry-django's `a__b__` prefix as the predicates' `a__b` path."""
    return prefix.removesuffix("__")


def to_id(value: strawberry.ID) -> int:
    """A filter's ID argument as an integer primary key.

    Raises:
        GraphQLError: code `invalid` (REST answers a malformed filter value with a 400).
    """
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise GraphQLError(
            f"{value!r} is not a valid id.", extensions={"code": ErrorCode.INVALID}
        ) from exc


def filter_id(model, value: strawberry.ID) -> int:
    """`to_id`, a positive one: a filter by a rep, segment, customer, invoice or payment id.

    An id that names no row filters to an empty list, as REST's lists answer it
    (`o2c_api.api.filters.IdChoiceField`): whether a row exists is not a rule of the request.

    Raises:
        GraphQLError: code `invalid` (not a whole number) or `invalid_choice` (not above 0).
    """
    pk = to_id(value)
    if pk < 1:
        raise GraphQLError(
            f"{value!r} is not a {model._meta.verbose_name} id.",
            extensions={"code": ErrorCode.INVALID_CHOICE},
        )
    return pk


def dimension_filter(dimension: str, model=None, via: Callable[[str], str] | None = None):
    """A filter by one KPI dimension (rep, segment, customer, product line), as a field.

    Args:
        dimension: a keyword of `predicates.invoice_dimensions`.
        model: the value is an id of this model (`filter_id`).
        via: turns the filter's prefix into the path to the row holding the dimensions
            (default: the filtered row itself; rows that hang off an invoice pass the path
            through it).
    """
    via = via or path
    if model is None:

        def by_value(self, value: str, prefix: str) -> Q:
            return predicates.invoice_dimensions(via(prefix), **{dimension: value})

        return strawberry_django.filter_field(by_value)

    def by_id(self, value: strawberry.ID, prefix: str) -> Q:
        return predicates.invoice_dimensions(via(prefix), **{dimension: filter_id(model, value)})

    return strawberry_django.filter_field(by_id)


@strawberry_django.filter_type(Segment, lookups=True)
class SegmentFilter:
    id: auto
    code: auto
    name: auto

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return predicates.search(value, predicates.SEARCH_FIELDS["segment"], path(prefix))

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))


@strawberry_django.filter_type(SalesRep, lookups=True)
class SalesRepFilter:
    id: auto
    email: auto
    active: auto

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return predicates.search(value, predicates.SEARCH_FIELDS["salesrep"], path(prefix))

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))


@strawberry_django.filter_type(Customer, lookups=True)
class CustomerFilter:
    id: auto
    external_id: auto
    currency: auto
    on_credit_hold: auto
    credit_limit: auto
    payment_terms_days: auto

    @strawberry_django.filter_field
    def rep(self, value: strawberry.ID, prefix: str) -> Q:
        return predicates.customers_in(path(prefix), rep=filter_id(SalesRep, value))

    @strawberry_django.filter_field
    def segment(self, value: strawberry.ID, prefix: str) -> Q:
        return predicates.customers_in(path(prefix), segment=filter_id(Segment, value))

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return predicates.search(value, predicates.SEARCH_FIELDS["customer"], path(prefix))

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))


@strawberry_django.filter_type(Opportunity, lookups=True)
class OpportunityFilter:
    id: auto
    stage: auto
    currency: auto
    amount: auto
    created_date: auto
    closed_date: auto

    # An opportunity keeps the rep it was created with (the KPI spec's dimension rule).
    rep = dimension_filter("rep", SalesRep)
    segment = dimension_filter("segment", Segment)
    customer = dimension_filter("customer", Customer)

    @strawberry_django.filter_field
    def search(self, value: str, prefix: str) -> Q:
        return predicates.search(value, predicates.SEARCH_FIELDS["opportunity"], path(prefix))

    @strawberry_django.filter_field
    def updated_after(self, value: datetime, prefix: str) -> Q:
        return predicates.updated_after(value, path(prefix))

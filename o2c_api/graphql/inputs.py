"""Turning GraphQL input objects into the keyword arguments the services take."""

import dataclasses

import strawberry
from django.db.models import Model

from o2c_api.graphql.errors import get_object


def service_kwargs(data: object, foreign_keys: dict[str, type[Model]] | None = None) -> dict:
    """The input's fields that were given (not UNSET; None only where sent as null).

    Foreign keys listed in `foreign_keys` (input field -> model) are looked up by id, so the
    services receive model instances; an unknown id is a `does_not_exist` error on that field.
    Fields left at None by default are dropped, so the services' own defaults apply.
    """
    foreign_keys = foreign_keys or {}
    kwargs = {}
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        if value is strawberry.UNSET or (value is None and field.default is None):
            continue
        if field.name in foreign_keys and value is not None:
            value = get_object(foreign_keys[field.name], value, field.name, for_input=True)
        kwargs[field.name] = value
    return kwargs

"""Schema extensions whose switch lives in settings."""

from collections.abc import Iterator

from django.conf import settings
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules


class IntrospectionSwitch(AddValidationRules):
    """Refuse `__schema`/`__type` queries unless `settings.O2C_GRAPHQL_INTROSPECTION` is on.

    The setting is read per operation (not when the schema is built) so that a deployment's
    environment and tests' `override_settings` both take effect. `__typename` stays allowed.
    """

    def __init__(self) -> None:
        super().__init__([NoSchemaIntrospectionCustomRule])

    def on_operation(self) -> Iterator[None]:
        if settings.O2C_GRAPHQL_INTROSPECTION:
            yield
        else:
            yield from super().on_operation()

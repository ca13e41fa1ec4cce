"""Service failures as GraphQL data, with the same codes and messages as the REST API.

Mutations are declared with `handle_django_errors=True`, so strawberry-django turns a Django
`ValidationError` into an `OperationInfo` whose messages carry kind, field (camelCase, as the
GraphQL inputs are named), code and message. `service_errors()` makes sure the other failures
REST answers with a 4xx arrive the same way instead of as an unhandled exception:
`Conflict` keeps its code and names the existing object, IntegrityError becomes `conflict`,
ProtectedError `protected` — never a 500.
"""

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Model, ProtectedError
from graphql import GraphQLError

from o2c_api.errors import Conflict, ErrorCode, database_refusal
from receivables.errors import ErrorCode as ReceivablesCode

logger = logging.getLogger(__name__)

SERVER_ERROR = "Internal error; nothing was saved."
# graphql-core puts its suggestions at the end of most messages, but in the middle of some
# ("... unknown field 'numbr'. Did you mean 'number'? Found: {...}."): a GraphQL name holds
# no "?", so a suggestion ends at the first one.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def formatted(error: GraphQLError) -> dict:
    """An error of an answer as the client sees it: always `extensions.code` and a sentence.

    The code comes from the error (the guards, the scalars, the permission checks and the KPI
    fields set REST's code), else from what raised it: a Django ValidationError keeps its
    code and message; a document that does not parse or validate is `invalid_query` (its
    message says where, without "Did you mean ..." suggestions while introspection is off:
    they would list the schema's names); an input GraphQL could not coerce is `invalid`;
    anything else is `server_error` with a sentence that says nothing internal (the cause is
    logged).
    """
    result = error.formatted
    extensions = dict(result.get("extensions") or {})
    original = error.original_error
    message = error.message
    if "code" not in extensions:
        if isinstance(original, GraphQLError) and "code" in (original.extensions or {}):
            extensions["code"] = original.extensions["code"]
        elif isinstance(original, ValidationError):
            first = original.error_list[0] if not hasattr(original, "error_dict") else None
            if first is None:
                field, errors = next(iter(original.error_dict.items()))
                first = errors[0]
                extensions["field"] = field
            extensions["code"] = first.code or ErrorCode.INVALID
            message = " ".join(first.messages)
        elif isinstance(original, PermissionDenied):
            extensions["code"] = "permission_denied"
            message = "You do not have permission to perform this action."
        elif original is None:
            extensions["code"] = ErrorCode.INVALID_QUERY
        elif isinstance(original, GraphQLError):
            extensions["code"] = ErrorCode.INVALID
        else:
            logger.error("GraphQL resolver failed", exc_info=original)
            extensions["code"] = ErrorCode.SERVER_ERROR
            message = SERVER_ERROR
    if not settings.O2C_GRAPHQL_INTROSPECTION:
        message = _SUGGESTION.sub("", message)
    result["message"] = message
    result["extensions"] = {key: str(v) if key == "code" else v for key, v in extensions.items()}
    return result


@contextmanager
def service_errors() -> Iterator[None]:
    """Re-raise the errors REST maps to 409 as ValidationErrors with REST's codes."""
    try:
        yield
    except Conflict as exc:
        details = "".join(f" ({key} {value})" for key, value in exc.details.items())
        raise ValidationError(" ".join(exc.messages) + details, code=exc.code) from exc
    except (ProtectedError, IntegrityError) as exc:
        raise database_refusal(exc) from exc


def get_object[M: Model](model: type[M], pk, field: str = "id", *, for_input: bool = False) -> M:
    """The `model` row with primary key `pk`, or a ValidationError on `field`.

    Args:
        model: the model class.
        pk: the id as the client sent it.
        field: the input the id came from (names the error).
        for_input: a foreign key in the input (code `does_not_exist`, as DRF's related fields
            say) rather than the object the mutation acts on (code `not_found`, REST's 404).

    Raises:
        ValidationError: the id is malformed or no such row exists.
    """
    from accounts.scoping import scope
    from o2c_api.graphql.permissions import CURRENT_USER

    code = ReceivablesCode.DOES_NOT_EXIST if for_input else ErrorCode.NOT_FOUND
    try:
        # Within what the request's user may see: another customer's row is "no such row".
        return scope(model._default_manager.all(), CURRENT_USER.get()).get(pk=int(pk))
    except (TypeError, ValueError, model.DoesNotExist) as exc:
        name = model._meta.verbose_name
        raise ValidationError({field: ValidationError(f"No {name} with id {pk!r}.", code)}) from exc


def get_optional[M: Model](model: type[M], pk, field: str) -> M | None:
    """Like `get_object` for an optional foreign key input: None stays None."""
    if pk is None:
        return None
    return get_object(model, pk, field, for_input=True)


def fresh[M: Model](obj: M) -> M:
    """`obj` re-read after a service ran, so nested fields show the committed state.

    Services lock and update their own copies of related rows (a dispute's credit note
    updates the invoice row, not the `dispute.invoice` instance already loaded), so the
    instance a service returns may hold stale relations.
    """
    return type(obj)._default_manager.get(pk=obj.pk)

"""The credit-hold part of GraphQL's `createOrder`: the override input and its refusal."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from graphql import GraphQLError
from strawberry.types import Info

from dunning.services import HoldOverride
from o2c_api.errors import ErrorCode
from o2c_api.graphql.permissions import DENIED


def hold_override(info: Info, kwargs: dict) -> HoldOverride | None:
    """Take `credit_hold_override_reason` out of the service arguments as a HoldOverride."""
    reason = kwargs.pop("credit_hold_override_reason", None)
    return None if reason is None else HoldOverride(info.context.request.user, reason)


@contextmanager
def override_refused() -> Iterator[None]:
    """A non-admin's override is a GraphQL error with code `permission_denied` (REST's 403)."""
    try:
        yield
    except PermissionDenied as exc:
        raise GraphQLError(DENIED, extensions={"code": ErrorCode.PERMISSION_DENIED}) from exc

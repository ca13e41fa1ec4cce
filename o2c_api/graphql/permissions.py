"""Role checks for GraphQL fields: the same Django model permissions as REST's RolePermission.

The roles (`accounts.roles`) are groups holding model permissions. A query field needs the
model's `view_` permission, a mutation its `add_` or `change_` permission. A refusal is a
GraphQL error (`data` stays null): anonymous users and missing roles get nothing, exactly as
REST answers 401/403 instead of a body.
"""

from contextvars import ContextVar

from django.db.models import Model, QuerySet
from graphql import GraphQLError
from strawberry.types import Info
from strawberry_django.permissions import HasPerm

from accounts.scoping import scope
from o2c_api.errors import ErrorCode

DENIED = "You do not have permission to perform this action."

# The user of the GraphQL request being executed (set by O2CGraphQLView): the objects a
# mutation acts on or names are looked up within what this user may see (accounts.scoping).
CURRENT_USER: ContextVar = ContextVar("graphql_user", default=None)
NOT_AUTHENTICATED = "Authentication credentials were not provided."


class RolePerm(HasPerm):
    """HasPerm whose refusal is a GraphQL error carrying REST's code.

    `extensions.code` is `not_authenticated` for anonymous requests (REST's 401) and
    `permission_denied` for users whose role lacks the permission (REST's 403).
    """

    def handle_no_permission(self, exception: BaseException, *, info: Info):
        user = getattr(info.context.request, "user", None)
        if user is None or not user.is_authenticated:
            raise GraphQLError(
                NOT_AUTHENTICATED, extensions={"code": ErrorCode.NOT_AUTHENTICATED}
            ) from exception
        raise GraphQLError(DENIED, extensions={"code": ErrorCode.PERMISSION_DENIED}) from exception


def _perm(model: type[Model], action: str) -> list[HasPerm]:
    meta = model._meta
    return [RolePerm(f"{meta.app_label}.{action}_{meta.model_name}", message=DENIED)]


def can_view(model: type[Model]) -> list[HasPerm]:
    """Field extensions requiring `<app>.view_<model>` (every role has it)."""
    return _perm(model, "view")


def can_add(model: type[Model]) -> list[HasPerm]:
    """Field extensions requiring `<app>.add_<model>` (for create mutations)."""
    return _perm(model, "add")


def can_change(model: type[Model]) -> list[HasPerm]:
    """Field extensions requiring `<app>.change_<model>` (updates and state transitions)."""
    return _perm(model, "change")


@classmethod
def scoped_get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
    """A type's `get_queryset`: lists, single objects and relations of a user limited to their
    own customers hold only their customers' rows (accounts.scoping)."""
    return scope(queryset, getattr(info.context.request, "user", None))

"""Authentication backend: Django's ModelBackend, with a user's permissions read in one query."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from accounts.scoping import KPI_PERMISSION, NARROWED_KPI_PERMISSION, SCOPED_PERMISSION


@cache
def _permissions_sql() -> str:
    """The user's own and group permissions as (app_label, codename) rows; params: user id ×2.

    Written once as SQL: built by the ORM on every request, this query cost more Python (about
    1 ms) than the rest of a request's permission checks.
    """
    q = connection.ops.quote_name
    user_model = get_user_model()
    user_permissions = user_model.user_permissions.through._meta.db_table
    user_groups = user_model.groups.through._meta.db_table
    group_permissions = Group.permissions.through._meta.db_table
    return (
        f"SELECT ct.{q('app_label')}, p.{q('codename')} "
        f"FROM {q(Permission._meta.db_table)} p "
        f"JOIN {q(ContentType._meta.db_table)} ct ON ct.{q('id')} = p.{q('content_type_id')} "
        f"WHERE p.{q('id')} IN (SELECT {q('permission_id')} FROM {q(user_permissions)} "
        f"WHERE {q('user_id')} = %s) "
        f"OR p.{q('id')} IN (SELECT gp.{q('permission_id')} FROM {q(group_permissions)} gp "
        f"JOIN {q(user_groups)} ug ON ug.{q('group_id')} = gp.{q('group_id')} "
        f"WHERE ug.{q('user_id')} = %s)"
    )


class RoleBackend(ModelBackend):
    """ModelBackend whose `get_all_permissions` reads the user's own and group (role)
    permissions in one statement instead of two.

    Same answers, same per-request cache (`_perm_cache` on the user object, as ModelBackend):
    a change of role or of a role's permissions takes effect on the next request.
    """

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if (
            not user_obj.is_active
            or user_obj.is_anonymous
            or obj is not None
            or hasattr(user_obj, "_perm_cache")
        ):
            return super().get_all_permissions(user_obj, obj=obj)
        if user_obj.is_superuser:
            rows = Permission.objects.values_list("content_type__app_label", "codename")
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in rows}
            return user_obj._perm_cache
        with connection.cursor() as cursor:
            cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk])
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in cursor}
        if SCOPED_PERMISSION in user_obj._perm_cache and KPI_PERMISSION in user_obj._perm_cache:
            # Limited to their own customers: the reports narrowed to them only, none over
            # every customer (accounts.scoping).
            user_obj._perm_cache -= {KPI_PERMISSION}
            user_obj._perm_cache.add(NARROWED_KPI_PERMISSION)
        return user_obj._perm_cache

"""RoleBackend: ModelBackend's permissions, read in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import RoleBackend
from accounts.scoping import KPI_PERMISSION, NARROWED_KPI_PERMISSION, SCOPED_GROUP, may_view_kpis
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as a new request loads it: no permission cache."""
    return get_user_model().objects.get(pk=user.pk)


def permission(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param(lambda user: None, id="no role"),
        pytest.param(lambda user: user.groups.add(Group.objects.get(name="viewer")), id="role"),
        pytest.param(
            lambda user: user.user_permissions.add(permission("add_dispute")), id="own permission"
        ),
        pytest.param(
            lambda user: (
                user.groups.add(*Group.objects.filter(name__in=["collector", "integration"])),
                user.user_permissions.add(permission("add_dispute"), permission("view_kpis")),
            ),
            id="roles and own permissions, overlapping",
        ),
        pytest.param(lambda user: setattr(user, "is_superuser", True), id="superuser"),
        pytest.param(
            lambda user: (
                user.groups.add(Group.objects.get(name="admin")),
                setattr(user, "is_active", False),
            ),
            id="inactive",
        ),
    ],
)
def test_same_permissions_as_model_backend(setup):
    user = UserFactory()
    setup(user)
    user.save()

    expected = ModelBackend().get_all_permissions(fresh(user))
    user = fresh(user)
    with CaptureQueriesContext(connection) as queries:
        got = RoleBackend().get_all_permissions(user)

    assert got == expected
    assert len(queries) <= 1
    assert RoleBackend().has_perm(user, "receivables.view_invoice") == (
        "receivables.view_invoice" in expected
    )


def test_one_query_per_user_object_then_cached():
    user = fresh(UserFactory(role="integration"))

    with CaptureQueriesContext(connection) as queries:
        assert user.has_perms(["receivables.add_payment", "receivables.view_payment"])
        assert user.has_perm("receivables.change_paymentapplication")
        assert not user.has_perm("receivables.delete_payment")

    assert len(queries) == 1


def test_role_change_seen_by_the_next_request():
    user = UserFactory(role="viewer")
    assert not fresh(user).has_perm("receivables.add_payment")

    user.groups.add(Group.objects.get(name="integration"))

    assert fresh(user).has_perm("receivables.add_payment")


def test_anonymous_and_object_permissions_are_empty():
    user = fresh(UserFactory(role="admin"))

    assert RoleBackend().get_all_permissions(AnonymousUser()) == set()
    assert RoleBackend().get_all_permissions(user, obj=object()) == set()


@pytest.mark.parametrize(
    ("role", "scoped", "kpis", "narrowed"),
    [
        ("viewer", False, True, False),
        ("viewer", True, False, True),
        ("admin", True, False, True),
        (None, True, False, False),
    ],
)
def test_a_scoped_users_kpi_permission_is_the_narrowed_one(role, scoped, kpis, narrowed):
    # The reports narrowed to their customers accept it; the worklist and risk list refuse it.
    user = UserFactory(role=role) if role else UserFactory()
    if scoped:
        user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    user = fresh(user)

    assert user.has_perm(KPI_PERMISSION) is kpis
    assert user.has_perm(NARROWED_KPI_PERMISSION) is narrowed
    assert may_view_kpis(user) is (kpis or narrowed)

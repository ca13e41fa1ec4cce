from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("create_token", *args, stdout=out)
    return out.getvalue()


def test_creates_a_user_in_the_role_and_prints_the_token_alone():
    out = run("--role", "collector", "ann")

    user = get_user_model().objects.get(username="ann")
    assert out == f"{Token.objects.get(user=user).key}\n"
    assert list(user.groups.values_list("name", flat=True)) == ["collector"]
    assert (user.is_staff, user.has_usable_password()) == (False, False)


def test_reuses_the_user_and_its_token():
    first = run("--role", "viewer", "bob")
    second = run("--role", "viewer", "bob")

    assert first == second
    assert get_user_model().objects.filter(username="bob").count() == 1
    assert Token.objects.count() == 1


def test_admin_role_makes_the_user_staff():
    run("--role", "admin", "root")

    user = get_user_model().objects.get(username="root")
    assert user.is_staff is True
    assert user.has_perm("receivables.change_invoice")


def test_unknown_role_is_refused_with_the_list_and_creates_nothing():
    with pytest.raises(CommandError, match="viewer, collector, integration, admin"):
        run("--role", "boss", "carl")

    assert not get_user_model().objects.filter(username="carl").exists()
    assert Token.objects.count() == 0

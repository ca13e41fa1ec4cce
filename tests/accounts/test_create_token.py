"""API tokens: printed once by create_token, stored as a digest only, revoked by command and
admin, shown by prefix; the migration hashes tokens stored in plain text before."""

import hashlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.admin_helpers import admin_url, run_action

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("create_token", *args, stdout=out)
    return out.getvalue()


def status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/segments/").status_code


def test_creates_a_user_in_the_role_and_prints_the_token_alone():
    out = run("--role", "collector", "ann")

    user = get_user_model().objects.get(username="ann")
    key = out.strip()
    assert out == f"{key}\n"
    assert len(key) == 40
    assert list(user.groups.values_list("name", flat=True)) == ["collector"]
    assert (user.is_staff, user.has_usable_password()) == (False, False)
    assert status(key) == 200


def test_only_the_digest_and_prefix_are_stored():
    key = run("--role", "viewer", "bob").strip()

    token = ApiToken.objects.get()
    assert (token.prefix, token.digest) == (key[:8], hashlib.sha256(key.encode()).hexdigest())
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(key in value for value in stored)


def test_reuses_the_user_and_issues_a_new_token_each_time():
    first = run("--role", "viewer", "bob").strip()
    second = run("--role", "viewer", "bob").strip()

    assert first != second
    assert get_user_model().objects.filter(username="bob").count() == 1
    assert ApiToken.objects.count() == 2
    assert (status(first), status(second)) == (200, 200)


def test_admin_role_makes_the_user_staff():
    run("--role", "admin", "root")

    user = get_user_model().objects.get(username="root")
    assert user.is_staff is True
    assert user.has_perm("receivables.change_invoice")


def test_unknown_role_is_refused_with_the_list_and_creates_nothing():
    with pytest.raises(CommandError, match="viewer, collector, integration, admin"):
        run("--role", "boss", "carl")

    assert not get_user_model().objects.filter(username="carl").exists()
    assert ApiToken.objects.count() == 0


def test_revoke_token_by_prefix_stops_only_that_token():
    first = run("--role", "viewer", "bob").strip()
    second = run("--role", "viewer", "bob").strip()
    out = StringIO()

    call_command("revoke_token", "--prefix", first[:8], stdout=out)

    assert out.getvalue() == "Revoked 1 tokens.\n"
    assert (status(first), status(second)) == (401, 200)


def test_revoke_token_by_user_stops_all_its_tokens():
    keys = [run("--role", "viewer", "bob").strip() for _ in range(2)]
    other = run("--role", "viewer", "ann").strip()
    out = StringIO()

    call_command("revoke_token", "--user", "bob", stdout=out)

    assert out.getvalue() == "Revoked 2 tokens.\n"
    assert [status(key) for key in [*keys, other]] == [401, 401, 200]


def test_revoke_token_needs_a_prefix_or_user():
    run("--role", "viewer", "bob")

    with pytest.raises(CommandError, match="--prefix or --user"):
        call_command("revoke_token", stdout=StringIO())

    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 1


def test_admin_lists_tokens_by_prefix_and_revokes_them(admin_client):
    key = run("--role", "viewer", "bob").strip()
    token = ApiToken.objects.get()

    page = admin_client.get(admin_url(ApiToken, "changelist"))
    messages = run_action(admin_client, ApiToken, "revoke", [token])

    assert key[:8] in page.content.decode()
    assert key not in page.content.decode()
    assert messages == ["1 token revoked."]
    assert status(key) == 401
    assert admin_client.get(admin_url(ApiToken, "add")).status_code == 403
    assert admin_client.get(admin_url(ApiToken, "delete", token.pk)).status_code == 403


def test_inactive_user_token_is_refused():
    key = run("--role", "viewer", "bob").strip()
    get_user_model().objects.filter(username="bob").update(is_active=False)

    assert status(key) == 401


# serialized_rollback: its flush must not re-create content types under new ids, which would
# clash with the rows the browser tests restore after it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_hashes_plain_text_tokens():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    # Given the schema before hashed tokens, with a plain-text DRF token
    before = [("accounts", "0004_roles_never_delete_money")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(
        [*before, ("authtoken", "0004_alter_tokenproxy_options")]
    ).apps
    user = old_apps.get_model("auth", "User").objects.create(username="legacy")
    key = "0123456789abcdef0123456789abcdef01234567"
    old_apps.get_model("authtoken", "Token").objects.create(user_id=user.pk, key=key)

    # When the migrations run to the end
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    # Then the key is stored as its digest only, and still authenticates
    from rest_framework.authtoken.models import Token

    assert Token.objects.count() == 0
    token = ApiToken.objects.get()
    assert (token.user.username, token.prefix) == ("legacy", key[:8])
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert status(key) == 403  # authenticated (not 401); the user has no role

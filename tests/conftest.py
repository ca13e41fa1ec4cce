"""Shared fixtures: API clients for each role, and the rollup invariant check."""

import pytest
from rest_framework.test import APIClient

from metrics import rollup
from tests.factories import UserFactory
from tests.tokens import token_for

ROLES = ("viewer", "collector", "integration", "admin")


@pytest.fixture(scope="session", autouse=True)
def per_process_cache(django_db_setup):
    """The suite's cache is per process (module-scoped fixtures included, such as the schema
    generators', whose mock requests count as anonymous): the shared database cache is the
    throttling tests' (tests/api/test_throttling.py) and tests/test_serve.py's. After the test
    database is made, so that its `migrate` creates the database cache's table."""
    from django.test.utils import override_settings

    with override_settings(CACHES={"default": {"BACKEND": LOCMEM}}):
        yield


LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    """No test is throttled unless it sets rates (tests/api/test_throttling.py does): the
    suite makes hundreds of requests a second from one address and one token."""
    from django.core.cache import cache

    settings.O2C_THROTTLE_RATES = {"client": None, "anon": None, "failed_auth": None}
    cache.clear()  # each test starts with an empty (per-process) cache


@pytest.fixture
def make_client(db):
    """`make_client("viewer")` returns an APIClient authenticated by token with that role."""

    def make(role: str | None = None) -> APIClient:
        client = APIClient()
        if role is not None:
            user = UserFactory(username=f"{role}-user", role=role)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
            client.user = user
        return client

    return make


@pytest.fixture
def api(make_client):
    """An admin-role client: the default for tests not about permissions."""
    return make_client("admin")


def assert_rollup_matches_source() -> None:
    """The KPI rollup (AR and every other fact) equals a recomputation from the source rows."""
    assert rollup.differences() == []


@pytest.fixture
def check_rollup():
    return assert_rollup_matches_source


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a test with `serialized_rollback`, drop the content types (and their
    permissions), which its setup restores from the serialized database under their own ids.

    A transactional test without it that ran before flushed the database, and its flush
    re-created the content types under new ids, so restoring the serialized rows would clash on
    (app_label, model): the browser tests and the token migration's test errored whenever
    integrations' or receivables' transactional tests ran before them in one session. Only
    once the test database exists (`_test_serialized_contents`), and between tests, where the
    tables hold nothing but what the migrations or that flush made.
    """
    marker = item.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("serialized_rollback"):
        return
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    if not hasattr(connection, "_test_serialized_contents"):
        return
    with item.config.stash[blocking_manager_key].unblock():
        ContentType.objects.all().delete()


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks: skip them on SQLite.

    CI sets O2C_REQUIRE_POSTGRES=1 for its PostgreSQL run, where a skip would hide that the
    concurrency tests did not run; there a database other than PostgreSQL stops the run.
    """
    import os

    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            if os.environ.get("O2C_REQUIRE_POSTGRES") == "1":
                item.add_marker(
                    pytest.mark.xfail(reason="needs PostgreSQL", strict=True, run=False)
                )
            else:
                item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (row locks)"))

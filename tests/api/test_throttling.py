"""Rate limits (o2c_api/api/throttling.py), failed admin sign-ins (django-axes) and who may read
the API docs. The suite runs unthrottled (tests/conftest.py); these tests set the rates."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from rest_framework.test import APIClient

from o2c_api import caches
from tests.api.conftest import snapshot
from tests.factories import UserFactory
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

THROTTLED = {
    "code": "throttled",
    "field": None,
}


@pytest.fixture
def rates(settings):
    # The production default: counters in the database cache, which every worker shares.
    settings.CACHES = {"default": caches.from_url(None)}

    def set_rates(client=None, anon=None, failed_auth=None):
        settings.O2C_THROTTLE_RATES = {"client": client, "anon": anon, "failed_auth": failed_auth}

    return set_rates


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    (error,) = response.json()["errors"]
    assert {key: error[key] for key in THROTTLED} == THROTTLED
    assert error["message"].startswith("Request was throttled.")


def test_a_token_over_its_rate_is_429_and_another_token_is_not(rates, make_client):
    rates(client="3/min")
    first, second = make_client("viewer"), make_client("collector")

    answers = [first.get("/api/v1/segments/").status_code for _ in range(3)]
    refused = first.get("/api/v1/segments/")

    assert answers == [200, 200, 200]
    assert_throttled(refused)
    assert second.get("/api/v1/segments/").status_code == 200


def test_a_throttled_write_changes_nothing(rates, make_client):
    rates(client="1/min")
    client = make_client("admin")
    client.get("/api/v1/segments/")
    before = snapshot()

    refused = client.post("/api/v1/segments/", {"name": "SMB", "code": "SMB"}, format="json")

    assert_throttled(refused)
    assert snapshot() == before


def test_anonymous_requests_are_429_over_the_anonymous_rate(rates):
    rates(anon="2/min")
    client = APIClient()

    answers = [client.get("/api/v1/invoices/").status_code for _ in range(2)]

    assert answers == [401, 401]
    assert_throttled(client.get("/api/v1/invoices/"))


def test_bad_tokens_are_429_after_the_failed_attempt_rate(rates):
    rates(failed_auth="5/min")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")

    answers = [client.get("/api/v1/invoices/").status_code for _ in range(5)]

    assert answers == [401] * 5
    assert_throttled(client.get("/api/v1/invoices/"))


def test_a_good_token_still_works_from_an_address_with_failed_attempts(rates):
    rates(failed_auth="1/min")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token nope")
    bad.get("/api/v1/invoices/")
    good = APIClient()
    good.credentials(HTTP_AUTHORIZATION=f"Token {token_for(UserFactory(role='viewer'))}")

    assert bad.get("/api/v1/invoices/").status_code == 429
    assert good.get("/api/v1/invoices/").status_code == 200


def test_graphql_is_throttled_per_token_with_the_code(rates, make_client):
    rates(client="1/min")
    client = make_client("viewer")
    query = {"query": "{ segments { totalCount } }"}

    assert client.post("/graphql/", query, format="json").status_code == 200
    refused = client.post("/graphql/", query, format="json")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json()["errors"][0]["extensions"] == {"code": "throttled"}


def test_graphql_bad_tokens_and_anonymous_requests_are_throttled(rates):
    rates(anon="1/min", failed_auth="1/min")
    query = {"query": "{ segments { totalCount } }"}
    bad, anonymous = APIClient(), APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token nope")

    assert bad.post("/graphql/", query, format="json").status_code == 401
    assert anonymous.post("/graphql/", query, format="json").json()["errors"][0]["extensions"] == {
        "code": "not_authenticated"
    }
    assert bad.post("/graphql/", query, format="json").status_code == 429
    assert anonymous.post("/graphql/", query, format="json").status_code == 429


def test_rates_come_from_the_environment(monkeypatch):
    from o2c_api.settings import throttle_rate

    monkeypatch.setenv("O2C_THROTTLE_CLIENT", "10/sec")
    monkeypatch.setenv("O2C_THROTTLE_ANON", "off")

    assert throttle_rate("O2C_THROTTLE_CLIENT", "1200/min") == "10/sec"
    assert throttle_rate("O2C_THROTTLE_ANON", "60/min") is None
    assert throttle_rate("O2C_THROTTLE_UNSET_FOR_TEST", "60/min") == "60/min"


# --- failed admin sign-ins (django-axes) ----------------------------------------------------


def test_repeated_failed_admin_logins_lock_the_account_out(settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(username="boss", is_staff=True, is_superuser=True)
    user.set_password("right-password-1")
    user.save()
    client = Client()

    failures = [
        client.post("/admin/login/", {"username": "boss", "password": "wrong"}).status_code
        for _ in range(3)
    ]
    locked = client.post("/admin/login/", {"username": "boss", "password": "right-password-1"})

    assert failures == [200, 200, 429]
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert get_user_model().objects.get(username="boss").last_login is None


def test_a_good_login_below_the_limit_works(settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(username="boss", is_staff=True)
    user.set_password("right-password-1")
    user.save()
    client = Client()

    client.post("/admin/login/", {"username": "boss", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "boss", "password": "right-password-1"})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


# --- the API docs -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_are_public_when_configured(settings, url):
    settings.O2C_PUBLIC_API_DOCS = True

    assert APIClient().get(url).status_code == 200


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_docs_need_a_user_when_not_public(settings, make_client, url):
    settings.O2C_PUBLIC_API_DOCS = False

    assert APIClient().get(url).status_code == 401
    assert make_client("viewer").get(url).status_code == 200


def test_docs_are_off_for_anonymous_users_by_default_in_production(monkeypatch):
    import importlib

    import o2c_api.settings as module

    monkeypatch.setenv("O2C_PRODUCTION", "1")
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.delenv("O2C_PUBLIC_API_DOCS", raising=False)
    monkeypatch.delenv("DEBUG", raising=False)
    try:
        production = importlib.reload(module)
        assert (production.DEBUG, production.O2C_PUBLIC_API_DOCS) == (False, False)
    finally:
        monkeypatch.undo()
        importlib.reload(module)


# --- The shared cache (o2c_api/caches.py) ---------------------------------------------------


def test_two_processes_share_the_throttle_counters(settings, rates, make_client):
    """Two cache clients, as two gunicorn workers hold them, count one client's requests
    together: the rate is per client, not per worker."""
    from rest_framework.test import APIRequestFactory

    from o2c_api.api.throttling import AnonRateThrottle

    rates(anon="3/min")
    request = APIRequestFactory().get("/api/v1/", REMOTE_ADDR="203.0.113.9")
    workers = [caches.UpsertDatabaseCache(caches.DEFAULT_TABLE, {}) for _ in range(2)]

    def allowed(worker) -> bool:
        throttle = AnonRateThrottle()
        throttle.cache = worker
        return throttle.allow_request(request, None)

    answers = [allowed(workers[n % 2]) for n in range(4)]

    assert workers[0] is not workers[1]
    assert answers == [True, True, True, False]
    key = AnonRateThrottle().get_cache_key(request, None)
    assert len(workers[0].get(key)) == len(workers[1].get(key)) == 3


def test_the_cache_is_the_database_by_default_and_redis_when_configured():
    assert caches.from_url(None) == {
        "BACKEND": "o2c_api.caches.UpsertDatabaseCache",
        "LOCATION": "o2c_cache",
    }
    assert caches.from_url("db://shared")["LOCATION"] == "shared"
    assert caches.from_url("redis://cache:6379/1") == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache:6379/1",
    }
    assert caches.from_url("locmem://")["BACKEND"].endswith("LocMemCache")
    with pytest.raises(ImproperlyConfigured):
        caches.from_url("memcached://x")


def test_a_cache_write_is_one_statement_and_culls_now_and_then(settings):
    """The database cache's `set` is one upsert; the row count (for culling) is read on
    every CULL_EVERY-th write of a process, not on each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache = caches.UpsertDatabaseCache(caches.DEFAULT_TABLE, {"OPTIONS": {"MAX_ENTRIES": 2}})
    cache._writes = itertools.count(1)  # the next write is not a culling one

    with CaptureQueriesContext(connection) as writes:
        for n in range(3):
            cache.set(f"k{n}", [n], 60)
            cache.set(f"k{n}", [n, n], 60)
    assert len(writes) == 6
    assert [cache.get(f"k{n}") for n in range(3)] == [[0, 0], [1, 1], [2, 2]]

    cache._writes = itertools.count(0)  # the next write culls: 4 rows > MAX_ENTRIES 2
    with CaptureQueriesContext(connection) as culling:
        cache.set("k3", [3], 60)
    assert any(q["sql"].startswith("SELECT COUNT(*)") for q in culling.captured_queries)
    assert cache.get("k3") == [3]
    assert sum(cache.get(f"k{n}") is not None for n in range(4)) < 4


def test_migrate_creates_the_cache_table():
    from django.db import connection

    assert caches.DEFAULT_TABLE in connection.introspection.table_names()


def test_failed_sign_ins_are_counted_in_the_database_every_worker_shares(settings):
    # django-axes keeps its failure counts with its database handler, not in the cache.
    assert getattr(settings, "AXES_HANDLER", "axes.handlers.database.AxesDatabaseHandler") == (
        "axes.handlers.database.AxesDatabaseHandler"
    )


@pytest.mark.postgres
def test_the_cache_table_is_unlogged_on_postgresql():
    # Its writes (a counter per request) wait for no WAL flush (o2c_api/caches.py).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = %s", ["o2c_cache"])
        assert cursor.fetchone() == ("u",)

"""The cache every app server process shares: throttle counters and replica pins.

gunicorn runs several worker processes (and a deployment several servers). A per-process
cache (Django's default, local memory) would give each of them its own throttle counters, so
a client would get N times its rate limit and a replica pin would hold only in the process
that saw the write. So the default is a cache in the database, which every process already
shares, with no extra server: Django's DatabaseCache, table `o2c_cache`, created after
`migrate` (`create_cache_tables`, run on `post_migrate`: `make serve`, `make demo` and the test
database all migrate). `CACHE_URL` switches it:

    db://                 the default: DatabaseCache in table o2c_cache
    db://my_table         DatabaseCache in another table
    redis://host:6379/0   Redis (rediss:// with TLS; needs `pip install redis`)
    locmem://             per process (one process only: tests, a shell)

`REDIS_URL` (the older setting) is read when `CACHE_URL` is absent.

The database cache is `UpsertDatabaseCache`: Django's DatabaseCache, whose `set` (every
throttled request writes its counter) is one statement instead of five.
"""

import base64
import itertools
import pickle
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, router
from django.utils.timezone import now as tz_now

DEFAULT_TABLE = "o2c_cache"
DATABASE_CACHE = "o2c_api.caches.UpsertDatabaseCache"


class UpsertDatabaseCache(DatabaseCache):
    """DatabaseCache whose `set` is one INSERT ... ON CONFLICT DO UPDATE statement.

    Django's `set` counts the table's rows (to cull), then, in a transaction, reads the key
    and updates or inserts it: five round trips on every throttled request. The upsert is
    atomic on its own, so it needs no transaction; the count and the cull run on every
    `CULL_EVERY`-th write of a process instead of every write (the table may then exceed
    MAX_ENTRIES by the writes in between, which a cache of rate counters can afford).
    `add` and `touch` are Django's.
    """

    CULL_EVERY = 100
    _writes = itertools.count()

    def _base_set(self, mode, key, value, timeout=DEFAULT_TIMEOUT):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        if mode != "set" or connection.vendor not in ("postgresql", "sqlite"):
            return super()._base_set(mode, key, value, timeout)
        timeout = self.get_backend_timeout(timeout)
        tz = UTC if settings.USE_TZ else None
        if timeout is None:
            expires = datetime.max.replace(tzinfo=tz)
        else:
            expires = datetime.fromtimestamp(timeout, tz=tz)
        expires = connection.ops.adapt_datetimefield_value(expires.replace(microsecond=0))
        encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
        table = connection.ops.quote_name(self._table)
        with connection.cursor() as cursor:
            if next(self._writes) % self.CULL_EVERY == 0:
                cursor.execute(f"SELECT COUNT(*) FROM {table}")
                count = cursor.fetchone()[0]
                if count > self._max_entries:
                    self._cull(db, cursor, tz_now().replace(microsecond=0), count)
            try:
                cursor.execute(
                    f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "
                    "ON CONFLICT (cache_key) DO UPDATE "
                    "SET value = excluded.value, expires = excluded.expires",
                    [key, encoded, expires],
                )
            except DatabaseError:
                return False  # as Django's: a cache write may fail silently
        return True


def from_url(url: str | None) -> dict:
    """The `CACHES["default"]` of a `CACHE_URL` (see the module doc); None or "": db://.

    Raises:
        ImproperlyConfigured: an unknown scheme.
    """
    parts = urlsplit(url or "db://")
    if parts.scheme == "db":
        return {
            "BACKEND": DATABASE_CACHE,
            "LOCATION": parts.netloc or DEFAULT_TABLE,
        }
    if parts.scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if parts.scheme == "locmem":
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": parts.netloc,
        }
    raise ImproperlyConfigured(
        f"CACHE_URL {url!r}: use db://[table], redis://host:port/db, rediss://… or locmem://."
    )


def create_cache_tables(using: str = "default", **kwargs) -> None:
    """Create the DatabaseCache tables that do not exist yet (Django's `createcachetable`);
    connected to `post_migrate`, so every `migrate` leaves the cache ready.

    On PostgreSQL the tables are UNLOGGED: a throttled request writes its counter on every
    request, and a transaction that changes only unlogged tables commits without waiting for
    a WAL flush (a throttle's get and set, measured on a busy 2-core machine: 33 ms logged,
    21-24 ms unlogged; mostly the five round trips, which Redis saves: docs/scaling.md).
    An unlogged table is emptied after a crash and not copied to replicas: what a cache of
    rate counters and replica pins can afford (the router reads it on the primary).
    """
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    call_command("createcachetable", database=using, verbosity=0)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    tables = {
        cache["LOCATION"]
        for cache in settings.CACHES.values()
        if cache["BACKEND"] in (DATABASE_CACHE, "django.core.cache.backends.db.DatabaseCache")
    }
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in sorted(tables & existing):
            cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} SET UNLOGGED")

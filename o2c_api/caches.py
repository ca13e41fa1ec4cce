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
"""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

DEFAULT_TABLE = "o2c_cache"


def from_url(url: str | None) -> dict:
    """The `CACHES["default"]` of a `CACHE_URL` (see the module doc); None or "": db://.

    Raises:
        ImproperlyConfigured: an unknown scheme.
    """
    parts = urlsplit(url or "db://")
    if parts.scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
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
    connected to `post_migrate`, so every `migrate` leaves the cache ready."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)

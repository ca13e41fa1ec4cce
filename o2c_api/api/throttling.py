"""Rate limits (issue 12): per client, for anonymous requests, and for failed token attempts.

Rates come from `settings.O2C_THROTTLE_RATES` (`"1200/min"`; None means no limit), read when a
request is checked, so deployments (env) and tests (`settings` fixture) set them. A refused
request is a 429 in the error shape with code `throttled` and a `Retry-After` header.

- `client`: every authenticated request, counted per API token (per user for a session), by
  DRF's throttling (`DEFAULT_THROTTLE_CLASSES`) after authentication and permissions.
- `anon` and `failed_auth` are counted per client address *during authentication*: DRF checks
  permissions before throttles, so an anonymous request would be a 401 before any throttle
  ran, and 300 bad tokens would be 300 401s. `AnonymousRateLimit` (the last authenticator,
  reached only when no credentials were sent) and `HashedTokenAuthentication` (on a bad token)
  refuse with 429 once the address is over its rate.

Counters live in Django's default cache: per process with the default local-memory cache, so
with N workers a client gets up to N times the rate; point CACHES at a shared cache for exact
limits.
"""

from django.conf import settings
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle


class SettingsRateThrottle(SimpleRateThrottle):
    """A SimpleRateThrottle whose rate is `settings.O2C_THROTTLE_RATES[scope]`, read per use."""

    def get_rate(self) -> str | None:
        return settings.O2C_THROTTLE_RATES.get(self.scope)


class ClientRateThrottle(SettingsRateThrottle):
    """Requests of one API token (or one signed-in user without a token)."""

    scope = "client"

    def get_cache_key(self, request, view) -> str | None:
        from accounts.models import ApiToken

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        auth = getattr(request, "auth", None)
        ident = f"token-{auth.pk}" if isinstance(auth, ApiToken) else f"user-{user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(SettingsRateThrottle):
    """Requests from one client address (X-Forwarded-For as DRF's NUM_PROXIES allows)."""

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AnonRateThrottle(AddressRateThrottle):
    scope = "anon"


class FailedAuthRateThrottle(AddressRateThrottle):
    scope = "failed_auth"


def check(throttle: SimpleRateThrottle, request, view=None) -> None:
    """Count the request against `throttle`.

    Raises:
        Throttled: over the rate (429 with Retry-After).
    """
    if not throttle.allow_request(request, view):
        raise Throttled(wait=throttle.wait())


class AnonymousRateLimit(BaseAuthentication):
    """The last authenticator: reached when no other one found credentials, it authenticates
    nobody but counts the anonymous request against the `anon` rate (429 over it)."""

    def authenticate(self, request):
        check(AnonRateThrottle(), request)
        return

"""Token authentication against hashed keys (`accounts.tokens`), for REST and GraphQL."""

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts import tokens
from o2c_api.api.throttling import FailedAuthRateThrottle, check


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>` scheme, looking the key up by its digest.

    Same header, same 401 answers as DRF's TokenAuthentication; a revoked token is unknown.
    Failed attempts count per client address: over the `failed_auth` rate they are 429
    (`o2c_api.api.throttling`), so keys cannot be guessed at speed.
    """

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            check(FailedAuthRateThrottle(), request)
            raise

    def authenticate_credentials(self, key):
        token = tokens.authenticate(key)
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return token.user, token

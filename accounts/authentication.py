"""Token authentication against hashed keys (`accounts.tokens`), for REST and GraphQL."""

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts import tokens


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token <key>` scheme, looking the key up by its digest.

    Same header, same 401 answers as DRF's TokenAuthentication; a revoked token is unknown.
    """

    def authenticate_credentials(self, key):
        token = tokens.authenticate(key)
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return token.user, token

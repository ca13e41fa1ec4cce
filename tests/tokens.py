"""The one place tests get API tokens: keys are stored hashed, so a test keeps the key it is
given here (there is no reading it back from the database)."""

from accounts.tokens import create_token


def token_for(user) -> str:
    """A new API token key for `user`."""
    return create_token(user)


def token_header(user) -> dict:
    """The `Authorization` header of a new token for `user`, as test-client keyword args."""
    return {"HTTP_AUTHORIZATION": f"Token {token_for(user)}"}

"""API tokens: issued once, stored as a SHA-256 digest, revoked by prefix or user.

A key is 40 random hex characters (160 bits): a plain, unsalted SHA-256 of it cannot be
reversed or guessed, and one indexed lookup authenticates a request (a slow password hash
would cost every request its time for no gain at this entropy).
"""

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken
from accounts.roles import ROLES

PREFIX_LENGTH = 8


def digest(key: str) -> str:
    """The stored form of a token key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(user) -> str:
    """Issue a new token to `user`; returns its key, which is stored nowhere."""
    key = secrets.token_hex(20)
    ApiToken.objects.create(user=user, prefix=key[:PREFIX_LENGTH], digest=digest(key))
    return key


def authenticate(key: str) -> ApiToken | None:
    """The live token whose key is `key` (with its user), or None."""
    return (
        ApiToken.objects.select_related("user")
        .filter(digest=digest(key), revoked_at__isnull=True)
        .first()
    )


def revoke(*, prefix: str | None = None, username: str | None = None) -> int:
    """Revoke the live tokens with this key prefix and/or of this user; returns how many."""
    if not prefix and not username:
        raise ValueError("Name a token prefix or a username.")
    tokens = ApiToken.objects.filter(revoked_at__isnull=True)
    if prefix:
        tokens = tokens.filter(prefix=prefix[:PREFIX_LENGTH])
    if username:
        tokens = tokens.filter(user__username=username)
    return tokens.update(revoked_at=timezone.now())


@transaction.atomic
def issue_token(username: str, role: str) -> str:
    """Create or reuse `username`, put it in the `role` group, and return a new API token key.

    An existing user keeps its other groups and its other tokens (revoke them with
    `revoke_token`); the admin role also makes the user staff (the Django admin shows it what
    the role's permissions allow).

    Raises:
        ValueError: unknown role.
    """
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()  # an API user signs in with its token only
    if role == "admin":
        user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return create_token(user)

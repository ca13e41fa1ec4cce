"""API users: a user in one role group, with a DRF token (used by commands and the demo)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.roles import ROLES


@transaction.atomic
def issue_token(username: str, role: str) -> str:
    """Create or reuse `username`, put it in the `role` group, and return its API token key.

    An existing user keeps its other groups and its token; the admin role also makes the user
    staff (the Django admin shows it what the role's permissions allow).

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
    token, _ = Token.objects.get_or_create(user=user)
    return token.key

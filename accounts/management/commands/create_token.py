"""`manage.py create_token --role ROLE USERNAME`: an API user with a role, and its token."""

from django.core.management.base import BaseCommand, CommandError

from accounts.roles import ROLES
from accounts.tokens import issue_token


class Command(BaseCommand):
    help = (
        "Create (or reuse) a user in a role group and print a new API token alone on stdout "
        "(shown this once: only its digest is stored). "
        f"Roles: {', '.join(ROLES)}."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"One of {', '.join(ROLES)}.")

    def handle(self, *args, username, role, **options):
        if role not in ROLES:
            raise CommandError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
        self.stdout.write(issue_token(username, role))

"""`manage.py revoke_token (--prefix PREFIX | --user USERNAME)`: stop tokens working."""

from django.core.management.base import BaseCommand, CommandError

from accounts.tokens import revoke


class Command(BaseCommand):
    help = (
        "Revoke API tokens: the one whose key starts with PREFIX (as the admin lists them), "
        "or every token of USERNAME. Prints how many were revoked."
    )

    def add_arguments(self, parser):
        parser.add_argument("--prefix", help="The token's first 8 characters.")
        parser.add_argument("--user", dest="username", help="Revoke all of this user's tokens.")

    def handle(self, *args, prefix, username, **options):
        if not prefix and not username:
            raise CommandError("Give --prefix or --user.")
        count = revoke(prefix=prefix, username=username)
        self.stdout.write(f"Revoked {count} tokens.")

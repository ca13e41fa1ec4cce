"""Write the GraphQL SDL to schema.graphql (the committed contract; a test checks drift)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from o2c_api.schema import sdl


class Command(BaseCommand):
    help = "Export the GraphQL schema (SDL) to schema.graphql at the repository root."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", default=str(settings.BASE_DIR / "schema.graphql"))

    def handle(self, *args, output: str, **options) -> None:
        Path(output).write_text(sdl(), encoding="utf-8")
        self.stdout.write(f"GraphQL schema written to {output}")

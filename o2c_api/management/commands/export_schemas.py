"""Write the API schemas into the repository: docs/openapi.yaml and, once GraphQL exists,
schema.graphql. `--check` writes nothing and fails when a committed file differs."""

import importlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer

OPENAPI_PATH = Path("docs") / "openapi.yaml"
GRAPHQL_PATH = Path("schema.graphql")


def render_openapi() -> str:
    """The OpenAPI 3 document of the REST API, as YAML (what /api/schema/ serves).

    Without a request the generator authenticates a mock anonymous request per view: those
    are not clients, so they are not counted against a rate (nor need the shared cache's
    table, which a fresh checkout has not migrated yet).
    """
    unthrottled = dict.fromkeys(settings.O2C_THROTTLE_RATES)
    with override_settings(O2C_THROTTLE_RATES=unthrottled):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


def render_graphql() -> str | None:
    """The GraphQL SDL, or None while `o2c_api.schema` does not exist."""
    try:
        module = importlib.import_module("o2c_api.schema")
    except ModuleNotFoundError as exc:
        if exc.name != "o2c_api.schema":
            raise
        return None
    schema = getattr(module, "schema", None)
    return None if schema is None else schema.as_str() + "\n"


def rendered_schemas() -> dict[Path, str]:
    """Every exported schema by its path relative to the repository root."""
    documents = {OPENAPI_PATH: render_openapi()}
    graphql = render_graphql()
    if graphql is not None:
        documents[GRAPHQL_PATH] = graphql
    return documents


class Command(BaseCommand):
    help = "Export the OpenAPI schema (docs/openapi.yaml) and the GraphQL SDL (schema.graphql)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Fail if a committed schema is out of date."
        )

    def handle(self, *args, check: bool = False, **options):
        stale = []
        for relative, text in rendered_schemas().items():
            path = Path(settings.BASE_DIR) / relative
            if check:
                if not path.exists() or path.read_text() != text:
                    stale.append(str(relative))
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            self.stdout.write(f"Wrote {relative}")
        if stale:
            raise CommandError(f"Out of date: {', '.join(stale)}; run `make schema`.")

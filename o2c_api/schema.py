"""The GraphQL schema: each app's Query and Mutation merged, plus the optimizer and limits.

To add an app, append its `graphql.schema` module (which defines `Query` and optionally
`Mutation`) to `APP_SCHEMAS`; the merged root types inherit every field. `metrics.graphql.schema`
joins when it exists, so the KPI engine's fields appear without touching this file.
"""

from importlib import import_module

import strawberry
from django.conf import settings
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.printer import print_schema
from strawberry.tools import merge_types
from strawberry_django.optimizer import DjangoOptimizerExtension

from accounts.graphql import schema as accounts_schema
from dashboard.graphql import schema as dashboard_schema
from dunning.graphql import schema as dunning_schema
from o2c_api.graphql import scalars
from o2c_api.graphql.extensions import IntrospectionSwitch
from o2c_api.graphql.guard import RequestGuard
from receivables.graphql import schema as receivables_schema

APP_SCHEMAS = [accounts_schema, receivables_schema, dashboard_schema, dunning_schema]
try:
    APP_SCHEMAS.append(import_module("metrics.graphql.schema"))
except ModuleNotFoundError as exc:
    # Only a missing metrics GraphQL module is expected; a broken one must fail loudly.
    if exc.name not in ("metrics.graphql", "metrics.graphql.schema"):
        raise
APP_SCHEMAS.append(import_module("outlook.graphql.schema"))

# The worklist app's fields (risk, riskBacktest, worklist).
APP_SCHEMAS.append(import_module("worklist.graphql.schema"))
APP_SCHEMAS.append(import_module("integrations.graphql.schema"))

QUERIES = [module.Query for module in APP_SCHEMAS]
MUTATIONS = [module.Mutation for module in APP_SCHEMAS if hasattr(module, "Mutation")]

Query = merge_types("Query", tuple(QUERIES))
Mutation = merge_types("Mutation", tuple(MUTATIONS))

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    # Factories: a fresh extension per request, built from the settings of that moment.
    extensions=[
        DjangoOptimizerExtension,
        lambda: QueryDepthLimiter(max_depth=settings.O2C_GRAPHQL_MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=settings.O2C_GRAPHQL_MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=settings.O2C_GRAPHQL_MAX_TOKENS),
        IntrospectionSwitch,
        # NUL bytes, malformed ids and the cost budget, checked before anything runs.
        RequestGuard,
    ],
    # Date, DateTime and Decimal bounded and coded as REST's fields (o2c_api.bounds).
    scalar_overrides=scalars.OVERRIDES,
)


def sdl() -> str:
    """The schema in SDL, as committed to `schema.graphql`."""
    return print_schema(schema) + "\n"

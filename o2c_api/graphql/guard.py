"""Checks of a GraphQL request that run before anything executes: text, ids and cost.

`RequestGuard` adds one validation rule per operation (it needs the request's variables, so
it is built per request). It refuses, with a coded error and nothing run:

- a string holding a NUL byte, in the document or in the variables
  (`null_characters_not_allowed`, as REST's fields and filters answer);
- an `id` argument that is not a positive whole number (`not_found`, REST's 404 for
  `/invoices/abc/`): strawberry-django would otherwise hand "abc" to the database;
- an id a list filter compares (`filters: {id: {exact: "abc"}}`, `inList`, in AND/OR/NOT, in
  the document or its variables) that is not a whole number (`invalid`) or not a positive
  one within bigint (`invalid_choice`), as the filters' other ids are answered;
- a document whose cost is over `settings.O2C_GRAPHQL_MAX_COST` (`query_too_costly`).

Cost (computed from the document and its variables, never by running it), counted like
GitHub's node limit: a list (a field with a page size: `limit`, or `pagination: {limit}`; the
default page when absent) costs one per row it may return, times the rows of every list it is
nested in; a KPI series costs `POINT_COST` per point (keys × sub-periods,
`metrics.scope.point_count`), a breakdown `GROUP_COST` per group of its page; every other field
of the root costs 1 (the other fields cost nothing: the optimizer fetches them with their
rows). Aliases count each time: thirty aliases of a ten-year weekly series cost thirty series.

The weights are measured: a ten-year weekly series (523 points) and the default three-level
nesting (customers › invoices › applications, 50 each: 127,550 rows) both take a second or
two on the benchmark database, so a point weighs about 200 rows; the default budget,
300,000, admits two such series (or 100 customers › 50 invoices › 50 applications, 255,100)
but not three.
"""

import re
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLID,
    GraphQLObjectType,
    InlineFragmentNode,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from metrics.scope import build_scope, point_count
from o2c_api.bounds import MAX_ID, NUL_MESSAGE
from o2c_api.errors import ErrorCode

POINT_COST = 200
GROUP_COST = 200
# Fields whose cost is their points or groups (camelCase, as in the schema).
SERIES_FIELDS = {"kpiSeries", "kpiSeriesMany"}
BREAKDOWN_FIELDS = {"kpiBreakdown"}
BREAKDOWN_DEFAULT_LIMIT = 20
MAX_PAGE = 500

_ID = re.compile(r"[1-9][0-9]{0,18}")


def _page_size(arguments: dict) -> int | None:
    limit = arguments.get("limit")
    pagination = arguments.get("pagination")
    if isinstance(pagination, dict):
        limit = pagination.get("limit", limit)
    if "limit" not in arguments and not isinstance(pagination, dict):
        return None
    maximum = settings.STRAWBERRY_DJANGO["PAGINATION_MAX_LIMIT"]
    if not isinstance(limit, int) or limit < 0:
        return settings.STRAWBERRY_DJANGO["PAGINATION_DEFAULT_LIMIT"]
    return min(limit, maximum)


def series_points(arguments: dict, keys: int) -> int:
    """The points a series field's arguments ask for (1 when they are invalid: the field
    refuses them itself, with its own error)."""
    interval = str(arguments.get("interval") or "MONTH").lower()
    try:
        scope = build_scope(start=arguments.get("start"), end=arguments.get("end"))
    except ValidationError:
        return 1
    return max(keys, 1) * point_count(scope.period, interval)


def _is_paginated(field_def) -> bool:
    args = field_def.args
    return "limit" in args or "pagination" in args


class RequestGuard(SchemaExtension):
    """Adds the guard rule (text, ids, cost) to the validation of each operation."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        variables = context.variables or {}
        context.validation_rules = (*context.validation_rules, _rule(variables))
        yield


def _rule(variables: dict) -> type[ValidationRule]:
    class GuardRule(ValidationRule):
        def enter_operation_definition(self, node, *_args):
            for name, value in variables.items():
                if _has_nul(value):
                    self.report_error(
                        GraphQLError(
                            f"Variable ${name}: {NUL_MESSAGE}",
                            node,
                            extensions={"code": ErrorCode.NULL_CHARACTERS},
                        )
                    )
            schema = self.context.schema
            root = {
                "query": schema.query_type,
                "mutation": schema.mutation_type,
                "subscription": schema.subscription_type,
            }[node.operation.value]
            if root is None:
                return
            cost = self._cost(node.selection_set, root, set(), 1, root=True)
            budget = settings.O2C_GRAPHQL_MAX_COST
            if cost > budget:
                self.report_error(
                    GraphQLError(
                        f"This request would cost {cost}, over the limit of {budget}: ask for "
                        "smaller pages, fewer or shorter series, or split it in several "
                        "requests. Nothing was run.",
                        node,
                        extensions={"code": ErrorCode.QUERY_TOO_COSTLY, "cost": cost},
                    )
                )

        def enter_string_value(self, node, *_args):
            if "\x00" in node.value:
                self.report_error(
                    GraphQLError(NUL_MESSAGE, node, extensions={"code": ErrorCode.NULL_CHARACTERS})
                )

        def enter_argument(self, node, *_args):
            definition = self.context.get_argument()
            if definition is None:
                return
            value = value_from_ast_untyped(node.value, variables)
            for pk in _lookup_ids(value, definition.type):
                self._check_lookup_id(pk, node)
            if node.name.value != "id" or get_named_type(definition.type) is not GraphQLID:
                return
            if value is None:
                return
            text = str(value)
            if not _ID.fullmatch(text) or int(text) > MAX_ID:
                self.report_error(
                    GraphQLError(
                        f"No object has the id {value!r}: an id is a positive whole number.",
                        node,
                        extensions={"code": ErrorCode.NOT_FOUND, "field": "id"},
                    )
                )

        def _check_lookup_id(self, pk, node) -> None:
            """An id a filter compares (`filters: {id: {exact: ...}}`), as the filters' own
            id arguments judge one (`accounts.graphql.filters.filter_id`): the database would
            be handed "abc" ("Field 'id' expected a number")."""
            text = str(pk)
            if not re.fullmatch(r"-?[0-9]+", text):
                code = ErrorCode.INVALID
            elif not _ID.fullmatch(text) or int(text) > MAX_ID:
                code = ErrorCode.INVALID_CHOICE
            else:
                return
            self.report_error(
                GraphQLError(
                    f"{pk!r} is not an id: an id is a positive whole number.",
                    node,
                    extensions={"code": code, "field": "id"},
                )
            )

        def _cost(self, selection_set, parent, seen: set, rows: int, root=False) -> int:
            """The cost of a selection set inside lists that may return `rows` rows."""
            if selection_set is None:
                return 0
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    cost = self._field_cost(selection, parent, seen, rows)
                    total += max(cost, 1) if root else cost
                elif isinstance(selection, InlineFragmentNode):
                    kind = parent
                    if selection.type_condition is not None:
                        kind = self.context.schema.get_type(selection.type_condition.name.value)
                    total += self._cost(selection.selection_set, kind or parent, seen, rows, root)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if fragment is None or name in seen:  # cycles are another rule's error
                        continue
                    kind = self.context.schema.get_type(fragment.type_condition.name.value)
                    total += self._cost(
                        fragment.selection_set, kind or parent, {*seen, name}, rows, root
                    )
            return total

        def _field_cost(self, node: FieldNode, parent, seen: set, rows: int) -> int:
            if not isinstance(parent, GraphQLObjectType):
                return 0  # interfaces and unions hold no lists in this schema
            field_def = parent.fields.get(node.name.value)
            if field_def is None:
                return 0  # __typename, or an unknown field (another rule's error)
            arguments = {
                argument.name.value: value_from_ast_untyped(argument.value, variables)
                for argument in node.arguments or ()
            }
            kind = get_named_type(field_def.type)
            name = node.name.value
            if name in SERIES_FIELDS:
                keys = arguments.get("keys")
                count = len(set(keys)) if isinstance(keys, list) else 1
                points = rows * series_points(arguments, count)
                return points * POINT_COST + self._cost(node.selection_set, kind, seen, points)
            if name in BREAKDOWN_FIELDS:
                limit = arguments.get("limit")
                if not isinstance(limit, int) or limit < 1:
                    limit = BREAKDOWN_DEFAULT_LIMIT
                groups = rows * min(limit, MAX_PAGE)
                return groups * GROUP_COST + self._cost(node.selection_set, kind, seen, groups)
            if _is_paginated(field_def):
                size = _page_size(arguments)
                if size is None:
                    size = settings.STRAWBERRY_DJANGO["PAGINATION_DEFAULT_LIMIT"]
                listed = rows * size
                return listed + self._cost(node.selection_set, kind, seen, listed)
            return self._cost(node.selection_set, kind, seen, rows)

    return GuardRule


def _lookup_ids(value, type_, in_lookup: bool = False) -> Iterator:
    """The ids that `value`, of GraphQL input type `type_`, gives to filter lookups (the ID
    fields of strawberry-django's `...FilterLookup` inputs, at any depth: AND, OR, NOT)."""
    type_ = get_nullable_type(type_)
    if value is None:
        return
    if is_list_type(type_):
        for item in value if isinstance(value, list) else [value]:
            yield from _lookup_ids(item, type_.of_type, in_lookup)
    elif is_input_object_type(type_) and isinstance(value, dict):
        lookup = type_.name.endswith("FilterLookup")
        for name, field in type_.fields.items():
            if name in value:
                yield from _lookup_ids(value[name], field.type, lookup)
    elif in_lookup and type_ is GraphQLID:
        yield value


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
